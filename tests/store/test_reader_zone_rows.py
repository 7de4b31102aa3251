"""Deliveries and messages carry the readers' zone, on SQLite and PostgreSQL: each delivery
finds the body rendered for its zone, and revision 0008_reader_timezone goes down and up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from outage_notify.core.models import ChannelName, Recipient, RenderedMessage, Route, Severity
from outage_notify.incidents import lifecycle
from outage_notify.messages.planning import PlannedDelivery
from outage_notify.store import deliveries as delivery_store
from outage_notify.store import incidents as incident_store
from outage_notify.store.engine import (
    alembic_config,
    create_session_factory,
    create_store_engine,
    transaction,
    upgrade,
)
from outage_notify.store.tables import Base, DeliveryRow, MessageRow

NOW = datetime(2026, 12, 4, 18, 0, tzinfo=UTC)
CADENCE = {Severity.CRITICAL: 30, Severity.MAJOR: 60, Severity.MINOR: 120}
ZONES = {"contact:sam": "America/Los_Angeles", "contact:lou": "Europe/London", "contact:ana": ""}


def test_each_delivery_gets_the_body_of_its_readers_zone(database_url: str) -> None:
    engine = create_store_engine(database_url)
    sessions = create_session_factory(engine)
    decision = lifecycle.declare(
        title="Mail down", summary="", severity=Severity.CRITICAL, components=["inbound"],
        eta=NOW + timedelta(hours=1), actor="staff-1", now=NOW, cadence_minutes=CADENCE,
    )  # fmt: skip
    planned = [
        PlannedDelivery(
            "management",
            Recipient(key, key, "management", "en", (Route(ChannelName.SMS, "+1"),), timezone=zone),
        )
        for key, zone in ZONES.items()
    ]
    with transaction(sessions) as session:
        incident, update = incident_store.save_decision(
            session, decision, row=None, now=NOW, actor="staff-1"
        )
        assert incident is not None and update is not None
        delivery_store.insert_deliveries(
            session, planned, update_id=update.id, incident_id=incident.id, now=NOW
        )
        # Same update, audience, channel and locale: the zone alone tells them apart.
        delivery_store.insert_messages(
            session,
            [
                RenderedMessage(
                    "management", ChannelName.SMS, "en", f"ETA for {zone}", timezone=zone
                )
                for zone in ZONES.values()
            ],
            update_id=update.id,
        )
    with sessions() as session:
        rows = session.scalars(select(DeliveryRow)).all()
        messages = delivery_store.messages_for(session, rows)
        bodies = {
            row.recipient_key: messages[
                (row.update_id, row.audience, "sms", row.locale, row.timezone)
            ].body
            for row in rows
        }
    assert bodies == {key: f"ETA for {zone}" for key, zone in ZONES.items()}

    # Down: only the organisation's bodies fit the old key; up again: the schema is whole.
    command.downgrade(alembic_config(engine), "0008_corrections")
    with sessions() as session:
        assert session.execute(select(MessageRow.body)).scalars().all() == ["ETA for "]
    upgrade(engine)
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    engine.dispose()
