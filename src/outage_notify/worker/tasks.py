"""Celery tasks: thin wrappers that run one step and enqueue what it hands back."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from celery import Celery

from outage_notify.core.models import ChannelName, DeliveryState
from outage_notify.delivery.provider_reports import DeliveryReport, Effect
from outage_notify.store import delivery_reports as store_reports
from outage_notify.store import statistics
from outage_notify.store.engine import transaction
from outage_notify.worker import (
    chase_steps,
    clock_steps,
    event_steps,
    flood_steps,
    maintenance_steps,
    names,
    reclaim,
    sop_steps,
    steps,
    voice_steps,
)
from outage_notify.worker.enqueue import REPORT_RETRY_ATTEMPTS, Enqueuer
from outage_notify.worker.runtime import WorkerRuntime


def register_tasks(app: Celery, runtime: Callable[[], WorkerRuntime]) -> None:
    """Register the tasks on `app`; each resolves the process's runtime when it runs."""
    enqueue = Enqueuer(app)

    @app.task(name=names.PROCESS_EVENT, shared=False)  # type: ignore[untyped-decorator]
    def process_event(event_id: int) -> None:
        rt = runtime()
        _plan_each(rt, event_steps.process_event(rt, event_id))

    @app.task(name=names.PLAN_UPDATE, shared=False)  # type: ignore[untyped-decorator]
    def plan_update(update_id: int) -> None:
        _plan(runtime(), update_id)

    def _plan_each(rt: WorkerRuntime, update_ids: Iterable[int]) -> None:
        for update_id in update_ids:
            _plan(rt, update_id)

    def _plan(rt: WorkerRuntime, update_id: int) -> None:
        planned = steps.plan_update(rt, update_id)
        _send(rt, urgent=planned.urgent, rest=planned.rest)
        # After the batches are out: the first messages never wait for it.
        statistics.refresh_after_bulk_load(rt.engine, len(planned.urgent) + len(planned.rest))

    def _send(rt: WorkerRuntime, *, urgent: list[int], rest: list[int]) -> None:
        """Enqueue deliveries in batches, the urgent ones on their own queue."""
        batch = rt.settings.delivery.batch_size
        enqueue.deliveries(urgent, batch_size=batch, queue=names.QUEUE_URGENT)
        enqueue.deliveries(rest, batch_size=batch)

    def _plan_written_by(step: Callable[[WorkerRuntime], list[int]]) -> int:
        """Run a beat step, plan the updates it wrote; how many it wrote."""
        rt = runtime()
        ids = step(rt)
        _plan_each(rt, ids)
        return len(ids)

    def _enqueue_written_by(step: Callable[[WorkerRuntime], list[int]]) -> int:
        """Run a beat step, enqueue the deliveries it wrote; how many it wrote."""
        rt = runtime()
        ids = step(rt)
        enqueue.deliveries(ids, batch_size=rt.settings.delivery.batch_size)
        return len(ids)

    @app.task(name=names.DISPATCH, shared=False)  # type: ignore[untyped-decorator]
    def dispatch(delivery_ids: list[int]) -> None:
        rt = runtime()
        follow_up = steps.dispatch(rt, delivery_ids)
        batch = rt.settings.delivery.batch_size
        enqueue.deliveries(follow_up.now, batch_size=batch)
        for countdown, ids in follow_up.later.items():
            enqueue.deliveries(ids, batch_size=batch, countdown=countdown)

    @app.task(name=names.REMIND, shared=False)  # type: ignore[untyped-decorator]
    def remind() -> int:
        # The notification clock rides on the reminder tick: same cadence, same lead.
        written = _plan_written_by(sop_steps.remind) + _plan_written_by(clock_steps.remind_clocks)
        # Scheduled maintenance too: its steps are minutes apart, like the reminders.
        rt = runtime()
        advanced = maintenance_steps.advance(rt)
        _plan_each(rt, advanced.updates)
        for event_id in advanced.events:
            enqueue.event(event_id)
        return written + len(advanced.updates)

    @app.task(name=names.CHASE, shared=False)  # type: ignore[untyped-decorator]
    def chase() -> int:
        rt = runtime()
        chased = chase_steps.chase(rt)
        _send(rt, urgent=chased.urgent, rest=chased.rest)
        voice_steps.place_calls(rt, chased.calls)
        _plan_each(rt, chased.updates)
        return len(chased.urgent) + len(chased.rest)

    @app.task(name=names.PROBE, shared=False)  # type: ignore[untyped-decorator]
    def probe() -> bool:
        from outage_notify.mail.probes import run_round_trip

        rt = runtime()
        result = run_round_trip(rt.settings.probe, clock=rt.clock)
        update_ids = sop_steps.record_probe(rt, result)
        _plan_each(rt, update_ids)
        incident = sop_steps.verified(rt, update_ids)
        if incident is not None and rt.settings.email_catchup:
            app.send_task(names.CATCHUP, args=[incident], queue=names.QUEUE_EVENTS)
        return result.ok

    @app.task(name=names.CATCHUP, shared=False)  # type: ignore[untyped-decorator]
    def catchup(incident_id: int) -> int:
        sent, _ = sop_steps.send_catchup(runtime(), incident_id)
        return sent

    @app.task(name=names.APPLY_REPORT, shared=False)  # type: ignore[untyped-decorator]
    def apply_report(sid: str, status: str, code: str, text: str, attempt: int) -> str:
        rt = runtime()
        report = DeliveryReport(provider_id=sid, status=status, error_code=code, error_text=text)
        with transaction(rt.sessions) as session:
            # The retried report does not say SMS or WhatsApp; a Twilio sid is one message.
            for channel in (ChannelName.SMS, ChannelName.WHATSAPP):
                applied = store_reports.apply_report(
                    session, report, channel=channel, now=rt.clock.now()
                )
                if applied.delivery_id is not None:
                    break
        if applied.delivery_id is None:
            if attempt < REPORT_RETRY_ATTEMPTS:
                enqueue.report(sid, status, code, text, attempt=attempt + 1)
            return "unknown"
        if applied.effect == Effect.UNDELIVERED and applied.state == DeliveryState.PLANNED:
            enqueue.deliveries([applied.delivery_id], batch_size=rt.settings.delivery.batch_size)
        return applied.effect.value

    @app.task(name=names.SETTLE, shared=False)  # type: ignore[untyped-decorator]
    def settle() -> int:
        return _plan_written_by(flood_steps.settle)

    @app.task(name=names.DIGEST, shared=False)  # type: ignore[untyped-decorator]
    def digest() -> int:
        return _enqueue_written_by(flood_steps.release_digests)

    @app.task(name=names.SWEEP, shared=False)  # type: ignore[untyped-decorator]
    def sweep() -> dict[str, Any]:
        rt = runtime()
        found = steps.sweep(rt)
        for event_id in found.events:
            enqueue.event(event_id)
        for update_id in found.updates:
            enqueue.update(update_id)
        enqueue.deliveries(found.deliveries, batch_size=rt.settings.delivery.batch_size)
        return {
            "events": len(found.events),
            "updates": len(found.updates),
            "deliveries": len(found.deliveries),
        }

    @app.task(name=names.RECLAIM, shared=False)  # type: ignore[untyped-decorator]
    def reclaim_claims() -> int:
        return _enqueue_written_by(reclaim.reclaim)
