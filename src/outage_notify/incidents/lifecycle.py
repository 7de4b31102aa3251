"""What each input does to an incident (pure): a monitoring signal, a staff declaration, update
or resolution.

Each function takes the incident as it is and returns a `Decision` (`incidents.decisions`): the
incident as it should become, the update to send (if any) and what goes on the timeline. The
phase moves themselves are written once, in `incidents.transitions`; the allowed moves and the
update cadence in `incidents.phases`. Nothing here touches a database, a queue or a clock: `now`
is always passed in. The names of those modules stay importable from here, as callers know them.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime, timedelta

from outage_notify.contacts.components import EMPTY, ComponentCatalogue
from outage_notify.core.errors import TransitionError
from outage_notify.core.models import (
    AlertEvent,
    AlertStatus,
    IncidentState,
    Phase,
    Severity,
    UpdateDraft,
    UpdateKind,
)
from outage_notify.incidents.decisions import Decision, TimelineEntry, rescope, scope_entry
from outage_notify.incidents.eta_rules import check_staff_eta
from outage_notify.incidents.phases import (
    ALLOWED_TRANSITIONS,
    PhaseTransition,
    check_transition,
    next_update_at,
    phase_transition,
)
from outage_notify.incidents.transitions import (
    mark_resolved,
    open_incident,
    reopen,
    start_verifying,
)

__all__ = [
    "ALLOWED_TRANSITIONS",
    "STAFF_GROUP",
    "Decision",
    "PhaseTransition",
    "TimelineEntry",
    "TransitionError",
    "apply_alert",
    "check_transition",
    "declare",
    "mark_resolved",
    "next_update_at",
    "phase_transition",
    "reopen",
    "resolve",
    "scope_entry",
    "staff_update",
    "start_verifying",
]

# The group that keeps a staff-declared incident open until staff resolve it.
STAFF_GROUP = "staff:declared"


def apply_alert(
    incident: IncidentState | None,
    event: AlertEvent,
    *,
    now: datetime,
    cadence_minutes: Mapping[Severity, int],
    hold_down: timedelta = timedelta(0),
    verify: bool = False,
    catalogue: ComponentCatalogue = EMPTY,
) -> Decision:
    """Open, grow, reopen or close an incident from one monitoring signal.

    `incident` is the service's open incident, else its latest resolved one. A firing alert
    within `hold_down` of that resolution reopens it rather than opening a new incident. With
    `verify`, monitoring's all-clear moves the incident to verifying; mail probes resolve it.
    """
    alert_entry = TimelineEntry(
        kind="alert",
        text=f"{event.source} {event.status}: {event.summary}",
        actor=event.source,
        data={
            "group": event.group_key,
            "severity": event.severity,
            "components": list(event.components),
            "started_at": event.started_at.isoformat() if event.started_at else None,
        },
    )
    if incident is None or incident.phase == Phase.RESOLVED:
        if event.status == AlertStatus.RESOLVED:
            # A resolution for something we never opened (or already closed) tells nobody.
            return Decision(incident=None)
        if (
            incident is not None
            and incident.resolved_at
            and now - incident.resolved_at <= hold_down
            # A retracted incident was a mistake: an alert now is news of its own.
            and incident.retracted_at is None
        ):
            # Flapping: the same outage is back, not a new one.
            return _reopen(
                incident, event, now=now, cadence_minutes=cadence_minutes, entry=alert_entry
            )
        return _open_from_alert(event, now=now, cadence_minutes=cadence_minutes, entry=alert_entry)
    if event.status == AlertStatus.FIRING:
        return _grow(
            incident,
            event,
            now=now,
            cadence_minutes=cadence_minutes,
            entry=alert_entry,
            catalogue=catalogue,
        )
    return _clear_group(incident, event, now=now, verify=verify, entry=alert_entry)


def _reopen(
    incident: IncidentState,
    event: AlertEvent,
    *,
    now: datetime,
    cadence_minutes: Mapping[Severity, int],
    entry: TimelineEntry,
) -> Decision:
    raised = incident.severity
    if event.severity.rank > incident.severity.rank:
        raised = event.severity
    return reopen(
        incident,
        actor=event.source,
        reason="the alert fired again within the hold-down",
        now=now,
        cadence_minutes=cadence_minutes,
        groups=[event.group_key],
        components=sorted(set(incident.components) | set(event.components)),
        severity=raised,
        extra=(entry,),
    )


def _open_from_alert(
    event: AlertEvent,
    *,
    now: datetime,
    cadence_minutes: Mapping[Severity, int],
    entry: TimelineEntry,
) -> Decision:
    return open_incident(
        service=event.service,
        title=event.summary,
        summary=event.description,
        severity=event.severity,
        phase=Phase.DETECTED,
        components=event.components,
        groups=[event.group_key],
        actor=event.source,
        how="opened as detected",
        now=now,
        cadence_minutes=cadence_minutes,
        extra=(entry,),
    )


def _grow(
    incident: IncidentState,
    event: AlertEvent,
    *,
    now: datetime,
    cadence_minutes: Mapping[Severity, int],
    entry: TimelineEntry,
    catalogue: ComponentCatalogue,
) -> Decision:
    new = copy.deepcopy(incident)
    if event.group_key not in new.active_groups:
        new.active_groups.append(event.group_key)
    added = sorted(set(event.components) - set(incident.components))
    new.components = sorted(set(incident.components) | set(event.components))
    rose = event.severity.rank > incident.severity.rank
    if rose:
        new.severity = event.severity
    if not added and not rose:
        # A repeat or another alert about what people already know: record it, say nothing.
        return Decision(incident=new, timeline=(entry,))
    new.next_update_at = next_update_at(new.severity, now=now, cadence_minutes=cadence_minutes)
    # No text of its own: the templates word the news in each reader's language (the scope
    # line "now also affected: …", the severity in management's header). Users read it, so a
    # label the catalogue does not list (it may be a host name) is named only as the service,
    # and only when no listed component says it; the alert's timeline entry keeps every label.
    named = [c for c in added if catalogue.known(c)]
    return Decision(
        incident=new,
        update=UpdateDraft(kind=UpdateKind.UPDATE, actor=event.source, added=tuple(named or added)),
        timeline=(entry,),
    )


def _clear_group(
    incident: IncidentState, event: AlertEvent, *, now: datetime, verify: bool, entry: TimelineEntry
) -> Decision:
    new = copy.deepcopy(incident)
    if event.group_key in new.active_groups:
        new.active_groups.remove(event.group_key)
    if new.active_groups:
        return Decision(incident=new, timeline=(entry,))
    if verify:
        return start_verifying(new, actor=event.source, extra=(entry,))
    return mark_resolved(new, message="", actor=event.source, now=now, extra=(entry,))


def declare(
    *,
    title: str,
    summary: str,
    severity: Severity,
    components: list[str],
    eta: datetime | None,
    actor: str,
    now: datetime,
    cadence_minutes: Mapping[Severity, int],
    service: str = "email",
) -> Decision:
    """Staff declare an outage (e.g. from user reports); it starts as investigating."""
    check_staff_eta(eta, now=now)
    return open_incident(
        service=service,
        title=title,
        summary=summary,
        severity=severity,
        phase=Phase.INVESTIGATING,
        components=components,
        # Staff declared it, so staff resolve it: an alert that joins and clears must not.
        groups=[STAFF_GROUP],
        actor=actor,
        how="declared by staff as investigating",
        now=now,
        cadence_minutes=cadence_minutes,
        eta=eta,
        message=summary,
        staff_text=True,
    )


def staff_update(
    incident: IncidentState,
    *,
    message: str,
    phase: Phase | None,
    eta: datetime | None,
    audiences: tuple[str, ...] | None,
    actor: str,
    now: datetime,
    cadence_minutes: Mapping[Severity, int],
    eta_threshold: timedelta = timedelta(0),
    announce_eta: bool = False,
    public: bool = True,
    components: list[str] | None = None,
) -> Decision:
    """A progress update from staff, possibly with a new phase, ETA or affected components.

    Its message is public (status page, feed) unless `public` is false or `audiences` narrows
    who is told: text for chosen audiences is not for everyone. New `components` replace the
    affected ones; the update tells what is now also affected and what works again.
    """
    if incident.retracted_at is not None:
        raise TransitionError("the incident was retracted as a mistake; it takes no updates")
    if incident.phase == Phase.RESOLVED:
        raise TransitionError(
            "the incident is resolved; reopen it first with "
            f"POST /api/v1/incidents/{incident.id}/reopen"
        )
    if phase == Phase.RESOLVED:
        raise TransitionError("use the resolve endpoint to resolve an incident")
    if eta != incident.eta:
        check_staff_eta(eta, now=now)
    new = copy.deepcopy(incident)
    entries = []
    if phase is not None and phase != incident.phase:
        check_transition(incident.phase, phase)
        new.phase = phase
        if phase == Phase.VERIFYING:
            new.verify_passes = 0
        entries.append(TimelineEntry("transition", f"{incident.phase} → {phase}", actor))
    added: tuple[str, ...] = ()
    restored: tuple[str, ...] = ()
    if components is not None:
        added, restored, scope = rescope(new, incident, components, actor)
        if scope is not None:
            entries.append(scope)
    kind = UpdateKind.UPDATE
    eta_previous = None
    if eta is not None and eta != incident.eta:
        eta_previous = incident.eta
        moved = incident.eta is None or abs(eta - incident.eta) > eta_threshold
        # A small correction rides along in a plain update; a real move is announced.
        if moved or announce_eta:
            kind = UpdateKind.ETA_CHANGED
        new.eta = eta
        entries.append(
            TimelineEntry(
                "eta",
                f"ETA set to {eta.isoformat()}",
                actor,
                {"eta": eta.isoformat(), "announced": kind == UpdateKind.ETA_CHANGED},
            )
        )
    new.next_update_at = next_update_at(new.severity, now=now, cadence_minutes=cadence_minutes)
    draft = UpdateDraft(
        kind=kind,
        message=message,
        phase=new.phase,
        eta=new.eta,
        eta_previous=eta_previous,
        audiences=audiences,
        actor=actor,
        phase_change=new.phase != incident.phase,
        public=public and audiences is None,
        staff_text=True,
        added=added,
        restored=restored,
    )
    return Decision(incident=new, update=draft, timeline=tuple(entries))


def resolve(
    incident: IncidentState,
    *,
    message: str,
    actor: str,
    now: datetime,
    passes_required: int = 0,
    override_reason: str = "",
    public: bool = True,
) -> Decision:
    """Staff close the incident and tell everyone who heard about it.

    With mail probes on (`passes_required` > 0), staff may resolve before the probes have
    passed only with a written reason, which goes on the timeline. Staff's message is public
    unless `public` is false.
    """
    if incident.phase == Phase.RESOLVED:
        raise TransitionError("the incident is already resolved")
    extra: tuple[TimelineEntry, ...] = ()
    if passes_required and incident.verify_passes < passes_required:
        if not override_reason.strip():
            raise TransitionError(
                f"mail round trips have not passed yet ({incident.verify_passes} of "
                f"{passes_required}); give an override_reason to resolve anyway"
            )
        extra = (
            TimelineEntry("override", f"resolved before verification: {override_reason}", actor),
        )
    return mark_resolved(
        copy.deepcopy(incident),
        message=message,
        actor=actor,
        now=now,
        extra=extra,
        public=public,
        staff_text=True,
    )
