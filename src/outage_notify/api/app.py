"""The FastAPI application factory."""

from __future__ import annotations

import logging
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from anyio import to_thread
from celery import Celery
from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from kombu.exceptions import OperationalError as BrokerError
from sqlalchemy import Engine, event
from sqlalchemy.exc import OperationalError as DatabaseError

from outage_notify.api import (
    action_items,
    admin,
    health,
    incident_records,
    incident_templates,
    incidents,
    maintenances,
    notification_clock,
    preview,
    slack_commands,
    slack_interactivity,
    status_page,
    subscribe,
    subscribers_admin,
    twilio_callbacks,
    twilio_inbound,
    twilio_voice,
    webhooks,
    whoami,
)
from outage_notify.api import audit as audit_api
from outage_notify.api import events as events_api
from outage_notify.api import metrics as metrics_api
from outage_notify.api import report as report_api
from outage_notify.api.body_limit import BodyLimit
from outage_notify.api.event_enqueue import EventBatches
from outage_notify.api.nul_guard import NulGuard
from outage_notify.api.responses import (
    PUBLIC_READ,
    SLACK_CALLBACK,
    STAFF_READ,
    STAFF_WRITE,
    TWILIO_CALLBACK,
    WEBHOOK,
)
from outage_notify.config.settings import Settings
from outage_notify.console.install import install as install_console
from outage_notify.core.clock import SYSTEM_CLOCK, Clock
from outage_notify.core.models import storable
from outage_notify.messages.live_config import LiveConfig
from outage_notify.store.async_events import AsyncEvents
from outage_notify.store.engine import create_session_factory, create_store_engine
from outage_notify.worker.enqueue import Enqueuer
from outage_notify.worker.redis_publish import RedisEventPublisher

log = logging.getLogger(__name__)
# Sync routes and dependencies run in AnyIO's worker threads (its default limit, 40, made
# explicit) and nearly all of them use the database: one pooled connection per thread, so
# that no request waits for a connection or opens and closes one of its own.
API_THREADS = 40


def create_app(
    settings: Settings,
    *,
    celery: Celery,
    config: LiveConfig | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> FastAPI:
    """An API bound to `settings`, enqueueing on `celery`'s broker, reading time from `clock`.

    `config` is the contacts and templates snapshot, shared with an embedded worker; without
    it the API loads its own.
    """

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        to_thread.current_default_thread_limiter().total_tokens = API_THREADS
        yield
        try:
            await app.state.event_batches.aclose()
        finally:
            engine.dispose()  # and, by its listener, the webhooks' async connections

    app = FastAPI(
        lifespan=lifespan,
        title="outage_notify",
        version="0.1.0",
        description=(
            "Keeps stakeholders informed over SMS, Slack and a fallback channel"
            " while email is down."
        ),
    )
    # No pre-ping (a round trip per request): a connection the server dropped fails once,
    # which invalidates the pool; webhooks retry that once, anything else answers 503.
    engine = create_store_engine(
        settings.database_url, pool_size=API_THREADS, max_overflow=4, pre_ping=False
    )
    app.state.settings = settings
    app.state.clock = clock
    app.state.engine = engine
    app.state.sessions = create_session_factory(engine)
    app.state.enqueuer = Enqueuer(celery)
    app.state.event_batches = EventBatches(app.state.enqueuer, RedisEventPublisher.for_app(celery))
    app.state.async_events = _async_events(engine)
    # Loaded at start-up so a bad contacts folder stops the service before it takes traffic
    # (`serve` checked the templates already); a reload later keeps the old snapshot instead
    # (messages/live_config.py). Routes read `directory_of` and `snapshot_of` (api/deps.py).
    app.state.config = config or LiveConfig.load(settings, clock=clock, check_templates=False)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(NulGuard)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        # FastAPI's own answer, but it echoes the input: a lone surrogate (not UTF-8) or an
        # infinite number (1e999 parses as inf; not JSON) in it made the 422 a 500.
        detail = _json_safe(storable(jsonable_encoder(error.errors())))
        return JSONResponse({"detail": detail}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)

    @app.exception_handler(DatabaseError)
    async def database_down(request: Request, error: DatabaseError) -> JSONResponse:
        log.error("database unavailable: %s", type(error).__name__)
        return _unavailable("database unavailable; retry later")

    @app.exception_handler(BrokerError)
    async def broker_down(request: Request, error: BrokerError) -> JSONResponse:
        log.error("broker unavailable: %s", type(error).__name__)
        return _unavailable("message broker unavailable; retry later")

    app.include_router(health.router)
    app.include_router(webhooks.router, responses=WEBHOOK)
    app.include_router(twilio_callbacks.router, responses=TWILIO_CALLBACK)
    app.include_router(twilio_inbound.router, responses=TWILIO_CALLBACK)
    app.include_router(twilio_voice.router, responses=TWILIO_CALLBACK)
    app.include_router(slack_interactivity.router, responses=SLACK_CALLBACK)
    app.include_router(slack_commands.router, responses=SLACK_CALLBACK)
    app.include_router(incidents.router, responses=STAFF_WRITE)
    app.include_router(incident_templates.router, responses=STAFF_READ)
    app.include_router(preview.router, responses=STAFF_WRITE)
    app.include_router(whoami.router, responses=STAFF_READ)
    app.include_router(incident_records.router, responses=STAFF_WRITE)
    app.include_router(notification_clock.router, responses=STAFF_WRITE)
    app.include_router(maintenances.router, responses=STAFF_WRITE)
    app.include_router(action_items.router, responses=STAFF_WRITE)
    app.include_router(status_page.router, responses=PUBLIC_READ)
    app.include_router(subscribe.router)
    app.include_router(subscribers_admin.router, responses=STAFF_WRITE)
    app.include_router(report_api.router, responses=STAFF_READ)
    app.include_router(metrics_api.router)
    app.include_router(audit_api.router, responses=STAFF_READ)
    app.include_router(events_api.router, responses=STAFF_WRITE)
    app.include_router(admin.router, responses=STAFF_WRITE)
    install_console(app)
    return app


# A webhook holds its connection for one autocommit statement (~1 ms), so 16 serve thousands a
# second; every one is taken from PostgreSQL's max_connections, which all processes share.
WEBHOOK_CONNECTIONS = 16


def _async_events(engine: Engine) -> AsyncEvents | None:
    """On PostgreSQL, the webhooks' own connections, closed when the engine is disposed; None
    on SQLite."""
    if engine.dialect.name != "postgresql":
        return None
    events = AsyncEvents(engine.url.render_as_string(hide_password=False), size=WEBHOOK_CONNECTIONS)
    event.listen(engine, "engine_disposed", lambda _engine: events.dispose())
    return events


def _json_safe(value: Any) -> Any:
    """`value` with infinite and NaN floats written as text, which JSON can carry."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_safe(item) for item in value]
    return value


def _unavailable(detail: str) -> JSONResponse:
    # 503, never 429 or another 4xx: Alertmanager retries only 5xx.
    return JSONResponse(
        {"detail": detail},
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        headers={"Retry-After": "5"},
    )
