"""The snapshot a process works with, and swapping it for a new one without a restart.

A reload loads and validates the folders again (`messages.snapshot`); only a snapshot that
passes replaces the one in force, by one reference assignment, so a thread reading `current()`
gets the old snapshot or the new one, never half of each. A refused snapshot leaves the old one
in force and is kept as `status().error` for /readyz and /metrics.

Prefork children (`outage-notify worker`) hold copies of their parent's snapshot: a reload in
the parent bumps a counter in memory shared with them, and each child loads the folders again
(validated the same way) before its next task that reads them.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from types import FrameType

from outage_notify.config.settings import Settings
from outage_notify.core import heap
from outage_notify.core.clock import SYSTEM_CLOCK, Clock
from outage_notify.core.errors import ConfigError
from outage_notify.messages.snapshot import Snapshot, load_snapshot

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReloadStatus:
    """What /readyz and /metrics say about the configuration in force."""

    hash: str
    loaded_at: datetime
    reloads: int
    failures: int
    # The last attempt's refusal; None once a later reload succeeded.
    error: str | None
    failed_at: datetime | None


@dataclass(frozen=True)
class ReloadOutcome:
    """One reload: the hash in force afterwards, and why the new folders were refused."""

    hash: str
    changed: bool
    error: str | None = None


class LiveConfig:
    """The current snapshot of one process, reloaded on demand."""

    def __init__(
        self,
        settings: Settings,
        snapshot: Snapshot,
        *,
        clock: Clock = SYSTEM_CLOCK,
        validate: Callable[[Snapshot], object] | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        # A rule of the process on top of the folders' own checks (e.g. production's refusal of
        # contacts on an unconfigured channel): raises ConfigError to refuse a reload.
        self.validate = validate
        self._current = snapshot
        # Serialises reloads; readers never take it.
        self._lock = threading.Lock()
        # Shared with children forked after this (an anonymous shared mapping): a reload in
        # the parent tells them to load too.
        self._generation = multiprocessing.RawValue("Q", 0)
        self._seen = 0
        self._reloads = 0
        self._failures = 0
        self._error: str | None = None
        self._failed_at: datetime | None = None

    @classmethod
    def load(
        cls,
        settings: Settings,
        *,
        clock: Clock = SYSTEM_CLOCK,
        check_templates: bool = True,
        validate: Callable[[Snapshot], object] | None = None,
    ) -> LiveConfig:
        """The folders of `settings`, validated; raises ConfigError as a start-up does
        (`check_templates`: see `load_snapshot`; every reload checks them). `validate` runs on
        this snapshot and on every reloaded one."""
        snapshot = load_snapshot(settings, clock=clock, check_templates=check_templates)
        if validate is not None:
            validate(snapshot)
        return cls(settings, snapshot, clock=clock, validate=validate)

    def current(self) -> Snapshot:
        """The snapshot in force (a prefork child first follows its parent's reload)."""
        if self._generation.value != self._seen:
            self._follow()
        return self._current

    def reload(self) -> ReloadOutcome:
        """Load and validate the folders; swap them in, or keep the old snapshot and say why."""
        with self._lock:
            outcome = self._load()
            if outcome.error is None:
                self._generation.value += 1
                self._seen = self._generation.value
            return outcome

    def status(self) -> ReloadStatus:
        snapshot = self._current
        return ReloadStatus(
            hash=snapshot.hash,
            loaded_at=snapshot.loaded_at,
            reloads=self._reloads,
            failures=self._failures,
            error=self._error,
            failed_at=self._failed_at,
        )

    def _follow(self) -> None:
        # Another thread of this child may be loading already: read the old snapshot meanwhile.
        if not self._lock.acquire(blocking=False):
            return
        try:
            target = self._generation.value
            if target != self._seen:
                self._load()
                # Once per parent reload, whether or not it passed here: a refusal is logged
                # and kept in status(), not retried before every task.
                self._seen = target
        finally:
            self._lock.release()

    def _load(self) -> ReloadOutcome:
        old = self._current
        try:
            new = load_snapshot(self.settings, clock=self.clock)
            if self.validate is not None:
                self.validate(new)
        except ConfigError as error:
            self._failures += 1
            self._error = str(error)
            self._failed_at = self.clock.now()
            log.error(
                "configuration reload refused; snapshot %s stays in force: %s", old.hash, error
            )
            return ReloadOutcome(hash=old.hash, changed=False, error=str(error))
        self._current = new
        old_hash = old.hash
        del old  # so that the collection below can free the replaced snapshot
        heap.refreeze()
        self._reloads += 1
        self._error = None
        self._failed_at = None
        log.info(
            "configuration reloaded: snapshot %s (was %s), %s contacts",
            new.hash,
            old_hash,
            new.directory.contact_count,
        )
        return ReloadOutcome(hash=new.hash, changed=new.hash != old_hash)


def sighup_handler(config: LiveConfig) -> Callable[[int, FrameType | None], None]:
    """A SIGHUP handler that reloads `config` on a thread of its own: a handler runs on the
    main thread between two bytecodes, and reading 100,000 contacts there would stall it
    (uvicorn's event loop, Celery's consumer) for seconds."""

    def handle(signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=config.reload, name="outage-notify-reload", daemon=True).start()

    return handle
