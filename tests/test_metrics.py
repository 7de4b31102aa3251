"""Metrics computed from the database: exact figures on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client.exposition import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import Session, sessionmaker

from outage_notify.observability.metrics import registry_for
from outage_notify.store.engine import create_session_factory, create_store_engine
from outage_notify.store.tables import AttemptRow, DeliveryRow, IncidentRow, UpdateRow
from tests.fixtures.app import api_client
from tests.fixtures.clock import ManualClock
from tests.fixtures.settings import build_settings

OPENED = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)
NOW = OPENED + timedelta(minutes=10)


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = create_store_engine(database_url)
    yield create_session_factory(engine)
    engine.dispose()


def add_incident(session: Session, *, phase: str) -> tuple[int, int]:
    incident = IncidentRow(
        service="email", title="Mail down", severity="critical", phase=phase, opened_at=OPENED
    )
    session.add(incident)
    session.flush()
    update = UpdateRow(incident_id=incident.id, kind="opened", phase=phase, severity="critical")
    session.add(update)
    session.flush()
    return incident.id, update.id


def add_delivery(
    session: Session,
    ids: tuple[int, int],
    key: str,
    *,
    audience: str,
    state: str,
    channel: str = "",
    sent_after: float | None = None,
    attempts: tuple[tuple[str, float, str], ...] = (),
    next_attempt_at: datetime | None = None,
) -> None:
    """One delivery and its attempts: (outcome, seconds, error_code) each."""
    incident_id, update_id = ids
    row = DeliveryRow(
        update_id=update_id, incident_id=incident_id, audience=audience, recipient_key=key,
        recipient_name=key, locale="en", routes=[], state=state, channel=channel,
        next_attempt_at=next_attempt_at,
        sent_at=OPENED + timedelta(seconds=sent_after) if sent_after is not None else None,
    )  # fmt: skip
    session.add(row)
    session.flush()
    for outcome, seconds, code in attempts:
        started = OPENED + timedelta(seconds=1)
        session.add(
            AttemptRow(
                delivery_id=row.id,
                channel=channel,
                address="x",
                outcome=outcome,
                started_at=started,
                finished_at=started + timedelta(seconds=seconds),
                error_code=code,
            )
        )


def scrape(sessions: sessionmaker[Session]) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """Sample name -> {sorted labels: value}."""
    text = generate_latest(registry_for(sessions, broker_url="", clock=ManualClock(NOW))).decode()
    samples: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def test_every_figure_is_counted_from_the_rows(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        open_ids = add_incident(session, phase="fixing")
        add_delivery(
            session, open_ids, "a", audience="management", state="sent", channel="sms",
            sent_after=40, attempts=(("transient", 0.3, "20429"), ("sent", 0.2, "")),
        )  # fmt: skip
        add_delivery(
            session, open_ids, "b", audience="management", state="sent", channel="slack",
            sent_after=25, attempts=(("sent", 1.5, ""),),
        )  # fmt: skip
        add_delivery(
            session, open_ids, "c", audience="users", state="failed", channel="sms",
            attempts=(("permanent", 0.04, "21211"),),
        )  # fmt: skip
        add_delivery(
            session, open_ids, "d", audience="users", state="planned",
            next_attempt_at=NOW + timedelta(seconds=30),
        )  # fmt: skip
        add_delivery(session, open_ids, "e", audience="users", state="planned")
        done_ids = add_incident(session, phase="resolved")
        add_delivery(
            session, done_ids, "a", audience="management", state="sent", channel="sms",
            sent_after=400, attempts=(("sent", 7.0, ""),),
        )  # fmt: skip

    got = scrape(sessions)

    assert got["outage_notify_deliveries"] == {
        (("channel", "sms"), ("state", "sent")): 2,
        (("channel", "slack"), ("state", "sent")): 1,
        (("channel", "sms"), ("state", "failed")): 1,
        (("channel", "none"), ("state", "planned")): 2,
    }
    assert got["outage_notify_delivery_attempts_total"] == {
        (("channel", "sms"), ("outcome", "transient")): 1,
        (("channel", "sms"), ("outcome", "sent")): 2,
        (("channel", "sms"), ("outcome", "permanent")): 1,
        (("channel", "slack"), ("outcome", "sent")): 1,
    }
    # Every channel is listed from the start, 0 until it is used (WhatsApp and fallback here).
    assert got["outage_notify_delivery_retries_total"] == {
        (("channel", "fallback"),): 0,
        (("channel", "slack"),): 0,
        (("channel", "sms"),): 1,
        (("channel", "whatsapp"),): 0,
    }
    assert got["outage_notify_provider_rate_limited_total"] == {
        (("channel", "fallback"),): 0,
        (("channel", "slack"),): 0,
        (("channel", "sms"),): 1,
        (("channel", "whatsapp"),): 0,
    }
    assert got["outage_notify_deliveries_waiting"] == {
        (("channel", "fallback"),): 0,
        (("channel", "none"),): 1,
        (("channel", "slack"),): 0,
        (("channel", "sms"),): 0,
        (("channel", "whatsapp"),): 0,
    }

    sms = (("channel", "sms"),)
    buckets = got["outage_notify_provider_latency_seconds_bucket"]
    assert buckets[(*sms, ("le", "0.05"))] == 1
    assert buckets[(*sms, ("le", "0.25"))] == 2
    assert buckets[(*sms, ("le", "0.5"))] == 3
    assert buckets[(*sms, ("le", "5.0"))] == 3
    assert buckets[(*sms, ("le", "10.0"))] == 4
    assert buckets[(*sms, ("le", "+Inf"))] == 4
    assert got["outage_notify_provider_latency_seconds_count"][sms] == 4
    assert got["outage_notify_provider_latency_seconds_sum"][sms] == pytest.approx(7.54, abs=1e-3)

    assert got["outage_notify_open_incidents"][(("phase", "fixing"),)] == 1
    assert got["outage_notify_open_incidents"][(("phase", "detected"),)] == 0
    assert (("phase", "resolved"),) not in got["outage_notify_open_incidents"]

    # management: told after 25 s (slack) in one incident and after 400 s in the other.
    first = got["outage_notify_first_message_seconds_bucket"]
    management = (("audience", "management"),)
    assert first[(*management, ("le", "30.0"))] == 1
    assert first[(*management, ("le", "300.0"))] == 1
    assert first[(*management, ("le", "600.0"))] == 2
    assert got["outage_notify_first_message_seconds_sum"][management] == pytest.approx(425)
    assert (("audience", "users"),) not in got["outage_notify_first_message_seconds_count"]
    # No Redis broker configured: no queue figures rather than a misleading zero.
    assert "outage_notify_queue_depth" not in got and "outage_notify_broker_up" not in got


def test_an_empty_database_scrapes_cleanly(sessions: sessionmaker[Session]) -> None:
    got = scrape(sessions)
    assert sum(got["outage_notify_open_incidents"].values()) == 0
    assert "outage_notify_deliveries" not in got


def test_the_route_is_open_by_default_like_most_exporters(database_url: str) -> None:
    # Entered too, so the lifespan runs as in the service.
    with api_client(build_settings(database_url=database_url)) as client, client:
        response = client.get("/metrics")
    assert response.status_code == 200
    assert "# TYPE outage_notify_open_incidents gauge" in response.text
    assert "outage_notify_queue_depth" not in response.text  # embedded: no broker to ask


def test_every_per_channel_metric_carries_whatsapp(sessions: sessionmaker[Session]) -> None:
    """Issue 20: WhatsApp is a channel like the others in every per-channel figure; 63018 is
    its "slow down" (Twilio's WhatsApp rate limit)."""
    whatsapp = (("channel", "whatsapp"),)
    empty = scrape(sessions)
    for name in (
        "outage_notify_delivery_retries_total",
        "outage_notify_provider_rate_limited_total",
        "outage_notify_deliveries_waiting",
        "outage_notify_provider_latency_seconds_count",
    ):
        assert empty[name][whatsapp] == 0, name  # a series to alert on before the first send
    with sessions.begin() as session:
        ids = add_incident(session, phase="fixing")
        # Sent after one "slow down"; and one waiting 30 s after its own.
        for key, state, tried, waits in (
            ("w1", "sent", (("transient", 0.3, "63018"), ("sent", 0.2, "")), None),
            ("w2", "planned", (("transient", 0.1, "63018"),), NOW + timedelta(seconds=30)),
        ):
            add_delivery(session, ids, key, audience="management", state=state,
                         channel="whatsapp", attempts=tried, next_attempt_at=waits)  # fmt: skip

    got = scrape(sessions)

    assert got["outage_notify_deliveries"] == {
        (*whatsapp, ("state", "sent")): 1,
        (*whatsapp, ("state", "planned")): 1,
    }
    assert got["outage_notify_delivery_attempts_total"] == {
        (*whatsapp, ("outcome", "transient")): 2,
        (*whatsapp, ("outcome", "sent")): 1,
    }
    assert got["outage_notify_delivery_retries_total"][whatsapp] == 1
    assert got["outage_notify_provider_rate_limited_total"][whatsapp] == 2
    assert got["outage_notify_deliveries_waiting"][whatsapp] == 1
    assert got["outage_notify_provider_latency_seconds_count"][whatsapp] == 3
    assert got["outage_notify_provider_latency_seconds_bucket"][(*whatsapp, ("le", "0.25"))] == 2
