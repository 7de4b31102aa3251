"""Which delivery an SMS reply answers, and inbound texts and STOPs kept once however many
copies arrive at the same time; on SQLite and PostgreSQL, rows written straight to the DB."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from outage_notify.store import acknowledgements as ack_store
from outage_notify.store.engine import create_session_factory, create_store_engine, transaction
from outage_notify.store.tables import (
    AttemptRow,
    DeliveryRow,
    InboundMessageRow,
    IncidentRow,
    SmsOptOutRow,
    UpdateRow,
)

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
PHONE = "+5511990000001"


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = create_store_engine(database_url)
    yield create_session_factory(engine)
    engine.dispose()


@dataclass(frozen=True)
class Texted:
    """One delivery texted to PHONE, in the order the texts went out."""

    incident: int  # 0 or 1: two incidents of the same number
    kind: str
    key: str = "contact:ana"
    ack_required: bool = False
    acked: bool = False
    unreached: bool = False
    outcome: str = "sent"


ASKED = Texted(1, "opened", ack_required=True)
REMINDER = Texted(1, "reminder", key="staff:contact:ana")


@pytest.mark.parametrize(
    ("texts", "answered"),
    [
        # Ana is management and the incident's lead: the reminder to her came after the ask.
        ([ASKED, REMINDER], 0),
        # The older incident's resolution was texted after the new one asked.
        ([ASKED, Texted(0, "resolved")], 0),
        # Nothing waits for an answer: the newest stakeholder message, not the reminder.
        ([Texted(1, "opened", ack_required=True, acked=True), Texted(1, "update"), REMINDER], 1),
        # Given up on (unreached) is not waiting either.
        ([Texted(1, "opened", ack_required=True, unreached=True), REMINDER], 0),
        ([REMINDER], 0),
        # Two asks open: the newer one.
        ([Texted(0, "opened", ack_required=True), ASKED], 1),
        # A text that never left does not count.
        ([Texted(1, "update"), Texted(1, "opened", ack_required=True, outcome="permanent")], 0),
    ],
    ids=[
        "ask-then-reminder",
        "ask-then-old-resolution",
        "no-ask-open",
        "unreached",
        "only-the-lead",
        "two-asks",
        "failed-send",
    ],
)
def test_a_reply_answers_the_newest_delivery_waiting_for_it(
    sessions: sessionmaker[Session], texts: list[Texted], answered: int
) -> None:
    with transaction(sessions) as session:
        ids = _texted(session, texts)
    with sessions() as session:
        found = ack_store.latest_sms_delivery(session, PHONE)
        assert ack_store.latest_sms_delivery(session, "+5511990009999") is None
    assert found is not None and found.id == ids[answered]


def _texted(session: Session, texts: list[Texted]) -> list[int]:
    incidents = []
    for number in range(2):
        incident = IncidentRow(
            service=f"svc{number}", title="Mail down", severity="major", phase="fixing"
        )
        session.add(incident)
        session.flush()
        incidents.append(incident.id)
    ids = []
    for index, text in enumerate(texts):
        update = UpdateRow(
            incident_id=incidents[text.incident], kind=text.kind, phase="fixing", severity="major"
        )
        session.add(update)
        session.flush()
        staff = text.key.startswith("staff:")
        delivery = DeliveryRow(
            update_id=update.id,
            incident_id=incidents[text.incident],
            audience="staff" if staff else "management",
            recipient_key=text.key,
            recipient_name="Ana",
            locale="en",
            routes=[{"channel": "sms", "address": PHONE}],
            state="sent" if text.outcome == "sent" else "failed",
            ack_required=text.ack_required,
            acked_at=NOW if text.acked else None,
            unreached_at=NOW if text.unreached else None,
        )
        session.add(delivery)
        session.flush()
        at = NOW + timedelta(minutes=index)
        session.add(
            AttemptRow(
                delivery_id=delivery.id,
                channel="sms",
                address=PHONE,
                started_at=at,
                finished_at=at,
                outcome=text.outcome,
            )
        )
        session.flush()
        ids.append(delivery.id)
    return ids


def _at_once(sessions: sessionmaker[Session], act: Callable[[Session], bool]) -> list[bool]:
    """`act` in four transactions started together; what each returned."""
    barrier = threading.Barrier(4)
    results: list[bool] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            with transaction(sessions) as session:
                results.append(act(session))
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


def test_one_text_is_claimed_once_however_many_copies_arrive(
    sessions: sessionmaker[Session],
) -> None:
    def claim(session: Session, sid: str = "SM0123") -> bool:
        row = ack_store.claim_inbound(
            session, at=NOW, channel="sms", sender=PHONE, body="UPDATE fixed", provider_id=sid
        )
        return row is not None

    assert sorted(_at_once(sessions, claim)) == [False, False, False, True]
    with transaction(sessions) as session:
        # Later: still the same message.
        assert not claim(session)
        # Another message, and messages without an id (Slack's), are each their own.
        assert claim(session, "SM4567")
        assert claim(session, "") and claim(session, "")
        # The same id from another channel is another message.
        assert ack_store.claim_inbound(
            session, at=NOW, channel="slack", sender="U1", body="", provider_id="SM0123"
        )
    with sessions() as session:
        kept = session.execute(
            select(InboundMessageRow.provider_id, InboundMessageRow.handled_as).order_by(
                InboundMessageRow.id
            )
        ).all()
    assert [tuple(row) for row in kept] == [
        ("SM0123", "received"),
        ("SM4567", "received"),
        ("", "received"),
        ("", "received"),
        ("SM0123", "received"),
    ]


def test_two_stops_at_once_opt_the_number_out_once(sessions: sessionmaker[Session]) -> None:
    def stop(session: Session) -> bool:
        return ack_store.opt_out(session, PHONE, keyword="STOP", at=NOW)

    assert sorted(_at_once(sessions, stop)) == [False, False, False, True]
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(SmsOptOutRow)) == 1
