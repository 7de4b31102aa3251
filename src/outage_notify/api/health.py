"""Liveness and readiness."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request, Response, status

from outage_notify.api.schemas import Health
from outage_notify.store.engine import ping

log = logging.getLogger(__name__)
router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """The process is up."""
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
def readyz(request: Request, response: Response) -> Health:
    """The database and the broker both answer."""
    checks = {}
    try:
        ping(request.app.state.engine)
        checks["database"] = "ok"
    except Exception as error:
        checks["database"] = f"unavailable: {type(error).__name__}"
    try:
        request.app.state.enqueuer.ping()
        checks["broker"] = "ok"
    except Exception as error:
        checks["broker"] = f"unavailable: {type(error).__name__}"
    if all(value == "ok" for value in checks.values()):
        return Health(status="ok", checks=checks)
    response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return Health(status="unavailable", checks=checks)
