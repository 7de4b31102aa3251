"""A new update's fields, from its incident and the draft a decision made.

One definition for what `store.incidents.add_update` stores and what
the preview (`incidents.update_preview`) shows staff before they send: a preview that drifted
from the stored update would promise a message other than the one that goes out.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from outage_notify.core.models import UpdateDraft
from outage_notify.core.records import IncidentRecord, UpdateScope


@dataclass(frozen=True)
class DraftUpdate:
    """An update as `store.incidents.add_update` stores it (satisfies `UpdateRecord`); the
    preview shows it without storing it (id 0, not planned)."""

    id: int
    incident_id: int
    kind: str
    message: str
    phase: str
    severity: str
    components: list[str]
    eta: datetime | None
    eta_previous: datetime | None
    next_update_at: datetime | None
    audiences: list[str] | None
    created_at: datetime
    created_by: str
    planned_at: datetime | None
    recipients: list[str] | None
    phase_change: bool
    public: bool
    staff_text: bool
    scope: UpdateScope | None


# What the store assigns, not the draft.
_ASSIGNED = frozenset({"id", "planned_at"})


def draft_update(incident: IncidentRecord, draft: UpdateDraft, *, now: datetime) -> DraftUpdate:
    """The update `draft` makes of `incident` at `now` (the incident as the decision left it)."""
    scope: UpdateScope | None = (
        {"added": list(draft.added), "restored": list(draft.restored)}
        if draft.added or draft.restored
        else None
    )
    return DraftUpdate(
        id=0,
        incident_id=incident.id,
        kind=draft.kind.value,
        message=draft.message,
        phase=draft.phase.value if draft.phase is not None else incident.phase,
        severity=incident.severity,
        components=list(incident.components),
        eta=incident.eta,
        eta_previous=draft.eta_previous,
        next_update_at=incident.next_update_at,
        audiences=list(draft.audiences) if draft.audiences is not None else None,
        created_at=now,
        created_by=draft.actor,
        planned_at=None,
        recipients=list(draft.recipients) if draft.recipients is not None else None,
        phase_change=draft.phase_change,
        public=draft.public,
        # Staff text only where there is text: an empty message shows the template's own.
        staff_text=draft.staff_text and bool(draft.message),
        scope=scope,
    )


def stored_fields(update: DraftUpdate) -> dict[str, Any]:
    """The columns `update` gives its stored row (all but the ones the store assigns)."""
    return {f.name: getattr(update, f.name) for f in fields(update) if f.name not in _ASSIGNED}
