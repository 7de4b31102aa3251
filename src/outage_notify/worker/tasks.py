"""Celery tasks: thin wrappers that run one step and enqueue what it hands back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from celery import Celery

from outage_notify.worker import names, steps
from outage_notify.worker.enqueue import Enqueuer
from outage_notify.worker.runtime import WorkerRuntime


def register_tasks(app: Celery, runtime: Callable[[], WorkerRuntime]) -> None:
    """Register the tasks on `app`; each resolves the process's runtime when it runs."""
    enqueue = Enqueuer(app)

    @app.task(name=names.PROCESS_EVENT, shared=False)  # type: ignore[untyped-decorator]
    def process_event(event_id: int) -> None:
        rt = runtime()
        for update_id in steps.process_event(rt, event_id):
            _plan(rt, update_id)

    @app.task(name=names.PLAN_UPDATE, shared=False)  # type: ignore[untyped-decorator]
    def plan_update(update_id: int) -> None:
        _plan(runtime(), update_id)

    def _plan(rt: WorkerRuntime, update_id: int) -> None:
        ids = steps.plan_update(rt, update_id)
        enqueue.deliveries(ids, batch_size=rt.settings.delivery.batch_size)

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
        rt = runtime()
        ids = steps.remind(rt)
        for update_id in ids:
            _plan(rt, update_id)
        return len(ids)

    @app.task(name=names.PROBE, shared=False)  # type: ignore[untyped-decorator]
    def probe() -> bool:
        from outage_notify.probes import run_round_trip

        rt = runtime()
        result = run_round_trip(rt.settings.probe)
        for update_id in steps.record_probe(rt, result):
            _plan(rt, update_id)
        return result.ok

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
