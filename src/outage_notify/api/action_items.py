"""Follow-ups of the post-incident analysis: staff set who owns one and whether it is done.

Created with `POST /api/v1/incidents/{id}/action-items` (`incident_records`); every change is
in the audit log.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request, status
from sqlalchemy import select

from outage_notify.actions import staff as staff_actions
from outage_notify.api.deps import Staff, action_context, clock_of, staff_router
from outage_notify.api.read_audit import audit_read
from outage_notify.api.record_schemas import ActionItemOut, ActionItemPatch
from outage_notify.api.schemas import MAX_ROW_ID, IncidentId
from outage_notify.store import revisions as revision_store
from outage_notify.store.engine import transaction
from outage_notify.store.tables import ActionItemRow

router = staff_router("/api/v1/incidents", "incidents")
ItemId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="The action item's id.")]


def _out(row: ActionItemRow) -> ActionItemOut:
    return ActionItemOut(
        id=row.id,
        incident_id=row.incident_id,
        text=row.text,
        owner=row.owner,
        status="done" if row.status == "done" else "open",
        created_at=row.created_at,
        created_by=row.created_by,
    )


@router.get(
    "/{incident_id}/action-items",
    response_model=list[ActionItemOut],
    dependencies=[Depends(audit_read)],
)
def list_action_items(
    request: Request, incident_id: IncidentId, principal: Staff
) -> list[ActionItemOut]:
    """The incident's action items, oldest first."""
    with transaction(request.app.state.sessions) as session:
        rows = session.scalars(
            select(ActionItemRow)
            .where(ActionItemRow.incident_id == incident_id)
            .order_by(ActionItemRow.id)
        ).all()
        return [_out(row) for row in rows]


@router.patch(
    "/{incident_id}/action-items/{item_id}",
    response_model=ActionItemOut,
    responses={404: {"description": "No such action item in this incident."}},
)
def patch_action_item(
    request: Request,
    incident_id: IncidentId,
    item_id: ItemId,
    body: ActionItemPatch,
    principal: Staff,
) -> ActionItemOut:
    """Set an action item's owner or status (`open`, `done`)."""
    with transaction(request.app.state.sessions) as session:
        row = session.get(ActionItemRow, item_id, with_for_update=True)
        if row is None or row.incident_id != incident_id:
            raise HTTPException(
                status.HTTP_404_NOT_FOUND,
                f"incident {incident_id} has no action item {item_id}",
            )
        before = {"owner": row.owner, "status": row.status}
        if body.owner is not None:
            row.owner = body.owner.strip()
        if body.status is not None:
            row.status = body.status
        revision_store.record(
            session,
            incident_id,
            at=clock_of(request).now(),
            actor=principal.name,
            changes={
                f"action_item:{row.id}.{name}": (old, getattr(row, name))
                for name, old in before.items()
            },
        )
        staff_actions.audit(
            session,
            action_context(request),
            principal,
            action="action_item_edit",
            incident_id=incident_id,
            detail={"action_item_id": row.id, **body.model_dump(exclude_none=True)},
        )
        session.flush()
        return _out(row)
