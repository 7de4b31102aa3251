"""The numbers behind GET /metrics, read from the database at scrape time.

Every figure is an aggregate over rows the workers already write (deliveries, attempts,
incidents), so it is the same whichever process serves the scrape and however many workers
there are. Counters are all-time sums over append-only rows, so they only grow (until old
incidents are purged, which Prometheus treats as a counter reset).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, case, func, not_, select
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql.elements import ColumnElement

from outage_notify.core.models import CauseCategory, DeliveryState, Phase
from outage_notify.delivery.throttling import RATE_LIMITED_CODES
from outage_notify.incidents.voice_escalation import IN_FLIGHT, CallState
from outage_notify.store.tables import AttemptRow, DeliveryRow, IncidentRow, VoiceCallRow

# Provider calls: a Twilio create is ~0.2-1 s, a Slack post ~0.1-0.5 s; past 10 s is a timeout.
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# Incident opened -> first message to an audience: the promise is "within minutes".
FIRST_MESSAGE_BUCKETS = (10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)
# Incident opened -> its cause category known: minutes to a day.
IDENTIFY_BUCKETS = (300.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0, 43200.0, 86400.0)
WAITING_STATES = (DeliveryState.PLANNED.value, DeliveryState.UNKNOWN.value)


@dataclass(frozen=True)
class Histogram:
    """Cumulative bucket counts (one per upper bound, then +Inf), their sum and count."""

    bounds: tuple[float, ...]
    cumulative: tuple[int, ...]
    total: float

    @property
    def count(self) -> int:
        return self.cumulative[-1] if self.cumulative else 0


def histogram(values: Sequence[float], bounds: tuple[float, ...]) -> Histogram:
    """A histogram of `values` over `bounds` (upper bounds, inclusive, as Prometheus's `le`)."""
    cumulative = (*(sum(v <= bound for v in values) for bound in bounds), len(values))
    return Histogram(bounds, cumulative, float(sum(values)))


def deliveries_by_channel_state(session: Session) -> dict[tuple[str, str], int]:
    """(channel, state) -> deliveries; channel is '' until a delivery's first attempt."""
    rows = session.execute(
        select(DeliveryRow.channel, DeliveryRow.state, func.count()).group_by(
            DeliveryRow.channel, DeliveryRow.state
        )
    ).all()
    return {(channel, state): count for channel, state, count in rows}


def attempts_by_channel_outcome(session: Session) -> dict[tuple[str, str], int]:
    """(channel, outcome) -> attempts: sent, transient, permanent or unknown."""
    rows = session.execute(
        select(AttemptRow.channel, AttemptRow.outcome, func.count()).group_by(
            AttemptRow.channel, AttemptRow.outcome
        )
    ).all()
    return {(channel, outcome): count for channel, outcome, count in rows}


def retries_by_channel(session: Session) -> dict[str, int]:
    """Channel -> attempts beyond the first one of each delivery on that channel."""
    rows = session.execute(
        select(
            AttemptRow.channel,
            func.count() - func.count(func.distinct(AttemptRow.delivery_id)),
        ).group_by(AttemptRow.channel)
    ).all()
    return {channel: int(count) for channel, count in rows}


def rate_limited_by_channel(session: Session) -> dict[str, int]:
    """Channel -> attempts the provider answered with "slow down" (429, 20429, ratelimited)."""
    rows = session.execute(
        select(AttemptRow.channel, func.count())
        .where(AttemptRow.outcome == "transient")
        .where(AttemptRow.error_code.in_(sorted(RATE_LIMITED_CODES)))
        .group_by(AttemptRow.channel)
    ).all()
    return {channel: count for channel, count in rows}


def waiting_by_channel(session: Session, *, now: datetime) -> dict[str, int]:
    """Channel -> deliveries held back until later: a retry backoff or a rate-limit deferral."""
    rows = session.execute(
        select(DeliveryRow.channel, func.count())
        .where(DeliveryRow.state.in_(WAITING_STATES))
        .where(DeliveryRow.next_attempt_at > now)
        .group_by(DeliveryRow.channel)
    ).all()
    return {channel: count for channel, count in rows}


def latency_by_channel(
    session: Session, bounds: tuple[float, ...] = LATENCY_BUCKETS
) -> dict[str, Histogram]:
    """Channel -> histogram of provider call durations, counted in the database."""
    seconds = _seconds_between(session, AttemptRow.started_at, AttemptRow.finished_at)
    buckets = [func.sum(case((seconds <= bound, 1), else_=0)) for bound in bounds]
    rows = session.execute(
        select(AttemptRow.channel, func.count(), func.sum(seconds), *buckets)
        .where(AttemptRow.finished_at.is_not(None))
        .group_by(AttemptRow.channel)
    ).all()
    result = {}
    for channel, count, total, *cumulative in rows:
        counts = (*(int(c or 0) for c in cumulative), int(count))
        result[channel] = Histogram(bounds, counts, max(float(total or 0.0), 0.0))
    return result


def open_incidents_by_phase(session: Session) -> dict[str, int]:
    """Phase -> incidents not resolved, every open phase present (0 when none)."""
    open_phases = (phase for phase in Phase if phase is not Phase.RESOLVED)
    return _count_by(
        session, IncidentRow.phase, open_phases, IncidentRow.phase != Phase.RESOLVED.value
    )


def first_message_by_audience(
    session: Session, bounds: tuple[float, ...] = FIRST_MESSAGE_BUCKETS
) -> dict[str, Histogram]:
    """Audience -> histogram, over incidents, of seconds from opening to its first message sent."""
    first_sent = func.min(DeliveryRow.sent_at)
    query = (
        select(DeliveryRow.audience, IncidentRow.opened_at, first_sent)
        .join(IncidentRow, IncidentRow.id == DeliveryRow.incident_id)
        .where(DeliveryRow.sent_at.is_not(None))
        .group_by(DeliveryRow.incident_id, DeliveryRow.audience, IncidentRow.opened_at)
    )
    return _gap_histograms(session.execute(query).all(), bounds)


def incidents_by_cause_category(session: Session) -> dict[str, int]:
    """Cause category -> incidents stored (retracted ones too), every category present."""
    return _count_by(session, IncidentRow.cause_category, CauseCategory)


def time_to_identify_by_category(
    session: Session, bounds: tuple[float, ...] = IDENTIFY_BUCKETS
) -> dict[str, Histogram]:
    """Category -> histogram of seconds from an incident's opening (its detection) to when its
    category was first set to something but unknown; incidents never identified are left out."""
    query = select(
        IncidentRow.cause_category, IncidentRow.opened_at, IncidentRow.cause_identified_at
    ).where(IncidentRow.cause_identified_at.is_not(None))
    return _gap_histograms(session.execute(query).all(), bounds)


def voice_calls_by_state(session: Session) -> dict[str, int]:
    """Call state -> voice-escalation calls now in it, every state present (0 when none)."""
    return _count_by(session, VoiceCallRow.state, CallState)


def voice_calls_placed(session: Session) -> int:
    """Calls Twilio took, or may have: every call row but those it refused (failed, no sid).

    A claim is deleted only when it never got a rate-limit token (never asked Twilio), so the
    count only grows."""
    refused = and_(VoiceCallRow.state == CallState.FAILED.value, VoiceCallRow.call_sid == "")
    claimed = VoiceCallRow.state == CallState.CLAIMED.value
    found = session.scalar(
        select(func.count()).select_from(VoiceCallRow).where(not_(refused), not_(claimed))
    )
    return int(found or 0)


def voice_call_outcomes(counts: dict[str, int]) -> dict[str, int]:
    """The final states of `voice_calls_by_state`: outcomes only ever added to."""
    return {state: n for state, n in counts.items() if state not in {s.value for s in IN_FLIGHT}}


def _count_by(
    session: Session,
    column: InstrumentedAttribute[str],
    members: Iterable[StrEnum],
    *where: ColumnElement[bool],
) -> dict[str, int]:
    """Value of `column` -> rows meeting every `where`. Every one of `members` is present, 0
    when it has no rows, so its series exists before its first row; a stored value that is not
    a member is kept too, after them."""
    counts = {member.value: 0 for member in members}
    rows = session.execute(select(column, func.count()).where(*where).group_by(column)).all()
    counts.update({value: int(count) for value, count in rows})
    return counts


def _gap_histograms(
    rows: Iterable[tuple[str, datetime, datetime | None]], bounds: tuple[float, ...]
) -> dict[str, Histogram]:
    """Key -> histogram of the seconds from start to end of its `(key, start, end)` rows, keys
    in order. A row without an end is left out; an end before its start counts as 0 s."""
    seconds: dict[str, list[float]] = {}
    for key, start, end in rows:
        if end is None:
            continue
        seconds.setdefault(key, []).append(max((end - start).total_seconds(), 0.0))
    return {key: histogram(values, bounds) for key, values in sorted(seconds.items())}


def _seconds_between(session: Session, start: Any, end: Any) -> ColumnElement[Any]:
    """`end - start` in seconds, in the dialect's own arithmetic."""
    if session.get_bind().dialect.name == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 86400.0
    return func.extract("epoch", end - start)
