"""The incident's phase moves, each written once (pure): open, back to investigating (a reopen,
or a fix that did not hold), start verifying, and close (resolve or retract).

Whatever decides a move (a monitoring signal in `lifecycle`, a mail round trip in
`verification`, staff in `lifecycle` or `corrections`, the resolve hold) calls these, so every
way into a phase leaves the incident, the update and the timeline in the same shape.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any, TypedDict, Unpack

from outage_notify.core.errors import TransitionError
from outage_notify.core.models import IncidentState, Phase, Severity, UpdateDraft, UpdateKind
from outage_notify.incidents.decisions import Decision, TimelineEntry
from outage_notify.incidents.eta_rules import check_staff_eta, clear_eta_on_reopen
from outage_notify.incidents.phases import next_update_at


def open_incident(
    *,
    service: str,
    title: str,
    summary: str,
    severity: Severity,
    phase: Phase,
    components: Collection[str],
    groups: list[str],
    actor: str,
    how: str,
    now: datetime,
    cadence_minutes: Mapping[Severity, int],
    eta: datetime | None = None,
    message: str = "",
    staff_text: bool = False,
    extra: tuple[TimelineEntry, ...] = (),
) -> Decision:
    """A new incident in `phase`, held open by `groups`; everyone routed hears `opened`.

    `how` ends the timeline's transition entry ("opened as detected", "declared by staff ...").
    """
    incident = IncidentState(
        service=service,
        title=title,
        summary=summary,
        severity=severity,
        phase=phase,
        components=sorted(set(components)),
        opened_at=now,
        eta=eta,
        next_update_at=next_update_at(severity, now=now, cadence_minutes=cadence_minutes),
        active_groups=list(groups),
    )
    return _moved(
        incident,
        (*extra, TimelineEntry("transition", how, actor)),
        kind=UpdateKind.OPENED,
        phase=phase,
        actor=actor,
        message=message,
        eta=eta,
        staff_text=staff_text,
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
    **announce: Unpack[Announcement],
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
    new.resolved_at = None
    new.active_groups = list(groups)
    new.components = list(components if components is not None else incident.components)
    new.severity = severity or incident.severity
    new.alerts_clear_since = None
    return back_to_investigating(
        new, actor=actor, reason=reason, now=now, cadence_minutes=cadence_minutes, **announce
    )


class Announcement(TypedDict, total=False):
    """What a move back to investigating tells, as `back_to_investigating` takes it (its
    defaults apply to what is left out): `reopen` hands these on unchanged."""

    message: str
    public: bool
    staff_text: bool
    eta: datetime | None
    extra: tuple[TimelineEntry, ...]


def back_to_investigating(
    new: IncidentState,
    *,
    actor: str,
    reason: str,
    now: datetime,
    cadence_minutes: Mapping[Severity, int],
    message: str = "",
    public: bool = False,
    staff_text: bool = False,
    eta: datetime | None = None,
    extra: tuple[TimelineEntry, ...] = (),
) -> Decision:
    """`new` (a copy, resolved or verifying) goes back to investigating with a `reopened` update.

    The fix did not hold: the passes counted so far and the old ETA no longer mean anything;
    a new `eta` from staff is announced as an estimate.
    """
    check_staff_eta(eta, now=now)
    previous = new.phase
    new.phase = Phase.INVESTIGATING
    new.verify_passes = 0
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
    # A reopen records its phases as data (a reason may hold any word or colon); the entry of a
    # fix that failed verification never did, and stored timelines stay as they were.
    phases: dict[str, Any] = {}
    if previous == Phase.RESOLVED:
        phases = {"from": previous.value, "to": Phase.INVESTIGATING.value}
    return _moved(
        new,
        (
            *extra,
            *eta_entries,
            TimelineEntry("transition", f"{previous} → investigating: {reason}", actor, phases),
        ),
        kind=UpdateKind.REOPENED,
        phase=Phase.INVESTIGATING,
        actor=actor,
        message=message,
        eta=eta,
        public=public,
        staff_text=staff_text,
    )


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


def mark_resolved(
    new: IncidentState,
    *,
    message: str,
    actor: str,
    now: datetime,
    extra: tuple[TimelineEntry, ...],
    **told: Unpack[Told],
) -> Decision:
    """`new` (a copy) is resolved; everyone told of it hears `resolved`."""
    previous = new.phase
    # The ETA is closed: a resolution never mentions one, and a reopen starts without one.
    new.eta = None
    return close(
        new,
        kind=UpdateKind.RESOLVED,
        resolved_at=now,
        message=message,
        actor=actor,
        timeline=(*extra, TimelineEntry("transition", f"{previous} → resolved", actor)),
        **told,
    )


class Told(TypedDict, total=False):
    """How the closing update is told, as `close` takes it (its defaults apply to what is
    left out): `mark_resolved` hands these on unchanged."""

    public: bool
    staff_text: bool


def close(
    new: IncidentState,
    *,
    kind: UpdateKind,
    resolved_at: datetime,
    message: str,
    actor: str,
    timeline: tuple[TimelineEntry, ...],
    public: bool = False,
    staff_text: bool = False,
) -> Decision:
    """`new` (a copy) moves to resolved: nothing holds it open and no update is due any more.

    `kind` is `resolved` (`mark_resolved`) or `retracted` (`corrections.retract`).
    """
    new.phase = Phase.RESOLVED
    new.resolved_at = resolved_at
    new.next_update_at = None
    new.active_groups = []
    new.alerts_clear_since = None
    return _moved(
        new,
        timeline,
        kind=kind,
        phase=Phase.RESOLVED,
        actor=actor,
        message=message,
        public=public,
        staff_text=staff_text,
    )


def _moved(
    incident: IncidentState,
    timeline: tuple[TimelineEntry, ...],
    *,
    kind: UpdateKind,
    phase: Phase,
    actor: str,
    message: str = "",
    eta: datetime | None = None,
    public: bool = False,
    staff_text: bool = False,
) -> Decision:
    """The decision of an opening or a move to `phase`: the incident, the update that tells
    everyone told of it (a phase change: always worth an SMS), and the timeline."""
    update = UpdateDraft(
        kind=kind,
        message=message,
        phase=phase,
        eta=eta,
        actor=actor,
        phase_change=True,
        public=public,
        staff_text=staff_text,
    )
    return Decision(incident=incident, update=update, timeline=timeline)
