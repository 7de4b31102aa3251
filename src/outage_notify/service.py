"""Wiring one service process (`serve`): store, contacts, Celery app, API, embedded worker.

This builds a process once at its start. What a worker process holds while it runs (database,
contacts, templates, channels) is `worker.runtime.WorkerRuntime`; the service hands it the
configuration snapshot it read (`messages.live_config.LiveConfig`), so an embedded worker and
the API share one copy, and one reload (SIGHUP, `POST /api/v1/admin/reload`) covers both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from celery import Celery
from fastapi import FastAPI
from rich.console import Console

from outage_notify.api.app import create_app
from outage_notify.channels.unconfigured import (
    DryChannel,
    dry_channels,
    notices,
    refuse_in_production,
)
from outage_notify.config.settings import Settings
from outage_notify.contacts.directory import Directory
from outage_notify.core.clock import SYSTEM_CLOCK, Clock
from outage_notify.integrations.registry import PROVIDERS
from outage_notify.messages.live_config import LiveConfig
from outage_notify.messages.snapshot import Snapshot
from outage_notify.store.engine import create_store_engine, upgrade
from outage_notify.worker.celery_app import close_runtime, create_celery
from outage_notify.worker.embedded import EmbeddedWorker
from outage_notify.worker.runtime import WorkerRuntime


@dataclass
class Service:
    settings: Settings
    config: LiveConfig
    celery: Celery
    api: FastAPI
    worker: EmbeddedWorker | None = None
    # The channels that are not configured (dry runs); in production none that is used.
    dry: list[DryChannel] = field(default_factory=list)

    @property
    def directory(self) -> Directory:
        """The contacts in force (a reload may replace them)."""
        return self.config.current().directory

    def start_worker(self) -> None:
        """In embedded mode, run the worker and the sweeper inside this process."""
        if self.settings.embedded and self.worker is None:
            self.worker = EmbeddedWorker(self.celery, concurrency=self.settings.worker_concurrency)
            self.worker.start()

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop()
            self.worker = None
        close_runtime(self.celery)

    def announce(self, console: Console, *, host: str, port: int) -> None:
        """Say loudly how this process runs, and which channels only pretend."""
        s = self.settings
        mode = (
            "embedded (API + worker in this process)"
            if s.embedded
            else f"distributed, broker {_safe(s.broker_url)}"
        )
        console.print(f"[bold]outage_notify[/] on http://{host}:{port} — {mode}")
        console.print(
            f"database {_safe(s.database_url)}; contacts {s.contacts_dir} "
            f"({self.directory.contact_count} contacts); templates {s.templates_dir}; "
            f"snapshot {self.config.current().hash} (SIGHUP reloads them)"
        )
        for line in notices(self.dry):
            # Text, not markup: a setting name holds no "[", but a future one might.
            console.print("[bold yellow]DRY RUN[/]: ", end="")
            console.print(line, markup=False)
        if not s.api_tokens:
            console.print(
                "[bold yellow]no API_TOKENS set[/]: every API call except health checks "
                "will be refused (401)"
            )


def no_dry_channels_in_use(settings: Settings) -> Callable[[Snapshot], list[DryChannel]]:
    """The check a snapshot passes, at start and at every reload: in production, no contact on
    a channel that is not configured (raises ConfigError naming the channel and contacts)."""

    def check(snapshot: Snapshot) -> list[DryChannel]:
        return refuse_in_production(settings, snapshot.directory.audiences.values(), PROVIDERS)

    return check


def _safe(url: str) -> str:
    """A URL without its password, for logs."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        scheme, _, rest = url.partition("://")
        return f"{scheme}://{rest.rpartition('@')[2]}"


def build_service(settings: Settings, *, clock: Clock = SYSTEM_CLOCK) -> Service:
    """Validate configuration, migrate the schema and build the API; raises ConfigError.

    Production refuses a channel that is not configured and that contacts use (a dry run
    there would tell nobody). The API and the embedded worker read the time from the one
    `clock`.
    """
    config = LiveConfig.load(settings, clock=clock, validate=no_dry_channels_in_use(settings))
    dry = dry_channels(settings, config.current().directory.audiences.values(), PROVIDERS)
    upgrade(create_store_engine(settings.database_url))
    # The embedded worker plans with the snapshot the API already holds: one copy, read once,
    # reloaded once for both.
    runtime = WorkerRuntime(settings, config=config, clock=clock)
    celery = create_celery(settings, runtime=runtime)
    return Service(
        settings,
        config,
        celery,
        create_app(settings, celery=celery, config=config, clock=clock),
        dry=dry,
    )


# What `serve --workers N` has uvicorn import and call in each of its processes.
API_FACTORY = "outage_notify.service:api_from_environment"


def api_from_environment() -> FastAPI:
    """The API of one `serve --workers N` process, from the environment (and `.env`).

    The supervising `serve` has validated the configuration and migrated the schema; each
    process loads its own contacts and enqueues on BROKER_URL (never embedded: `serve`
    refuses more than one process without a broker). Each reloads its snapshot on a SIGHUP
    of its own (uvicorn's supervisor answers SIGHUP by restarting the processes).
    """
    import signal

    from outage_notify.core import heap
    from outage_notify.messages.live_config import sighup_handler
    from outage_notify.observability.logs import configure_logging

    settings = Settings()
    configure_logging(settings)
    app = create_app(settings, celery=create_celery(settings))
    signal.signal(signal.SIGHUP, sighup_handler(app.state.config))
    heap.freeze()  # as a one-process `serve` does
    return app
