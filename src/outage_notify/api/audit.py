"""The audit log, for admins: every staff action, who (token name), when, from where."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from outage_notify.api.deps import DB, Admin, staff_router
from outage_notify.api.listing_schemas import AuditEntryOut, AuditPage
from outage_notify.api.schemas import PageSize
from outage_notify.store import audit as audit_store

router = staff_router("/api/v1/audit", "audit")
# Ids are BIGINT: a larger number is a 422 here, not a database error.
MAX_ID = 2**63 - 1


@router.get("", response_model=AuditPage)
def list_audit(
    db: DB,
    principal: Admin,
    incident_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    actor: Annotated[str | None, Query(max_length=100)] = None,
    limit: PageSize = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> AuditPage:
    """Audit entries, newest first; filter by incident or by token name."""
    rows, total = audit_store.entries(
        db, incident_id=incident_id, actor=actor, limit=limit, offset=offset
    )
    return AuditPage(
        items=[AuditEntryOut.model_validate(row, from_attributes=True) for row in rows],
        total=total,
        limit=limit,
        offset=offset,
    )
