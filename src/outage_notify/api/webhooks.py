"""Monitoring webhooks: validate, commit the event, answer 2xx, and queue it for the workers.

Alertmanager drops any 4xx (429 included) for good and retries only 5xx, so every failure we
can recover from (database or broker down) answers 503, and a retry of an accepted payload is
recognised by its dedup key and answered 2xx again without a second incident or message.

The routes are async. On PostgreSQL the event is recorded from the event loop in one statement
(store/async_events.py); on SQLite `record_event` runs in a worker thread. A thread hop and the
ORM per request had cost as much CPU as the rest of the request. The enqueue after the commit
is batched across concurrent requests (api/event_enqueue.py): while the broker is healthy the
answer does not wait for it; otherwise it does, and a broker failure is a 503.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import Body, Request, status
from starlette.concurrency import run_in_threadpool

from outage_notify.api.deps import Monitor, staff_router
from outage_notify.api.event_enqueue import EventBatches
from outage_notify.api.schemas import Accepted
from outage_notify.api.webhook_auth import Generic, Grafana, UptimeKuma
from outage_notify.core.models import AlertEvent
from outage_notify.ingest import alertmanager, generic, grafana, uptime_kuma
from outage_notify.ingest.labels import LabelMapping
from outage_notify.store.async_events import AsyncEvents, Recorded
from outage_notify.store.engine import retry_if_disconnected, transaction
from outage_notify.store.incidents import record_event

log = logging.getLogger(__name__)
router = staff_router("/api/v1/webhooks", "webhooks")


def _record_in_thread(request: Request, event: AlertEvent, actor: str) -> Recorded:
    """SQLite: `record_event` in a transaction (blocking, so in a worker thread)."""
    payload = event.model_dump(mode="json")

    def store() -> Recorded:
        with transaction(request.app.state.sessions) as session:
            row, created = record_event(
                session,
                source=event.source,
                service=event.service,
                dedup_key=event.dedup_key,
                kind="alert",
                payload=payload,
                actor=actor,
            )
            return Recorded(row.id, created, row.processed_at is not None)

    # Idempotent by the dedup key, so a connection dropped by a database restart is retried
    # here rather than answered 503 (the API's pool does not test connections first).
    return retry_if_disconnected(store)


async def accept(request: Request, event: AlertEvent, *, actor: str) -> Accepted:
    """Store the event once (committed before answering) and hand it to the workers."""
    state = request.app.state
    events: AsyncEvents | None = state.async_events
    if events is not None:  # PostgreSQL: one statement from the event loop
        recorded = await events.record(
            source=event.source,
            service=event.service,
            dedup_key=event.dedup_key,
            payload_json=event.model_dump_json(),
            actor=actor,
        )
    else:
        recorded = await run_in_threadpool(_record_in_thread, request, event, actor)
    if not recorded.processed:
        # A duplicate of an event not yet processed is enqueued again: the first enqueue may
        # be the one that failed (503), and processing is idempotent.
        batches: EventBatches = state.event_batches
        await batches.event(recorded.event_id)
    if log.isEnabledFor(logging.INFO):
        log.info(
            "webhook %s from %s: event %s (%s)",
            event.source,
            actor,
            recorded.event_id,
            "new" if recorded.created else "duplicate",
        )
    return Accepted(
        status="accepted" if recorded.created else "duplicate", event_id=recorded.event_id
    )


@router.post("/alertmanager", status_code=status.HTTP_202_ACCEPTED, response_model=Accepted)
async def alertmanager_webhook(
    request: Request, payload: alertmanager.AlertmanagerPayload, principal: Monitor
) -> Accepted:
    """Prometheus Alertmanager `webhook_config` receiver (payload version 4).

    Authenticate with a monitor token as `authorization: {credentials: …}` (Bearer) or as the
    `basic_auth` password (any username).
    """
    mapping = LabelMapping.from_settings(request.app.state.settings)
    return await accept(
        request, alertmanager.to_event(payload, mapping=mapping), actor=principal.name
    )


@router.post("/generic", status_code=status.HTTP_202_ACCEPTED, response_model=Accepted)
async def generic_webhook(
    request: Request, payload: Annotated[generic.GenericEvent, Body()], principal: Generic
) -> Accepted:
    """Any monitoring tool that can post the documented generic JSON schema.

    Authenticate with a monitor token, or with `X-Outage-Notify-Secret: WEBHOOKS_GENERIC_SECRET`.
    """
    return await accept(request, generic.to_event(payload), actor=principal.name)


@router.post("/grafana", status_code=status.HTTP_202_ACCEPTED, response_model=Accepted)
async def grafana_webhook(
    request: Request, payload: grafana.GrafanaPayload, principal: Grafana
) -> Accepted:
    """Grafana unified alerting webhook contact point.

    With WEBHOOKS_GRAFANA_SECRET set, only requests signed with it (HMAC Signature, with a
    timestamp header) are accepted, each once; otherwise a monitor token.
    """
    mapping = LabelMapping.from_settings(request.app.state.settings)
    return await accept(request, grafana.to_event(payload, mapping=mapping), actor=principal.name)


@router.post("/uptime-kuma", status_code=status.HTTP_202_ACCEPTED, response_model=Accepted)
async def uptime_kuma_webhook(
    request: Request, payload: uptime_kuma.UptimeKumaPayload, principal: UptimeKuma
) -> Accepted:
    """Uptime Kuma webhook notification (down → firing, up → resolved).

    Authenticate with a monitor token, or `X-Outage-Notify-Secret: WEBHOOKS_UPTIME_KUMA_SECRET`
    (Uptime Kuma's "Additional Headers").
    """
    mapping = LabelMapping.from_settings(request.app.state.settings)
    event = uptime_kuma.to_event(payload, mapping=mapping)
    if event is None:
        # Pending, maintenance and "test" notifications are not outages.
        return Accepted(status="ignored")
    return await accept(request, event, actor=principal.name)
