"""How a cut of monitoring text is told on the incident's timeline.

Monitoring text longer than we store is cut, never refused (see `field_limits`); the
`AlertEvent` remembers each cut field's original length, and the incident's timeline says
what was cut, so nobody mistakes the shortened summary for all the alert said.
"""

from __future__ import annotations

from dataclasses import replace

from outage_notify.core import field_limits
from outage_notify.core.models import COMPONENT_NAME, CUT_AT, AlertEvent
from outage_notify.incidents.decisions import Decision, TimelineEntry

_WORDS = {
    "summary": "alert summary",
    "description": "alert description",
    "service": "service name",
    "url": "alert link",
    COMPONENT_NAME: "a component name",
}
_LIMITS = {**CUT_AT, COMPONENT_NAME: field_limits.COMPONENT}


def cut_text(event: AlertEvent) -> str:
    """E.g. 'alert summary cut from 3,000 to 300 characters'."""
    return "; ".join(
        f"{_WORDS.get(name, name)} cut from {length:,} to {_LIMITS.get(name, 0):,} characters"
        for name, length in sorted(event.truncated.items())
    )


def with_cuts_recorded(decision: Decision, event: AlertEvent) -> Decision:
    """`decision` plus a `truncated` timeline entry when `event` had text cut to fit."""
    if decision.incident is None or not event.truncated:
        return decision
    entry = TimelineEntry(
        "truncated",
        cut_text(event),
        event.source,
        {"group": event.group_key, "original_lengths": dict(event.truncated)},
    )
    return replace(decision, timeline=(*decision.timeline, entry))
