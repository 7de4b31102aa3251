"""Rows to domain models and back: one mapper per row type, the only place that parses a
stored string (phase, severity) into its enum.

The pure packages read the other rows through `core.records` protocols and need no copy.
"""

from __future__ import annotations

from outage_notify.core.models import CauseCategory, IncidentState, Phase, Severity
from outage_notify.store.tables import IncidentRow


def incident_state(row: IncidentRow) -> IncidentState:
    """The domain's incident (what the lifecycle decides on) from its row."""
    return IncidentState(
        id=row.id,
        service=row.service,
        title=row.title,
        summary=row.summary,
        severity=Severity(row.severity),
        phase=Phase(row.phase),
        components=list(row.components),
        opened_at=row.opened_at,
        eta=row.eta,
        next_update_at=row.next_update_at,
        resolved_at=row.resolved_at,
        active_groups=list(row.active_groups),
        notified_audiences={k: [dict(f) for f in v] for k, v in row.notified_audiences.items()},
        lead=row.lead,
        verify_passes=row.verify_passes,
        reminded_for=row.reminded_for,
        alerts_clear_since=row.alerts_clear_since,
        retracted_at=row.retracted_at,
        cause_category=CauseCategory(row.cause_category),
        cause_identified_at=row.cause_identified_at,
        security_since=row.security_since,
    )


def copy_incident_state(row: IncidentRow, state: IncidentState) -> None:
    """Write what the lifecycle decided back into the row (public_title, root_cause and
    created_by are staff's, set where staff set them)."""
    row.service = state.service
    row.title = state.title
    row.summary = state.summary
    row.severity = state.severity.value
    row.phase = state.phase.value
    row.components = list(state.components)
    row.eta = state.eta
    row.next_update_at = state.next_update_at
    row.resolved_at = state.resolved_at
    row.active_groups = list(state.active_groups)
    row.notified_audiences = {k: list(v) for k, v in state.notified_audiences.items()}
    row.lead = state.lead
    row.verify_passes = state.verify_passes
    row.reminded_for = state.reminded_for
    row.alerts_clear_since = state.alerts_clear_since
    row.retracted_at = state.retracted_at
    row.cause_category = state.cause_category.value
    row.cause_identified_at = state.cause_identified_at
    row.security_since = state.security_since
