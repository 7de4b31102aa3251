"""Reloading the workers' contacts and templates through the broker (`outage-notify reload`).

A Celery remote-control command: every worker consuming the broker's control exchange answers
with the snapshot hash it now works with, or why it refused the new folders (keeping the old
snapshot). In a prefork worker the main process reloads and its children follow before their
next task (`messages.live_config`).
"""

from __future__ import annotations

import logging
import signal
from dataclasses import dataclass
from typing import Any

from celery import Celery
from celery.worker.control import control_command

from outage_notify.messages.live_config import sighup_handler

log = logging.getLogger(__name__)
COMMAND = "outage_notify_reload"


@dataclass(frozen=True)
class WorkerReload:
    """One worker's answer to a reload."""

    worker: str
    hash: str
    changed: bool
    error: str | None


@control_command(name=COMMAND)  # type: ignore[untyped-decorator]
def reload_config(state: Any) -> dict[str, Any]:
    """Reload the contacts, routing and templates of this worker."""
    runtime = state.consumer.app.outage_notify_runtime.get()
    outcome = runtime.config.reload()
    return {"hash": outcome.hash, "changed": outcome.changed, "error": outcome.error}


def reload_workers(
    celery: Celery, *, timeout: float, expected: int | None = None
) -> list[WorkerReload]:
    """Ask every worker on `celery`'s broker to reload; their answers within `timeout` s, or
    as soon as `expected` workers have answered."""
    replies = celery.control.broadcast(COMMAND, reply=True, timeout=timeout, limit=expected) or []
    return sorted(
        (
            WorkerReload(
                worker=name,
                hash=str(answer.get("hash", "")),
                changed=bool(answer.get("changed")),
                error=answer.get("error") if "hash" in answer else str(answer),
            )
            for reply in replies
            for name, answer in reply.items()
        ),
        key=lambda r: r.worker,
    )


def live_workers(celery: Celery, *, timeout: float) -> list[str]:
    """The workers that answer a ping within `timeout` s: how many answers a reload awaits.

    Remote control runs in each worker's consumer, beside its pool, so a worker busy with
    tasks still answers; one that does not is counted out and may answer the reload late."""
    replies = celery.control.ping(timeout=timeout) or []
    return sorted(name for reply in replies for name in reply)


def install_sighup(celery: Celery) -> None:
    """From the worker's start on, SIGHUP reloads its snapshot instead of Celery's default (a
    re-exec of the whole worker, which a broken file would then stop from starting)."""
    from celery.signals import worker_ready

    def on_ready(**_: Any) -> None:
        config = celery.outage_notify_runtime.get().config
        try:
            signal.signal(signal.SIGHUP, sighup_handler(config))
        except ValueError:
            # Not the main thread: a worker started inside another program (tests).
            log.warning("SIGHUP is not handled: the worker does not run on the main thread")
            return
        # Until this line a SIGHUP is still Celery's (a restart): supervisors can wait for it.
        log.info(
            "SIGHUP now reloads the contacts and templates (snapshot %s)", config.current().hash
        )

    worker_ready.connect(on_ready, weak=False)
