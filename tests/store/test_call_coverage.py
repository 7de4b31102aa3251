"""Voice escalation's calls as figures, on SQLite and PostgreSQL: coverage, report, /metrics.

The calls are written by the store functions the worker and the Twilio callbacks use (claim,
placed, ended, acknowledged); the deliveries straight to the table. Each person below is one
situation; the expected numbers are worked out by hand from this table.

    Ana    no-answer, then pressed 1 on the second call              confirmed
    Bruno  no-answer, busy, voicemail; marked unreached              unreached after 3 calls
    Carla  no-answer, then answered and hung up without pressing 1;  answered, not confirmed;
           then acknowledged by SMS                                  not unreached
    Dan    Twilio refused the call (a bad number); every message     failed, not placed;
           failed: unreached                                         unreached, not "called"
    Eve    every message failed; a call ringing now                  in progress
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client.exposition import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import event
from sqlalchemy.orm import Session

from outage_notify.core.models import Severity
from outage_notify.incidents.voice_escalation import CallState
from outage_notify.observability.metrics import registry_for
from outage_notify.report.coverage import CallCoverage, CalledContact
from outage_notify.report.html import to_html
from outage_notify.report.render import to_json, to_markdown
from outage_notify.store import voice_calls
from outage_notify.store.coverage import incident_coverage
from outage_notify.store.engine import transaction
from outage_notify.store.report import incident_report
from outage_notify.store.tables import DeliveryRow, IncidentRow, UpdateRow
from tests.fixtures.clock import ManualClock
from tests.fixtures.databases import Sessions
from tests.fixtures.settings import ROOT

NOW = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
ASKED = NOW - timedelta(minutes=40)
CADENCE = {severity: 60 for severity in Severity}
# name -> (state of their message, acknowledged by SMS, marked unreached, calls)
# Each call: (outcome, Twilio's sid); outcome None: still ringing.
PEOPLE: dict[str, tuple[str, bool, bool, list[tuple[CallState | None, str]]]] = {
    "Ana": ("sent", False, False, [(CallState.NO_ANSWER, "CA1"), (CallState.ACKNOWLEDGED, "CA2")]),
    "Bruno": (
        "sent",
        False,
        True,
        [(CallState.NO_ANSWER, "CA3"), (CallState.BUSY, "CA4"), (CallState.MACHINE, "CA5")],
    ),
    "Carla": ("sent", True, False, [(CallState.NO_ANSWER, "CA6"), (CallState.COMPLETED, "CA7")]),
    "Dan": ("failed", False, False, [(CallState.FAILED, "")]),
    "Eve": ("failed", False, False, [(None, "CA8")]),
}


def _write(session: Session) -> int:
    incident = IncidentRow(service="email", title="Mail down", severity="critical", phase="fixing")
    session.add(incident)
    session.flush()
    update = UpdateRow(incident_id=incident.id, kind="opened", phase="fixing", severity="critical")
    session.add(update)
    session.flush()
    for name, (state, acked, unreached, calls) in PEOPLE.items():
        delivery = DeliveryRow(
            update_id=update.id, incident_id=incident.id, audience="management",
            recipient_key=f"contact:{name.lower()}", recipient_name=name, recipient_kind="contact",
            locale="en", routes=[{"channel": "sms", "address": "+1"}], state=state,
            channel="sms", created_at=ASKED, ack_required=True,
            sent_at=ASKED if state == "sent" else None,
            acked_at=NOW - timedelta(minutes=1) if acked else None,
            acked_via="sms" if acked else "",
            unreached_at=NOW - timedelta(minutes=2) if unreached else None,
        )  # fmt: skip
        session.add(delivery)
        session.flush()
        for attempt, (outcome, sid) in enumerate(calls, 1):
            claimed = voice_calls.claim(
                session, incident_id=incident.id, delivery_id=delivery.id,
                recipient_key=delivery.recipient_key, attempt=attempt, phone="+1",
                now=ASKED + timedelta(minutes=10 * attempt),
            )  # fmt: skip
            assert claimed is not None
            at = claimed.claimed_at + timedelta(minutes=1)
            if outcome is CallState.FAILED and not sid:  # refused: never placed
                voice_calls.ended(session, claimed.id, state=outcome, now=at, error="21211")
                continue
            voice_calls.placed(session, claimed.id, sid=sid)
            if outcome is CallState.ACKNOWLEDGED:
                voice_calls.acknowledged(session, claimed.id, now=at)
            elif outcome is not None:
                voice_calls.ended(session, claimed.id, state=outcome, now=at)
    return incident.id


# Placed: every call but Dan's, which Twilio refused. Answered: Ana (pressed 1), Carla (hung up).
EXPECTED = CallCoverage(
    people=5, placed=8, answered=2, confirmed=1, no_answer=3, busy=1, voicemail=1, failed=1,
    in_progress=1, unreached=(CalledContact(name="Bruno", calls=3),),
)  # fmt: skip


def test_the_calls_are_counted_per_audience_beside_the_messages(sessions: Sessions) -> None:
    with transaction(sessions) as session:
        incident_id = _write(session)
        _write(session)  # another incident's calls count for nothing here
    statements: list[str] = []
    with sessions() as session:
        connection = session.connection()
        event.listen(connection, "before_cursor_execute", lambda *args: statements.append(args[2]))
        (coverage,) = incident_coverage(session, incident_id, now=NOW, deadlines={})
    assert coverage.calls == EXPECTED
    # Dan and Eve are unreached too, but not "after their calls": one was never placed, the
    # other is still ringing. Carla answered an SMS since.
    assert coverage.unreached == ("Bruno", "Dan", "Eve")
    # The deliveries, the unreached names, and one grouped query on voice_calls.
    assert len(statements) == 3
    assert sum("voice_calls" in statement for statement in statements) == 1


@pytest.mark.parametrize("locale", ["en", "pt-BR", "es"])
def test_the_report_shows_the_calls_in_every_format_and_locale(
    sessions: Sessions, locale: str
) -> None:
    with transaction(sessions) as session:
        incident_id = _write(session)
    with sessions() as session:
        report = incident_report(
            session, incident_id, now=NOW, cadence_minutes=CADENCE, deadlines={}, locale=locale
        )
    assert report is not None
    (figure,) = to_json(report)["coverage"]
    assert figure["calls"] == {
        "people": 5, "placed": 8, "answered": 2, "confirmed": 1, "no_answer": 3, "busy": 1,
        "voicemail": 1, "failed": 1, "in_progress": 1,
        "unreached": [{"name": "Bruno", "calls": 3}],
    }  # fmt: skip
    templates = ROOT / "templates"
    text, page = (
        to_markdown(report, templates_dir=templates),
        to_html(report, templates_dir=templates),
    )
    row = "| management | 5 | 8 | 2 | 1 | 3 | 1 | 1 | 1 | 1 | 1 |"
    assert row in text, text
    note = {
        "en": "called 3 times without answer",
        "pt-BR": "3 ligações sem resposta",
        "es": "llamado 3 veces sin respuesta",
    }[locale]
    heading = {"en": "Phone calls", "pt-BR": "Ligações telefônicas", "es": "Llamadas telefónicas"}
    assert f"- Bruno (management): {note}" in text
    assert "- Dan (management)\n" in text  # unreached, but never rang: no call note
    assert f"### {heading[locale]}" in text
    assert f"<h3>{heading[locale]}</h3>" in page and f"Bruno\n(management): {note}" in page


def test_an_incident_without_calls_shows_no_call_table(sessions: Sessions) -> None:
    with transaction(sessions) as session:
        incident = IncidentRow(service="email", title="Quiet", severity="minor", phase="fixing")
        session.add(incident)
        session.flush()
        incident_id = incident.id
    with sessions() as session:
        report = incident_report(
            session, incident_id, now=NOW, cadence_minutes=CADENCE, deadlines={}
        )
    assert report is not None
    assert "Phone calls" not in to_markdown(report, templates_dir=ROOT / "templates")


def test_metrics_count_the_calls_by_state_placed_and_outcome(sessions: Sessions) -> None:
    with transaction(sessions) as session:
        _write(session)
        _write(session)
    text = generate_latest(registry_for(sessions, broker_url="", clock=ManualClock(NOW))).decode()
    got: dict[str, dict[str, float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            label = next(iter(sample.labels.values()), "")
            got.setdefault(sample.name, {})[label] = sample.value
    # Two incidents of the table above.
    assert got["outage_notify_voice_calls"] == {
        "claimed": 0, "placed": 2, "acknowledged": 2, "completed": 2, "machine": 2,
        "no-answer": 6, "busy": 2, "failed": 2,
    }  # fmt: skip
    assert got["outage_notify_voice_calls_placed_total"] == {"": 16}
    assert got["outage_notify_voice_call_outcomes_total"] == {
        "acknowledged": 2, "completed": 2, "machine": 2, "no-answer": 6, "busy": 2, "failed": 2,
    }  # fmt: skip
