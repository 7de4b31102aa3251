"""The cause category and security mode (pure): what setting a category decides, and what
security mode changes in staff actions (docs/concepts/security-mode.md).

An incident enters security mode when its category becomes `security` or staff declare it
so, and never leaves it: the record of a breach is evidence. In security mode the `security`
audience hears everything (notes marked for it included), every other audience gets the
security templates, the status page shows neutral words, a staff update is not public unless
staff say so, and a retraction is refused.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import datetime

from outage_notify.core.errors import TransitionError
from outage_notify.core.models import CauseCategory, IncidentState
from outage_notify.incidents.decisions import Decision, TimelineEntry

NO_RETRACTION = (
    "the incident is in security mode: its record is evidence and cannot be withdrawn; "
    "send an update instead"
)


def categorise(
    incident: IncidentState, category: CauseCategory, *, actor: str, now: datetime
) -> Decision:
    """The incident with its cause category set (security mode entered for `security`), and
    a timeline entry for each change; nothing is sent."""
    new = copy.deepcopy(incident)
    entries: list[TimelineEntry] = []
    if category != incident.cause_category:
        new.cause_category = category
        entries.append(
            TimelineEntry(
                "cause_category",
                f"cause category {incident.cause_category} → {category}",
                actor,
                {"was": incident.cause_category.value, "category": category.value},
            )
        )
        if category != CauseCategory.UNKNOWN and incident.cause_identified_at is None:
            new.cause_identified_at = now
    if category == CauseCategory.SECURITY:
        entries.extend(_enter(new, actor=actor, now=now))
    return Decision(incident=new, timeline=tuple(entries))


def declared(
    decision: Decision,
    *,
    category: CauseCategory,
    security: bool,
    actor: str,
    now: datetime,
) -> Decision:
    """A declaration with its cause category and, for `security` (or that category), in
    security mode from the start; its timeline says so."""
    assert decision.incident is not None
    if category == CauseCategory.UNKNOWN and not security:
        return decision
    categorised = categorise(decision.incident, category, actor=actor, now=now)
    assert categorised.incident is not None
    entries = list(categorised.timeline)
    if security:
        entries.extend(_enter(categorised.incident, actor=actor, now=now))
    return replace(decision, incident=categorised.incident, timeline=(*decision.timeline, *entries))


def _enter(incident: IncidentState, *, actor: str, now: datetime) -> list[TimelineEntry]:
    if incident.security_since is not None:
        return []
    incident.security_since = now
    return [
        TimelineEntry(
            "security",
            "security mode entered: the security audience hears everything, others get the "
            "security templates, the status page shows neutral words",
            actor,
            {"security_since": now.isoformat()},
        )
    ]


def in_security_mode(incident: IncidentState) -> bool:
    return incident.security_since is not None


def staff_public(incident: IncidentState, public: bool | None) -> bool:
    """Whether a staff message may be shown on the status page: as staff said, else not in
    security mode (nothing that helps an attacker is published by default)."""
    if public is not None:
        return public
    return not in_security_mode(incident)


def refuse_retraction(incident: IncidentState) -> None:
    """TransitionError (HTTP 409) in security mode: a retraction would withdraw evidence."""
    if in_security_mode(incident):
        raise TransitionError(NO_RETRACTION)
