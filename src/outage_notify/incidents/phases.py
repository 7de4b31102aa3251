"""Incident phases (pure): which moves the lifecycle allows, when the next update is due, and
how a decision's phase change is recognised for the report.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from outage_notify.core.errors import TransitionError
from outage_notify.core.models import Phase, Severity
from outage_notify.incidents.decisions import Decision

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
