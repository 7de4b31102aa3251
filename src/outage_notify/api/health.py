"""Liveness and readiness."""

from __future__ import annotations

import logging
from dataclasses import replace

from fastapi import APIRouter, Request, Response, status

from outage_notify.api.deps import config_of
from outage_notify.api.schemas import ConfigOut, Health, Readiness
from outage_notify.core.redaction import mask_phones
from outage_notify.store.engine import ping

log = logging.getLogger(__name__)
router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """The process is up."""
    return Health(status="ok")


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
def readyz(request: Request, response: Response) -> Readiness:
    """The database and the broker both answer. The `config` check says which contacts and
    templates snapshot is in force, and "degraded" while the last reload was refused: still
    ready (the old snapshot works), but the files on disk are not what runs."""
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
    # Public, like the rest of /readyz: a refused contact file's numbers are masked.
    config = config_of(request).status()
    if config.error is not None:
        config = replace(config, error=mask_phones(config.error))
    ready = all(value == "ok" for value in checks.values())
    if config.error is None:
        checks["config"] = f"ok: snapshot {config.hash}"
    else:
        checks["config"] = (
            f"degraded: reload refused, snapshot {config.hash} of "
            f"{config.loaded_at.isoformat()} stays in force: {config.error}"
        )
    detail = ConfigOut(**vars(config))
    if ready:
        return Readiness(status="ok", checks=checks, config=detail)
    response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return Readiness(status="unavailable", checks=checks, config=detail)
