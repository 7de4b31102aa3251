"""Coverage per audience on SQLite and PostgreSQL, from deliveries written straight to the DB.

Each recipient below is one situation the figures must get right; the expected numbers are
worked out by hand from that table, not from the code.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from outage_notify.store.coverage import AudienceCoverage, DeadlineCoverage, incident_coverage
from outage_notify.store.engine import create_session_factory, create_store_engine, transaction
from outage_notify.store.tables import DeliveryRow, IncidentRow, UpdateRow

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
ASKED = NOW - timedelta(minutes=30)  # when the opened message asked management to acknowledge
DEADLINES = {"management": 10.0}


@dataclass(frozen=True)
class D:
    """One delivery of the table: which update, its state and its two-way columns."""

    update: int
    state: str
    ack_required: bool = False
    created_at: datetime = ASKED
    sent: bool = False
    acked_at: datetime | None = None
    unreached: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


# audience -> (kind, key, name) -> deliveries; update 0 is "opened", 1 a later update.
TABLE: dict[str, dict[tuple[str, str, str], list[D]]] = {
    "management": {
        # Acknowledged 5 minutes after being asked: deadline met.
        ("contact", "ana", "Ana"): [
            D(0, "delivered", ack_required=True, sent=True, acked_at=ASKED + timedelta(minutes=5))
        ],
        # Acknowledged after 15 minutes: missed.
        ("contact", "bruno", "Bruno"): [
            D(0, "sent", ack_required=True, sent=True, acked_at=ASKED + timedelta(minutes=15)),
            D(1, "sent", sent=True, acked_at=ASKED + timedelta(minutes=15)),
        ],
        # Never acknowledged, chased on every channel, marked unreached: missed, call her.
        ("contact", "carla", "Carla"): [D(0, "sent", ack_required=True, sent=True, unreached=True)],
        # Asked 5 minutes ago by a reopening, not acknowledged yet: pending.
        ("contact", "dan", "Dan"): [
            D(0, "sent", sent=True),
            D(1, "sent", ack_required=True, sent=True, created_at=NOW - timedelta(minutes=5)),
        ],
        # Every message failed: unreached without a mark, and the deadline passed: missed.
        ("contact", "eve", "Eve"): [
            D(0, "failed", ack_required=True),
            D(1, "failed"),
        ],
        # Failed, and the next message was superseded before it went out: unreached.
        ("contact", "fay", "Fay"): [D(0, "failed"), D(1, "superseded")],
        # Failed once, the next one was delivered: reached.
        ("contact", "gus", "Gus"): [D(0, "failed"), D(1, "delivered", sent=True)],
        # Failed once, the next one is still queued: not unreached (yet).
        ("contact", "hal", "Hal"): [D(0, "failed"), D(1, "planned")],
        # Sent by SMS, reported undelivered, now waiting for Slack: it was sent once.
        ("contact", "ivy", "Ivy"): [D(0, "planned", sent=True, extra={"route_index": 1})],
        ("broadcast", "slack:#managers", "#managers"): [D(0, "sent", sent=True)],
        ("broadcast", "fallback:https://hook", "hook"): [D(0, "failed")],
    },
    "users": {
        ("contact", "u1", "Ursula"): [D(0, "delivered", sent=True)],
        # Replied OK though nobody asked users to: acknowledged, not asked.
        ("contact", "u2", "Ulisses"): [D(0, "sent", sent=True, acked_at=ASKED)],
        ("contact", "u3", "Uma"): [D(0, "failed")],
        ("broadcast", "slack:#general", "#general"): [D(0, "sent", sent=True)],
    },
    # Reminders to the incident lead: not an audience of the incident's news.
    "staff": {("contact", "ana", "Ana"): [D(1, "failed")]},
}


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = create_store_engine(database_url)
    yield create_session_factory(engine)
    engine.dispose()


def _incident(session: Session) -> tuple[int, list[int]]:
    incident = IncidentRow(service="email", title="Mail down", severity="major", phase="fixing")
    session.add(incident)
    session.flush()
    updates = [
        UpdateRow(incident_id=incident.id, kind=kind, phase="fixing", severity="major")
        for kind in ("opened", "update")
    ]
    session.add_all(updates)
    session.flush()
    return incident.id, [u.id for u in updates]


def _write(session: Session, table: dict[str, dict[tuple[str, str, str], list[D]]]) -> int:
    incident_id, update_ids = _incident(session)
    for audience, recipients in table.items():
        for (kind, key, name), deliveries in recipients.items():
            for d in deliveries:
                session.add(
                    DeliveryRow(
                        update_id=update_ids[d.update],
                        incident_id=incident_id,
                        audience=audience,
                        recipient_key=f"{kind}:{key}" if kind == "contact" else key,
                        recipient_name=name,
                        recipient_kind=kind,
                        locale="en",
                        routes=[
                            {"channel": "sms", "address": "+1"},
                            {"channel": "slack", "address": "U1"},
                        ],
                        state=d.state,
                        channel="sms",
                        created_at=d.created_at,
                        sent_at=d.created_at + timedelta(seconds=2) if d.sent else None,
                        ack_required=d.ack_required,
                        acked_at=d.acked_at,
                        acked_via="sms" if d.acked_at else "",
                        unreached_at=NOW - timedelta(minutes=1) if d.unreached else None,
                        **d.extra,
                    )
                )
    return incident_id


def test_every_figure_per_audience(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        incident_id = _write(session, TABLE)
        # Another incident's deliveries count for nothing here.
        _write(session, {"management": {("contact", "zoe", "Zoe"): [D(0, "failed")]}})
    with sessions() as session:
        coverage = incident_coverage(session, incident_id, now=NOW, deadlines=DEADLINES)
    assert coverage == [
        AudienceCoverage(
            audience="management",
            recipients=9,
            sent=6,  # ana bruno carla dan gus ivy
            delivered=2,  # ana gus
            acknowledged=2,  # ana bruno
            ack_required=5,  # ana bruno carla dan eve
            unreached=("Carla", "Eve", "Fay"),
            deadline=DeadlineCoverage(minutes=10.0, met=1, missed=3, pending=1),
            broadcasts=2,
            broadcasts_sent=1,
        ),
        AudienceCoverage(
            audience="users",
            recipients=3,
            sent=2,
            delivered=1,
            acknowledged=1,
            ack_required=0,
            unreached=("Uma",),
            deadline=None,
            broadcasts=1,
            broadcasts_sent=1,
        ),
    ]


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # 6 minutes after the ask: Ana made it, Bruno's late answer is already known to be
        # late, everyone else asked at that time may still answer.
        (ASKED + timedelta(minutes=6), DeadlineCoverage(10.0, met=1, missed=1, pending=3)),
        # Half an hour later Dan's own 10 minutes are over too.
        (NOW + timedelta(minutes=30), DeadlineCoverage(10.0, met=1, missed=4, pending=0)),
    ],
)
def test_the_deadline_moves_from_pending_to_missed_with_the_clock(
    sessions: sessionmaker[Session], now: datetime, expected: DeadlineCoverage
) -> None:
    with transaction(sessions) as session:
        incident_id = _write(session, TABLE)
    with sessions() as session:
        coverage = incident_coverage(session, incident_id, now=now, deadlines=DEADLINES)
    assert coverage[0].deadline == expected


def test_no_deadline_configured_no_deadline_figures(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        incident_id = _write(session, TABLE)
    with sessions() as session:
        coverage = incident_coverage(session, incident_id, now=NOW, deadlines={})
        assert [c.deadline for c in coverage] == [None, None]
        assert incident_coverage(session, incident_id + 1000, now=NOW, deadlines={}) == []


@pytest.mark.parametrize("unreached", [0, 1])
def test_one_query_whatever_the_number_of_deliveries_two_with_names_to_fetch(
    sessions: sessionmaker[Session], unreached: int
) -> None:
    users: dict[tuple[str, str, str], list[D]] = {
        ("contact", f"u{i}", f"User {i}"): [D(0, "sent", sent=True), D(1, "delivered", sent=True)]
        for i in range(300)
    }
    users.update({("contact", f"x{i}", f"Lost {i}"): [D(0, "failed")] for i in range(unreached)})
    with transaction(sessions) as session:
        incident_id = _write(session, {"users": users})
    statements: list[str] = []
    with sessions() as session:
        connection = session.connection()
        event.listen(connection, "before_cursor_execute", lambda *args: statements.append(args[2]))
        (coverage,) = incident_coverage(session, incident_id, now=NOW, deadlines=DEADLINES)
    assert (coverage.recipients, coverage.sent, coverage.delivered) == (300 + unreached, 300, 300)
    assert len(coverage.unreached) == unreached
    assert len(statements) == 1 + unreached


def test_an_answer_after_being_given_up_on_takes_them_off_the_call_list(
    sessions: sessionmaker[Session],
) -> None:
    late = NOW  # after the chase marked them unreached (NOW - 1 minute)
    table: dict[str, dict[tuple[str, str, str], list[D]]] = {
        "management": {
            # Marked unreached, then replied OK to the SMS after all.
            ("contact", "carla", "Carla"): [
                D(0, "sent", ack_required=True, sent=True, unreached=True, acked_at=late)
            ],
            # Every channel reported failed, yet the text arrived and she answered it.
            ("contact", "eve", "Eve"): [D(0, "failed", ack_required=True, acked_at=late)],
            # Still silent: call him.
            ("contact", "dan", "Dan"): [D(0, "sent", ack_required=True, sent=True, unreached=True)],
        }
    }
    with transaction(sessions) as session:
        incident_id = _write(session, table)
    with sessions() as session:
        [coverage] = incident_coverage(session, incident_id, now=NOW, deadlines={})
    assert (coverage.ack_required, coverage.acknowledged) == (3, 2)
    assert coverage.unreached == ("Dan",)
