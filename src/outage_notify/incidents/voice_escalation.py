"""Voice escalation: phone a person the acknowledgement chase could not reach (pure).

When the chase (`chasing.py`) has no message channel left for someone who must acknowledge,
and voice is enabled, they are called instead of being listed unreached at once:

    a call still ringing or talking (no outcome yet)        wait
    every allowed call made, none acknowledged              unreached (a call outcome)
    the last call ended less than VOICE_RETRY_MINUTES ago   wait
    inside their quiet hours, the incident not critical     wait (quiet)
    otherwise                                               call (the next attempt)

A call "ends" with a status callback (no-answer, busy, failed, completed: answered by a
machine, or by a person who hung up without pressing 1); a call with no outcome after the retry
interval (a lost callback, a worker that died after claiming it) counts as ended, so a lost
callback never stalls the escalation and a claim is never placed twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class CallState(StrEnum):
    # Recorded before Twilio is asked: the slot is taken even if the worker dies now.
    CLAIMED = "claimed"
    PLACED = "placed"
    ACKNOWLEDGED = "acknowledged"
    # Answered, but nobody pressed 1 (or a voicemail answered: `answered_by` machine_*).
    COMPLETED = "completed"
    MACHINE = "machine"
    NO_ANSWER = "no-answer"
    BUSY = "busy"
    FAILED = "failed"


IN_FLIGHT = frozenset({CallState.CLAIMED, CallState.PLACED})
# Twilio's final CallStatus values and what each means here.
FINAL_STATUSES = {
    "completed": CallState.COMPLETED,
    "no-answer": CallState.NO_ANSWER,
    "busy": CallState.BUSY,
    "failed": CallState.FAILED,
    "canceled": CallState.FAILED,
}


def call_outcome(status: str, answered_by: str) -> CallState | None:
    """What a status callback's `CallStatus` and `AnsweredBy` make of a call; None: not final."""
    state = FINAL_STATUSES.get(status.lower())
    if state is CallState.COMPLETED and answered_by.lower().startswith(("machine", "fax")):
        return CallState.MACHINE
    return state


class Voice(StrEnum):
    WAIT = "wait"
    QUIET = "quiet"
    CALL = "call"
    UNREACHED = "unreached"
    ACKNOWLEDGED = "acknowledged"


@dataclass(frozen=True)
class Call:
    """One call already made (or claimed), as the decision sees it."""

    state: CallState
    claimed_at: datetime
    ended_at: datetime | None = None


def decide(
    calls: Sequence[Call],
    *,
    now: datetime,
    retry_after: timedelta,
    max_calls: int,
    quiet: bool,
    critical: bool,
) -> Voice:
    """What to do now about a person with no message channel left; `calls` oldest first."""
    if any(call.state is CallState.ACKNOWLEDGED for call in calls):
        return Voice.ACKNOWLEDGED
    last = calls[-1] if calls else None
    if last is not None:
        ended = last.ended_at if last.state not in IN_FLIGHT else None
        if last.state in IN_FLIGHT and last.claimed_at + retry_after > now:
            return Voice.WAIT
        if len(calls) >= max_calls:
            return Voice.UNREACHED
        if (ended or last.claimed_at) + retry_after > now:
            return Voice.WAIT
    if quiet and not critical:
        return Voice.QUIET
    return Voice.CALL


def outcome_words(calls: Sequence[Call]) -> str:
    """The outcome for the lead and the report: `no answer to 3 calls (no-answer, busy, ...)`."""
    states = ", ".join(str(call.state) for call in calls)
    count = len(calls)
    return f"no answer to {count} call{'s' if count != 1 else ''} ({states})"
