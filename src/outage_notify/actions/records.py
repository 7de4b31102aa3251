"""Staff records on an incident that tell nobody: action items and corrections of the record
(title, severity, components, lead, root cause, public title, cause category).

One transaction each, with its timeline entry, its revision (the old values, append-only) and
its audit entry; the API (`api/incident_records.py`) and the console call these.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from outage_notify.actions.staff import ActionContext, Principal, audit, incident_or_error
from outage_notify.core.models import CauseCategory, Severity
from outage_notify.incidents import corrections, security
from outage_notify.store import incidents as incident_store
from outage_notify.store import revisions as revision_store
from outage_notify.store.engine import transaction
from outage_notify.store.mappers import incident_state
from outage_notify.store.tables import ActionItemRow, IncidentRow


def add_action_item(
    ctx: ActionContext, principal: Principal, incident_id: int, *, text: str, owner: str = ""
) -> int:
    """A follow-up for the post-incident report; its id. NoSuchIncident when there is none."""
    with transaction(ctx.sessions) as session:
        incident_or_error(session, incident_id)
        row = ActionItemRow(
            incident_id=incident_id,
            text=text,
            owner=owner,
            created_at=ctx.clock.now(),
            created_by=principal.name,
        )
        session.add(row)
        session.flush()
        audit(
            session,
            ctx,
            principal,
            action="action_item",
            incident_id=incident_id,
            detail={"action_item_id": row.id, "text": text, "owner": owner},
        )
        return row.id


def edit_incident(
    ctx: ActionContext,
    principal: Principal,
    incident_id: int,
    *,
    title: str | None = None,
    severity: Severity | None = None,
    components: Sequence[str] | None = None,
    lead: str | None = None,
    root_cause: str | None = None,
    public_title: str | None = None,
    cause_category: CauseCategory | None = None,
    detail: Mapping[str, Any],
) -> IncidentRow:
    """Correct or complete the record (None leaves a field); the incident as saved (detached).

    Tells nobody: to tell people of a change of components, send an update instead.
    """
    now = ctx.clock.now()
    with transaction(ctx.sessions) as session:
        row = incident_or_error(session, incident_id, for_update=True)
        before = _record(row)
        decision = corrections.edit(
            incident_state(row),
            title=title,
            severity=severity,
            components=list(components) if components is not None else None,
            actor=principal.name,
        )
        if cause_category is not None:
            assert decision.incident is not None
            categorised = security.categorise(
                decision.incident, cause_category, actor=principal.name, now=now
            )
            decision = replace(categorised, timeline=(*decision.timeline, *categorised.timeline))
        incident_store.save_decision(session, decision, row=row, now=now, actor=principal.name)
        changes: list[str] = []
        if lead is not None:
            row.lead = lead
            changes.append(f"lead set to {lead or 'nobody'}")
        if root_cause is not None:
            row.root_cause = root_cause
            changes.append("root cause recorded")
        if public_title is not None:
            row.public_title = public_title.strip()
            changes.append(f"public title set to {row.public_title or 'the default'}")
        if changes:
            incident_store.add_timeline(
                session,
                incident_id,
                at=now,
                actor=principal.name,
                kind="edit",
                text="; ".join(changes),
            )
        after = _record(row)
        # Every change keeps its old value as a revision: in security mode the evidence.
        revision_store.record(
            session,
            incident_id,
            at=now,
            actor=principal.name,
            changes={name: (before[name], after[name]) for name in before},
        )
        if changes or decision.timeline:
            audit(session, ctx, principal, action="edit", incident_id=incident_id, detail=detail)
        session.flush()
        return row


def _record(row: IncidentRow) -> dict[str, object]:
    """The staff-editable fields of the record, as JSON values (for revisions)."""
    return {
        "title": row.title,
        "severity": row.severity,
        "components": list(row.components),
        "lead": row.lead,
        "root_cause": row.root_cause,
        "public_title": row.public_title,
        "cause_category": row.cause_category,
    }
