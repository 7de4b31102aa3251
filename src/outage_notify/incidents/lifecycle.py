"""Incident phases, transitions and the updates they produce (pure).

Each function takes the incident as it is and returns a `Decision`: the incident as it should
become, the update to send (if any) and what goes on the timeline. Nothing here touches a
database, a queue or a clock: `now` is always passed in.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

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
from outage_notify.incidents.eta_rules import check_staff_eta, clear_eta_on_reopen

# Reopening goes back to investigating; everything else moves forward or sideways while open.
ALLOWED_TRANSITIONS: Mapping[Phase, frozenset[Phase]] = {
    Phase.DETECTED: frozenset(
        {Phase.INVESTIGATING, Phase.IDENTIFIED, Phase.FIXING, Phase.VERIFYING, Phase.RESOLVED}
    ),
    Phase.INVESTIGATING: frozenset(
        {Phase.IDENTIFIED, Phase.FIXING, Phase.VERIFYING, Phase.RESOLVED}
    ),
    Phase.IDENTIFIED: frozenset(
        {Phase.INVESTIGATING, Phase.FIXING, Phase.VERIFYING, Phase.RESOLVED}
    ),
    Phase.FIXING: frozenset(
        {Phase.INVESTIGATING, Phase.IDENTIFIED, Phase.VERIFYING, Phase.RESOLVED}
    ),
    Phase.VERIFYING: frozenset({Phase.INVESTIGATING, Phase.FIXING, Phase.RESOLVED}),
    Phase.RESOLVED: frozenset({Phase.INVESTIGATING}),
}


# The group that keeps a staff-declared incident open until staff resolve it.
STAFF_GROUP = "staff:declared"


@dataclass(frozen=True)
class TimelineEntry:
    kind: str
    text: str
    actor: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    """What should happen: the new incident state, an update to send, timeline entries."""

    incident: IncidentState | None
    update: UpdateDraft | None = None
    timeline: tuple[TimelineEntry, ...] = ()


@dataclass(frozen=True)
class PhaseTransition:
    """A change of phase as the report reads it: from (None: opened), to, and who moved it."""

    from_phase: Phase | None
    to_phase: Phase
    actor: str


def phase_transition(
    before: Phase | None, decision: Decision, *, actor: str
) -> PhaseTransition | None:
    """The phase change `decision` makes to an incident that was in `before` (None: new).

    The one place a phase change is recognised: every decision is saved through it
    (`store.incidents.save_decision`), so opening, staff moves, verification, resolution and
    any reopen are recorded alike, whichever function decided them. The actor is the one named
    on the decision's transition entry, else on its update, else `actor`.
    """
    if decision.incident is None or decision.incident.phase == before:
        return None
    named = [e.actor for e in decision.timeline if e.kind == "transition" and e.actor]
    if decision.update is not None and decision.update.actor:
        named.append(decision.update.actor)
    return PhaseTransition(before, decision.incident.phase, named[0] if named else actor)


def check_transition(current: Phase, target: Phase) -> None:
    """Raise TransitionError unless the lifecycle allows `current` → `target`."""
    if target != current and target not in ALLOWED_TRANSITIONS[current]:
        raise TransitionError(f"an incident cannot go from {current} to {target}")


def next_update_at(
    severity: Severity, *, now: datetime, cadence_minutes: Mapping[Severity, int]
) -> datetime:
    """When stakeholders were promised the next update, by severity."""
    return now + timedelta(minutes=cadence_minutes.get(severity, 60))


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


def reopen(
    incident: IncidentState,
    *,
    actor: str,
    reason: str,
    now: datetime,
    cadence_minutes: Mapping[Severity, int],
    groups: list[str],
    components: list[str] | None = None,
    severity: Severity | None = None,
    message: str = "",
    public: bool = False,
    staff_text: bool = False,
    eta: datetime | None = None,
    extra: tuple[TimelineEntry, ...] = (),
) -> Decision:
    """A resolved incident is back to investigating; everyone told of it hears `reopened`.

    The one reopen of a resolved incident, whether an alert fired again or staff reopened it.
    The old ETA is never re-announced (`clear_eta_on_reopen`): the message says "no new
    estimate yet; next update by ..." unless staff give a new `eta` with the reopen, which is
    then announced as an estimate, not as a change.
    """
    if incident.phase != Phase.RESOLVED:
        raise TransitionError("only a resolved incident can be reopened; send an update instead")
    if incident.retracted_at is not None:
        raise TransitionError(
            "the incident was retracted as a mistake; declare a new incident instead"
        )
    new = copy.deepcopy(incident)
    new.phase = Phase.INVESTIGATING
    new.resolved_at = None
    new.active_groups = list(groups)
    new.components = list(components if components is not None else incident.components)
    new.severity = severity or incident.severity
    check_staff_eta(eta, now=now)
    new.verify_passes = 0
    new.alerts_clear_since = None
    new.next_update_at = next_update_at(new.severity, now=now, cadence_minutes=cadence_minutes)
    clear_eta_on_reopen(new)
    new.eta = eta
    eta_entries: tuple[TimelineEntry, ...] = ()
    if eta is not None:
        eta_entries = (
            TimelineEntry(
                "eta",
                f"ETA set to {eta.isoformat()}",
                actor,
                {"eta": eta.isoformat(), "announced": True},
            ),
        )
    return Decision(
        incident=new,
        update=UpdateDraft(
            kind=UpdateKind.REOPENED,
            message=message,
            phase=Phase.INVESTIGATING,
            eta=eta,
            actor=actor,
            phase_change=True,
            public=public,
            staff_text=staff_text,
        ),
        timeline=(
            *extra,
            *eta_entries,
            TimelineEntry(
                "transition",
                f"resolved → investigating: {reason}",
                actor,
                # The phase as data: a reason may hold any word or colon.
                {"from": Phase.RESOLVED.value, "to": Phase.INVESTIGATING.value},
            ),
        ),
    )


def _open_from_alert(
    event: AlertEvent,
    *,
    now: datetime,
    cadence_minutes: Mapping[Severity, int],
    entry: TimelineEntry,
) -> Decision:
    incident = IncidentState(
        service=event.service,
        title=event.summary,
        summary=event.description,
        severity=event.severity,
        phase=Phase.DETECTED,
        components=sorted(set(event.components)),
        opened_at=now,
        next_update_at=next_update_at(event.severity, now=now, cadence_minutes=cadence_minutes),
        active_groups=[event.group_key],
    )
    return Decision(
        incident=incident,
        update=UpdateDraft(
            kind=UpdateKind.OPENED, phase=Phase.DETECTED, actor=event.source, phase_change=True
        ),
        timeline=(entry, TimelineEntry("transition", "opened as detected", event.source)),
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


def start_verifying(
    new: IncidentState, *, actor: str, extra: tuple[TimelineEntry, ...] = (), announce: bool = True
) -> Decision:
    """Monitoring says it is fixed: hold the resolution until mail really flows (SOP step 5)."""
    previous = new.phase
    new.phase = Phase.VERIFYING
    new.verify_passes = 0
    new.alerts_clear_since = None
    entry = TimelineEntry("transition", f"{previous} → verifying", actor)
    update = None
    if announce:
        update = UpdateDraft(
            kind=UpdateKind.UPDATE, phase=Phase.VERIFYING, actor=actor, phase_change=True
        )
    return Decision(incident=new, update=update, timeline=(*extra, entry))


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
    incident = IncidentState(
        service=service,
        title=title,
        summary=summary,
        severity=severity,
        phase=Phase.INVESTIGATING,
        components=sorted(set(components)),
        opened_at=now,
        eta=eta,
        next_update_at=next_update_at(severity, now=now, cadence_minutes=cadence_minutes),
        # Staff declared it, so staff resolve it: an alert that joins and clears must not.
        active_groups=[STAFF_GROUP],
    )
    return Decision(
        incident=incident,
        update=UpdateDraft(
            kind=UpdateKind.OPENED,
            message=summary,
            phase=Phase.INVESTIGATING,
            eta=eta,
            actor=actor,
            phase_change=True,
            staff_text=True,
        ),
        timeline=(TimelineEntry("transition", "declared by staff as investigating", actor),),
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
        new.components = sorted(set(components))
        added = tuple(sorted(set(new.components) - set(incident.components)))
        restored = tuple(sorted(set(incident.components) - set(new.components)))
        if added or restored:
            entries.append(scope_entry(added, restored, actor))
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


def scope_entry(added: tuple[str, ...], restored: tuple[str, ...], actor: str) -> TimelineEntry:
    """The timeline's record of a change of the affected components."""
    changes = [f"+{c}" for c in added] + [f"-{c}" for c in restored]
    return TimelineEntry(
        "components",
        "components: " + " ".join(changes),
        actor,
        {"added": list(added), "restored": list(restored)},
    )


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


def mark_resolved(
    new: IncidentState,
    *,
    message: str,
    actor: str,
    now: datetime,
    extra: tuple[TimelineEntry, ...],
    public: bool = False,
    staff_text: bool = False,
) -> Decision:
    previous = new.phase
    new.phase = Phase.RESOLVED
    new.resolved_at = now
    # The ETA is closed: a resolution never mentions one, and a reopen starts without one.
    new.eta = None
    new.next_update_at = None
    new.active_groups = []
    new.alerts_clear_since = None
    return Decision(
        incident=new,
        update=UpdateDraft(
            kind=UpdateKind.RESOLVED,
            message=message,
            phase=Phase.RESOLVED,
            actor=actor,
            phase_change=True,
            public=public,
            staff_text=staff_text,
        ),
        timeline=(*extra, TimelineEntry("transition", f"{previous} → resolved", actor)),
    )
