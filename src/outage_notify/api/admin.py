"""Admin operations on a running API process: reload the contacts and templates (issue 16).

`POST /api/v1/admin/reload` reloads this process's snapshot (and, in embedded mode, its
worker's: they share it). It answers 200 with the new hash, or 422 when the folders were
refused: the old snapshot stays in force, and /readyz and /metrics say so until a reload
passes. Workers of the distributed mode reload through the broker (`outage-notify reload`).
"""

from __future__ import annotations

import logging

from fastapi import Request, status
from fastapi.responses import JSONResponse

from outage_notify.actions.staff import audit
from outage_notify.api.deps import Admin, action_context, config_of, staff_router
from outage_notify.api.schemas import ReloadOut
from outage_notify.store.engine import transaction

log = logging.getLogger(__name__)
router = staff_router("/api/v1/admin", "admin")


@router.post(
    "/reload",
    response_model=ReloadOut,
    responses={422: {"model": ReloadOut, "description": "Refused; the old snapshot stays."}},
)
def reload(request: Request, principal: Admin) -> JSONResponse:
    """Load and validate the contacts, routing and templates folders again, and use them."""
    outcome = config_of(request).reload()
    ctx = action_context(request)
    with transaction(ctx.sessions) as session:
        audit(
            session,
            ctx,
            principal,
            action="reload_config",
            incident_id=None,
            detail={"hash": outcome.hash, "changed": outcome.changed, "error": outcome.error},
        )
    body = ReloadOut(hash=outcome.hash, changed=outcome.changed, error=outcome.error)
    code = status.HTTP_200_OK if outcome.error is None else status.HTTP_422_UNPROCESSABLE_CONTENT
    return JSONResponse(body.model_dump(), status_code=code)
