"""GET /metrics: Prometheus text format, computed from the database at scrape time.

Open by default, as most exporters are (the API port should not face the internet anyway);
with METRICS_TOKEN set, a scrape needs `Authorization: Bearer <token>`. The figures say how
many people were told what, never who: no names, numbers or message text are exported.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Request, Response, status
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

from outage_notify.api.deps import clock_of, config_of
from outage_notify.observability.metrics import registry_for

router = APIRouter()


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request, authorization: Annotated[str | None, Header()] = None) -> Response:
    """Every outage_notify metric, for Prometheus."""
    settings = request.app.state.settings
    token = settings.metrics_token.get_secret_value()
    if token and not hmac.compare_digest(
        (authorization or "").encode(), f"Bearer {token}".encode()
    ):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "metrics need a bearer token (METRICS_TOKEN)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    registry = registry_for(
        request.app.state.sessions,
        broker_url=settings.broker_url,
        key_prefix=settings.redis_key_prefix,
        clock=clock_of(request),
        config=config_of(request),
    )
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
