"""Delivery figures of the post-incident report, counted from delivery and attempt rows (pure)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from outage_notify.core.models import DeliveryState
from outage_notify.core.records import AttemptRecord, DeliveryRecord
from outage_notify.report.coverage import AudienceCoverage
from outage_notify.report.model import (
    AttemptFigure,
    AudienceReach,
    CoverageFigure,
    CurvePoint,
    DeliveryFigure,
    FirstMessage,
    SendCurve,
    UnreachedContact,
)

SENT_STATES = frozenset({DeliveryState.SENT.value, DeliveryState.DELIVERED.value})
# Final and told nobody: failed on every channel, or went to a channel that is not configured.
UNREACHED_STATES = frozenset({DeliveryState.FAILED.value, DeliveryState.DRY_RUN.value})
PENDING_STATES = frozenset(
    {DeliveryState.PLANNED.value, DeliveryState.SENDING.value, DeliveryState.UNKNOWN.value}
)
# The channel of a delivery that never reached an attempt (the deliveries API says the same).
NO_CHANNEL = "-"


def final_channel(delivery: DeliveryRecord) -> str:
    """The channel of the delivery's last attempt, or "-" if it was never attempted."""
    return delivery.channel or NO_CHANNEL


def used_fallback(delivery: DeliveryRecord) -> bool:
    """True when the delivery's final channel is not its first route's channel."""
    if not delivery.channel or not delivery.routes:
        return False
    return delivery.channel != delivery.routes[0]["channel"]


def _figure(audience: str, channel: str, rows: Iterable[DeliveryRecord]) -> DeliveryFigure:
    states: Counter[str] = Counter()
    fallback = 0
    for row in rows:
        states[row.state] += 1
        fallback += used_fallback(row)
    return DeliveryFigure(
        audience=audience,
        channel=channel,
        total=sum(states.values()),
        sent=sum(states[s] for s in SENT_STATES),
        delivered=states[DeliveryState.DELIVERED.value],
        failed=states[DeliveryState.FAILED.value],
        undelivered=states[DeliveryState.UNDELIVERED.value],
        superseded=states[DeliveryState.SUPERSEDED.value],
        pending=sum(states[s] for s in PENDING_STATES),
        fallback_used=fallback,
        dry_run=states[DeliveryState.DRY_RUN.value],
    )


def delivery_figures(
    deliveries: Sequence[DeliveryRecord],
) -> tuple[list[DeliveryFigure], DeliveryFigure]:
    """Counts per (audience, final channel), sorted, and the totals over all of them."""
    groups: defaultdict[tuple[str, str], list[DeliveryRecord]] = defaultdict(list)
    for row in deliveries:
        groups[(row.audience, final_channel(row))].append(row)
    figures = [_figure(a, c, rows) for (a, c), rows in sorted(groups.items())]
    return figures, _figure("all", "all", deliveries)


def reach(deliveries: Sequence[DeliveryRecord]) -> list[AudienceReach]:
    """Distinct contacts, broadcast targets and messages per audience."""
    contacts: defaultdict[str, set[str]] = defaultdict(set)
    broadcasts: defaultdict[str, set[str]] = defaultdict(set)
    messages: Counter[str] = Counter()
    for row in deliveries:
        messages[row.audience] += 1
        target = broadcasts if row.recipient_kind == "broadcast" else contacts
        target[row.audience].add(row.recipient_key)
    return [
        AudienceReach(
            audience=audience,
            contacts=len(contacts[audience]),
            broadcasts=len(broadcasts[audience]),
            messages=messages[audience],
        )
        for audience in sorted(messages)
    ]


def dry_run_reason(channel: str) -> str:
    """Why a dry run reached nobody, as the unreached lists say it."""
    return f"dry run: {channel or NO_CHANNEL} is not configured, nothing was sent"


def unreached(deliveries: Sequence[DeliveryRecord]) -> list[UnreachedContact]:
    """Contacts with a failed or dry-run delivery and none sent: nobody reached them at all."""
    by_contact: defaultdict[str, list[DeliveryRecord]] = defaultdict(list)
    for row in deliveries:
        if row.recipient_kind == "contact":
            by_contact[row.recipient_key].append(row)
    found = []
    for key, rows in by_contact.items():
        states = {r.state for r in rows}
        if states & SENT_STATES or not states & UNREACHED_STATES:
            continue
        missed = [r for r in rows if r.state in UNREACHED_STATES]
        last = max(missed, key=lambda r: (r.updated_at, r.id))
        dry = last.state == DeliveryState.DRY_RUN.value
        found.append(
            UnreachedContact(
                audience=last.audience,
                recipient=key,
                name=last.recipient_name,
                deliveries=len(rows),
                last_error=dry_run_reason(last.channel) if dry else last.error,
            )
        )
    return sorted(found, key=lambda u: (u.audience, u.name, u.recipient))


def coverage_figures(coverage: Iterable[AudienceCoverage]) -> list[CoverageFigure]:
    """The store's per-audience coverage as report figures (the same numbers, as data)."""
    return [CoverageFigure.model_validate(c, from_attributes=True) for c in coverage]


def sent_time(delivery: DeliveryRecord) -> datetime:
    """When a sent delivery went out (updated_at only if an old row lacks sent_at)."""
    return delivery.sent_at or delivery.updated_at


def first_messages(deliveries: Sequence[DeliveryRecord], opened_at: datetime) -> list[FirstMessage]:
    """Per audience: the first message that went out, and how long after opening."""
    first: dict[str, datetime | None] = {}
    for row in deliveries:
        first.setdefault(row.audience, None)
        if row.state in SENT_STATES:
            at = sent_time(row)
            current = first[row.audience]
            first[row.audience] = at if current is None else min(current, at)
    return [
        FirstMessage(
            audience=audience,
            sent_at=at,
            seconds_after_open=(at - opened_at).total_seconds() if at is not None else None,
        )
        for audience, at in sorted(first.items())
    ]


def attempt_figures(attempts: Sequence[AttemptRecord]) -> list[AttemptFigure]:
    """Attempts per (channel, outcome)."""
    counted = Counter((a.channel, a.outcome) for a in attempts)
    return [
        AttemptFigure(channel=channel, outcome=outcome, count=count)
        for (channel, outcome), count in sorted(counted.items())
    ]


def send_curves(deliveries: Sequence[DeliveryRecord]) -> list[SendCurve]:
    """Cumulative messages sent per final channel, one point per second with sends."""
    per_second: defaultdict[str, Counter[datetime]] = defaultdict(Counter)
    for row in deliveries:
        if row.state in SENT_STATES:
            per_second[final_channel(row)][sent_time(row).replace(microsecond=0)] += 1
    curves = []
    for channel, counts in sorted(per_second.items()):
        total = 0
        points = []
        for at in sorted(counts):
            total += counts[at]
            points.append(CurvePoint(at=at, count=total))
        curves.append(SendCurve(channel=channel, points=points))
    return curves
