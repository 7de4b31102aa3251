"""The end of the resolve hold (pure): an alert-driven incident whose alerts all cleared
resolves only once none fired again for RESOLVE_HOLD_SECONDS (issue 13: a flapping alert
sent a "resolved"/"reopened" pair every cycle). The wait itself starts in `lifecycle`."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta

from outage_notify.lifecycle import Decision, TimelineEntry, mark_resolved, start_verifying
from outage_notify.models import IncidentState, Phase

ACTOR = "resolve-hold"


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
