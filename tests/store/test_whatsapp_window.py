"""WhatsApp's 24-hour window as dispatch decides it, and a WhatsApp reply acknowledging; on
SQLite and PostgreSQL, rows written straight to the database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from outage_notify.core.models import ChannelName, OutboundMessage
from outage_notify.delivery.send import Outcome
from outage_notify.store import acknowledgements as ack_store
from outage_notify.store.engine import create_session_factory, create_store_engine, transaction
from outage_notify.store.tables import (
    AttemptRow,
    DeliveryRow,
    InboundMessageRow,
    IncidentRow,
    UpdateRow,
)
from outage_notify.worker import whatsapp_window

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
BEA, CAIO = "+5511990000021", "+5511990000022"
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = create_store_engine(database_url)
    yield create_session_factory(engine)
    engine.dispose()


def _deliveries(session: Session, phones: list[str], kind: str = "opened") -> list[DeliveryRow]:
    incident = IncidentRow(service="email", title="Mail down", severity="major", phase="fixing")
    session.add(incident)
    session.flush()
    update = UpdateRow(incident_id=incident.id, kind=kind, phase="fixing", severity="major")
    session.add(update)
    session.flush()
    rows = [
        DeliveryRow(
            update_id=update.id,
            incident_id=incident.id,
            audience="management",
            recipient_key=f"contact:{phone}",
            recipient_name=phone,
            locale="pt-BR",
            routes=[
                {"channel": "whatsapp", "address": phone},
                {"channel": "sms", "address": phone},
            ],
            state="planned",
        )
        for phone in phones
    ]
    session.add_all(rows)
    session.flush()
    return rows


def _wrote(session: Session, phone: str, at: datetime, channel: str = "whatsapp") -> None:
    session.add(
        InboundMessageRow(
            at=at, channel=channel, sender=phone, body="hi", provider_id=f"SM{phone}{at:%H%M}",
            handled_as="ignored",
        )
    )  # fmt: skip
    session.flush()


def test_only_a_whatsapp_message_within_24_hours_opens_the_window(
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as session:
        bea, caio = _deliveries(session, [BEA, CAIO])
        _wrote(session, BEA, NOW - timedelta(hours=23))
        # Caio wrote 25 hours ago on WhatsApp, and by SMS just now: neither opens it.
        _wrote(session, CAIO, NOW - timedelta(hours=25))
        _wrote(session, CAIO, NOW - timedelta(minutes=1), channel="sms")
        closed = whatsapp_window.windows(session, [bea, caio], now=NOW)

    assert closed == {caio.id: "opened"}


def test_outside_the_window_the_message_becomes_its_template(
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as session:
        [row] = _deliveries(session, [BEA], kind="update")
        closed = whatsapp_window.windows(session, [row], now=NOW)

    message = OutboundMessage(BEA, "Ainda sem e-mail.\nPrevisão 17:30.")
    templated = whatsapp_window.as_template(
        message, row, closed[row.id], templates_dir=TEMPLATES, organisation="Acme", now=NOW
    )

    assert isinstance(templated, OutboundMessage)
    assert templated.content_sid == whatsapp_window.content_of(TEMPLATES).sid("update", "pt-BR")
    assert templated.content_variables == '{"1":"Ainda sem e-mail. Previsão 17:30."}'


def test_without_a_template_the_route_is_skipped_permanently(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    (tmp_path / "whatsapp").mkdir()
    (tmp_path / "whatsapp" / "content.yaml").write_text("templates: {}\n")
    with transaction(sessions) as session:
        [row] = _deliveries(session, [BEA])

    outcome = whatsapp_window.as_template(
        OutboundMessage(BEA, "x"), row, "opened", templates_dir=tmp_path, organisation="A", now=NOW
    )

    assert isinstance(outcome, Outcome)
    assert (outcome.result, outcome.error_code) == ("permanent", "no_content_template")
    assert "templates.opened.pt-BR" in outcome.error_text


def test_a_whatsapp_reply_acknowledges_the_whatsapp_delivery(
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as session:
        [row] = _deliveries(session, [BEA])
        row.ack_required = True
        row.state = "sent"
        session.add(
            AttemptRow(
                delivery_id=row.id, channel=ChannelName.WHATSAPP.value, address=BEA,
                started_at=NOW, finished_at=NOW, outcome="sent",
            )
        )  # fmt: skip
    with transaction(sessions) as session:
        acked = ack_store.acknowledge_by_phone(session, BEA, at=NOW, via="whatsapp")
    with sessions() as session:
        stored = session.get(DeliveryRow, row.id)

    assert acked is not None and acked.newly_acked == 1
    assert stored is not None and (stored.acked_via, stored.acked_by) == ("whatsapp", BEA)
