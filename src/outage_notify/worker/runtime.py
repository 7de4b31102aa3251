"""What a worker process holds: database, contacts, templates, channels on an I/O loop, the clock.

Built lazily in the process that uses it (after a prefork fork, never before), once; only the
configuration snapshot (contacts and templates, plain data) may be handed in read before the
fork. That snapshot is live: `config.reload()` swaps it (messages/live_config.py).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Coroutine, Iterable
from functools import cached_property
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from outage_notify.channels.base import Channel
from outage_notify.channels.registry import build_channels, close_channels
from outage_notify.config.settings import Settings
from outage_notify.contacts.directory import Directory
from outage_notify.core.clock import SYSTEM_CLOCK, Clock
from outage_notify.delivery.stale_claims import Liveness
from outage_notify.delivery.throttling import Throttle
from outage_notify.integrations.registry import PROVIDERS
from outage_notify.messages.budget import Budgets
from outage_notify.messages.live_config import LiveConfig
from outage_notify.messages.rendering import Renderer
from outage_notify.messages.snapshot import Snapshot
from outage_notify.ratelimit.limiter import limiter_for
from outage_notify.store.engine import create_session_factory, create_store_engine
from outage_notify.worker.heartbeat import Heartbeat
from outage_notify.worker.loop import LoopThread

# Keys of the shared rate-limit buckets in Redis.
RATELIMIT_PREFIX = "outage_notify:ratelimit:"

log = logging.getLogger(__name__)
T = TypeVar("T")


class WorkerRuntime:
    """Long-lived resources of one worker process."""

    def __init__(
        self,
        settings: Settings,
        *,
        config: LiveConfig | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.settings = settings
        # Every step of this worker reads the time here, as does its rate limiter.
        self.clock = clock
        if config is not None:
            # Read already: before the fork by `outage-notify worker` (the children share it),
            # or by `serve` for its API (embedded). Reading 100,000 contacts takes seconds that
            # an outage's first plan would otherwise wait for.
            self.__dict__["config"] = config
        self._lock = threading.Lock()
        self._io: LoopThread | None = None
        self._channels: dict[str, Channel] | None = None
        self._throttle: Throttle | None = None
        # Its own lock: built before the fork, the runtime's heartbeat is per process.
        self._beat_lock = threading.Lock()
        self._heartbeat: Heartbeat | None = None

    @cached_property
    def engine(self) -> Engine:
        return create_store_engine(self.settings.database_url, plan_each_time=True)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        return create_session_factory(self.engine)

    @cached_property
    def config(self) -> LiveConfig:
        """Contacts, routing and templates; reloaded (and then fully checked) without a restart.

        Built here only when nothing handed one in (tests, a process `serve` or `worker`
        did not start): the templates are not rendered on samples first, as before.
        """
        return LiveConfig.load(self.settings, clock=self.clock, check_templates=False)

    def snapshot(self) -> Snapshot:
        """The snapshot in force: a step that reads several of its parts takes it once."""
        return self.config.current()

    @property
    def directory(self) -> Directory:
        return self.snapshot().directory

    @property
    def budgets(self) -> Budgets:
        """What each audience's bodies may take per channel (SMS segments, Apprise limits)."""
        return self.snapshot().budgets

    @property
    def renderer(self) -> Renderer:
        return self.snapshot().renderer

    def status_callback_url(self) -> str | None:
        """Where Twilio reports delivery (api/twilio_callbacks.py), unless turned off."""
        if not self.settings.twilio.status_callbacks:
            return None
        return self.settings.public_base_url.rstrip("/") + "/api/v1/webhooks/twilio/status"

    def channels(self) -> dict[str, Channel]:
        """The channels, built on the I/O loop the first time they are needed."""
        with self._lock:
            if self._channels is None:
                self._io = LoopThread()
                self._channels = self._io.run(
                    build_channels(
                        self.settings, PROVIDERS, status_callback_url=self.status_callback_url()
                    )
                )
                # The Redis client of the limiter belongs to the same loop as the channels.
                self._throttle = Throttle(
                    limiter_for(
                        self.settings.ratelimit_redis_url or None,
                        prefix=self.settings.redis_key_prefix + RATELIMIT_PREFIX,
                        jitter=self.settings.ratelimit.jitter_seconds,
                        clock=self.clock,
                    ),
                    self.settings,
                    PROVIDERS,
                )
            return self._channels

    def throttle(self) -> Throttle:
        """The shared provider rate limits, as seen from this process."""
        self.channels()
        assert self._throttle is not None
        return self._throttle

    def run_io(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the I/O loop that owns the channels."""
        self.channels()
        assert self._io is not None
        return self._io.run(coroutine)

    def heartbeat(self) -> Heartbeat:
        """This process's heartbeat (a fork gets its own name), not started until a claim."""
        with self._beat_lock:
            if self._heartbeat is None or self._heartbeat.pid != os.getpid():
                self._heartbeat = Heartbeat(
                    self.settings.heartbeat_redis_url,
                    interval=self.settings.worker_heartbeat_seconds,
                    key_prefix=self.settings.redis_key_prefix,
                )
            return self._heartbeat

    def claimant(self) -> str:
        """The name this process's claims carry: "" while it cannot keep its heartbeat."""
        beat = self.heartbeat()
        beat.start()
        return beat.owner if beat.fresh() else ""

    def liveness(self, owners: Iterable[str]) -> Liveness:
        """Which owners beat. The asking process beats too: it is a live worker, and with the
        store kept written it can tell that the last other worker died (not "no news")."""
        beat = self.heartbeat()
        beat.start()
        return beat.live(owners)

    def close(self) -> None:
        with self._beat_lock:
            if self._heartbeat is not None and self._heartbeat.pid == os.getpid():
                self._heartbeat.stop()
            self._heartbeat = None
        with self._lock:
            if self._io is not None and self._channels is not None:
                self._io.run(close_channels(self._channels))
                if self._throttle is not None:
                    self._io.run(self._throttle.limiter.aclose())
                self._io.close()
            self._io = None
            self._channels = None
            self._throttle = None
        if "engine" in self.__dict__:
            self.engine.dispose()
