"""The resolve hold (pure): an alert-driven incident whose alerts all cleared resolves only
once none fired again for RESOLVE_HOLD_SECONDS. Issue 13: a flapping alert sent a "resolved"
and a "reopened" to everyone each cycle, "email restored" texts included.

`hold` turns what `lifecycle.apply_alert` decided on an all-clear into a wait (nothing sent),
and clears the wait when an alert fires again; `settle` ends the wait. Staff resolve at once
(`lifecycle.resolve`); the hold-down (`HOLD_DOWN_MINUTES`) is another thing: whether an alert
firing *after* a resolution reopens that incident.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import datetime, timedelta

from outage_notify.core.models import AlertEvent, AlertStatus, IncidentState, Phase
from outage_notify.incidents.decisions import Decision, TimelineEntry
from outage_notify.incidents.transitions import mark_resolved, start_verifying

ACTOR = "resolve-hold"


def hold(
    incident: IncidentState | None,
    event: AlertEvent,
    decision: Decision,
    *,
    now: datetime,
    resolve_hold: timedelta,
) -> Decision:
    """`decision` (from `lifecycle.apply_alert(incident, event)`) with the resolve hold."""
    if resolve_hold <= timedelta(0) or decision.incident is None:
        return decision
    if incident is None or incident.phase == Phase.RESOLVED:
        return decision  # opening or reopening: no wait involved
    if event.status is AlertStatus.FIRING:
        if incident.alerts_clear_since is None:
            return decision
        # Fired again within the hold: the same outage goes on; nobody was told it ended.
        decision.incident.alerts_clear_since = None
        entry = TimelineEntry("resolve_hold", "an alert fired again within the hold", event.source)
        return replace(decision, timeline=(*decision.timeline, entry))
    if decision.update is None:
        return decision  # other groups still fire, or nothing changed
    # The all-clear would resolve (or start verifying): only start the wait.
    waiting = copy.deepcopy(incident)
    waiting.active_groups = []
    waiting.alerts_clear_since = incident.alerts_clear_since or now
    text = f"every alert resolved; resolving in {resolve_hold.total_seconds():g} s unless one fires"
    return Decision(
        waiting,
        timeline=(*decision.timeline[:1], TimelineEntry("resolve_hold", text, event.source)),
    )


def settle(
    incident: IncidentState, *, now: datetime, resolve_hold: timedelta, verify: bool
) -> Decision | None:
    """Resolve (or, with mail probes, start verifying) once the hold has passed.

    None while the hold runs, after an alert fired again, or once staff resolved.
    """
    since = incident.alerts_clear_since
    if since is None or incident.phase == Phase.RESOLVED or incident.active_groups:
        return None
    if now - since < resolve_hold:
        return None
    waited = int((now - since).total_seconds())
    entry = TimelineEntry("resolve_hold", f"alerts stayed resolved for {waited} s", ACTOR)
    new = copy.deepcopy(incident)
    if verify:
        return start_verifying(new, actor=ACTOR, extra=(entry,))
    return mark_resolved(new, message="", actor=ACTOR, now=now, extra=(entry,))
