"""What every incident transition returns (pure): a `Decision` and its timeline entries.

A decision is the incident as it should become, the update to send (if any) and what goes on
the timeline; `store.incidents.save_decision` persists it. Nothing here touches a database, a
queue or a clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from outage_notify.core.models import IncidentState, UpdateDraft


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


def scope_entry(added: tuple[str, ...], restored: tuple[str, ...], actor: str) -> TimelineEntry:
    """The timeline's record of a change of the affected components."""
    changes = [f"+{c}" for c in added] + [f"-{c}" for c in restored]
    return TimelineEntry(
        "components",
        "components: " + " ".join(changes),
        actor,
        {"added": list(added), "restored": list(restored)},
    )


def rescope(
    new: IncidentState, before: IncidentState, components: list[str], actor: str
) -> tuple[tuple[str, ...], tuple[str, ...], TimelineEntry | None]:
    """Set `new`'s affected components; what was added, what works again, and the entry.

    The entry is None when the set did not change.
    """
    new.components = sorted(set(components))
    added = tuple(sorted(set(new.components) - set(before.components)))
    restored = tuple(sorted(set(before.components) - set(new.components)))
    if not added and not restored:
        return added, restored, None
    return added, restored, scope_entry(added, restored, actor)
