"""Staff correcting an incident: editing its facts, retracting it as a mistake (pure).

An edit (`PATCH`) changes what the record says and tells nobody: the timeline keeps what it
said before. To tell people of a change of scope, staff send an update with `components`
(`lifecycle.staff_update`). A retraction tells everyone who heard of the incident to disregard
it, takes it off the public page, feed and history, and keeps it in the report. A retracted
incident takes no updates and is never reopened: if the outage turns out real after all, a new
incident says so plainly instead of reviving a message people were told to disregard.
"""

from __future__ import annotations

import copy
from datetime import datetime

from outage_notify.core.errors import TransitionError
from outage_notify.core.models import IncidentState, Phase, Severity, UpdateKind
from outage_notify.incidents import security
from outage_notify.incidents.decisions import Decision, TimelineEntry, rescope
from outage_notify.incidents.transitions import close


def edit(
    incident: IncidentState,
    *,
    title: str | None,
    severity: Severity | None,
    components: list[str] | None,
    actor: str,
) -> Decision:
    """The incident with corrected facts and a timeline entry per change; no message."""
    new = copy.deepcopy(incident)
    entries: list[TimelineEntry] = []
    if title is not None and title != incident.title:
        new.title = title
        entries.append(
            TimelineEntry("edit", f"title set to {title!r}", actor, {"was": incident.title})
        )
    if severity is not None and severity != incident.severity:
        new.severity = severity
        entries.append(
            TimelineEntry(
                "edit",
                f"severity {incident.severity} → {severity}",
                actor,
                {"was": incident.severity},
            )
        )
    if components is not None:
        _, _, scope = rescope(new, incident, components, actor)
        if scope is not None:
            entries.append(scope)
    return Decision(incident=new, timeline=tuple(entries))


def retract(incident: IncidentState, *, message: str, actor: str, now: datetime) -> Decision:
    """Withdraw a mistaken incident: closed, off the public page, `retracted` to those told."""
    if incident.retracted_at is not None:
        raise TransitionError("the incident is already retracted")
    security.refuse_retraction(incident)
    new = copy.deepcopy(incident)
    new.retracted_at = now
    # The ETA stays on record: the incident is never reopened, so it is never announced again.
    return close(
        new,
        kind=UpdateKind.RETRACTED,
        resolved_at=incident.resolved_at or now,
        message=message,
        actor=actor,
        # Staff wrote why it was a mistake: partners read it too (COMMS.md).
        staff_text=True,
        timeline=(
            TimelineEntry(
                "transition",
                f"{incident.phase} → resolved (retracted as a mistake): {message}",
                actor,
                {"from": incident.phase.value, "to": Phase.RESOLVED.value, "retracted": True},
            ),
        ),
    )
