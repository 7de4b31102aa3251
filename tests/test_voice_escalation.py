"""Voice escalation's decision (pure): wait, call, quiet, unreached; and call outcomes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from outage_notify.incidents.voice_escalation import (
    Call,
    CallState,
    Voice,
    call_outcome,
    decide,
    outcome_words,
)

NOW = datetime(2026, 12, 5, 12, tzinfo=UTC)
RETRY = timedelta(minutes=10)


def _decide(calls: list[Call], *, quiet: bool = False, critical: bool = False) -> Voice:
    return decide(calls, now=NOW, retry_after=RETRY, max_calls=3, quiet=quiet, critical=critical)


def _ended(state: CallState, minutes_ago: float) -> Call:
    at = NOW - timedelta(minutes=minutes_ago)
    return Call(state=state, claimed_at=at - timedelta(minutes=1), ended_at=at)


def test_the_first_call_goes_out_at_once() -> None:
    assert _decide([]) is Voice.CALL


def test_quiet_hours_hold_the_call_unless_critical() -> None:
    assert _decide([], quiet=True) is Voice.QUIET
    assert _decide([], quiet=True, critical=True) is Voice.CALL


def test_a_ringing_call_is_waited_for_until_the_retry_interval() -> None:
    ringing = Call(state=CallState.PLACED, claimed_at=NOW - timedelta(minutes=2))
    assert _decide([ringing]) is Voice.WAIT
    lost = Call(state=CallState.CLAIMED, claimed_at=NOW - timedelta(minutes=11))
    # A claim that never reported back counts as a call that reached nobody: never repeated
    # in its slot, the next attempt follows.
    assert _decide([lost]) is Voice.CALL


@pytest.mark.parametrize(
    "state", [CallState.NO_ANSWER, CallState.BUSY, CallState.MACHINE, CallState.COMPLETED]
)
def test_an_unanswered_call_is_retried_after_the_interval(state: CallState) -> None:
    assert _decide([_ended(state, 5)]) is Voice.WAIT
    assert _decide([_ended(state, 10)]) is Voice.CALL


def test_after_max_calls_the_person_is_unreached() -> None:
    calls = [
        _ended(CallState.NO_ANSWER, 40),
        _ended(CallState.BUSY, 25),
        _ended(CallState.MACHINE, 1),
    ]
    assert _decide(calls) is Voice.UNREACHED
    assert outcome_words(calls) == "no answer to 3 calls (no-answer, busy, machine)"


def test_an_acknowledged_call_ends_the_escalation() -> None:
    assert _decide([_ended(CallState.ACKNOWLEDGED, 1)]) is Voice.ACKNOWLEDGED


@pytest.mark.parametrize(
    ("status", "answered_by", "state"),
    [
        ("completed", "human", CallState.COMPLETED),
        ("completed", "", CallState.COMPLETED),
        ("completed", "machine_start", CallState.MACHINE),
        ("completed", "machine_end_beep", CallState.MACHINE),
        ("completed", "fax", CallState.MACHINE),
        ("no-answer", "", CallState.NO_ANSWER),
        ("busy", "", CallState.BUSY),
        ("failed", "", CallState.FAILED),
        ("canceled", "", CallState.FAILED),
        ("ringing", "", None),
        ("in-progress", "human", None),
    ],
)
def test_twilio_statuses_map_to_outcomes(
    status: str, answered_by: str, state: CallState | None
) -> None:
    assert call_outcome(status, answered_by) is state
