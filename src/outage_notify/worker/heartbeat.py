"""A worker process's identity and liveness heartbeat, and reading everyone else's.

Each process that claims deliveries names itself (host, pid, a random part: pids are reused
after a restart) and keeps `outage_notify:worker:<name>` alive in Redis with a time-to-live of
three beats. A thread beats, not the tasks: a batch waiting seconds on a slow provider or on
rate-limit tokens still beats, so only a dead (or frozen) process stops.

Every beat also keeps `outage_notify:workers:since` alive for one and a half beats: it holds
when the store started being written without a gap, in Redis's own clock. After a Redis
restart or flush (or an outage long enough to need it), it starts again, and a missing
heartbeat means nothing until it is a whole time-to-live old: the live workers have had time
to beat again. With no Redis (embedded mode), a process knows only its own claims are live.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Iterable
from datetime import timedelta

import redis

from outage_notify.delivery.stale_claims import Liveness

PREFIX = "outage_notify:worker:"
EPOCH_KEY = "outage_notify:workers:since"
# A heartbeat lives this many beats: three missed beats mean a dead worker.
TTL_BEATS = 3
# Longer than one beat (one writer alone keeps it) and short enough that any gap in the
# writes that could let a live worker's key expire also restarts it (see module docstring).
EPOCH_BEATS = 1.5
# After a failed write, try again this much sooner than a beat, so a live worker's key is
# back well before it could expire.
RETRY_FRACTION = 0.25

log = logging.getLogger(__name__)
_local_lock = threading.Lock()
# The heartbeats of this process (all its runtimes): known live without asking Redis.
_local: set[str] = set()


def owner_name() -> str:
    """Host, pid and a random part: unique even when a restarted container reuses the pid."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"


class Heartbeat:
    """This process's name and the thread that keeps it alive; also reads the others'."""

    def __init__(self, redis_url: str, *, interval: float, key_prefix: str = "") -> None:
        self.owner = owner_name()
        # REDIS_KEY_PREFIX: deployments sharing a Redis see only their own workers.
        self._worker_prefix = key_prefix + PREFIX
        self._epoch_key = key_prefix + EPOCH_KEY
        self.pid = os.getpid()
        self.interval = interval
        self.dead_after = timedelta(seconds=interval * TTL_BEATS)
        self._client = (
            redis.Redis.from_url(
                redis_url,
                socket_timeout=max(interval / 2, 0.5),
                socket_connect_timeout=max(interval / 2, 0.5),
            )
            if redis_url
            else None
        )
        self._last_ok: float | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Beat once now, then keep beating in a thread (idempotent)."""
        with self._lock:
            if self._thread is not None:
                return
            with _local_lock:
                _local.add(self.owner)
            self.beat()
            self._thread = threading.Thread(
                target=self._run, name="outage-notify-heartbeat", daemon=True
            )
            self._thread.start()

    def beat(self) -> bool:
        if self._client is None:
            self._last_ok = time.monotonic()
            return True
        ttl_ms = int(self.interval * TTL_BEATS * 1000)
        epoch_ms = int(self.interval * EPOCH_BEATS * 1000)
        try:
            seconds, micros = self._client.time()
            now_ms = seconds * 1000 + micros // 1000
            pipe = self._client.pipeline(transaction=True)
            pipe.set(self._worker_prefix + self.owner, now_ms, px=ttl_ms)
            pipe.set(self._epoch_key, now_ms, nx=True, px=epoch_ms)
            pipe.pexpire(self._epoch_key, epoch_ms)
            pipe.execute()
        except redis.RedisError as error:
            log.warning("worker heartbeat %s not written: %s", self.owner, error)
            return False
        self._last_ok = time.monotonic()
        return True

    def fresh(self) -> bool:
        """Whether the last beat is recent enough for a claim to name this process.

        A process that cannot beat claims anonymously: the timeout, not a missing heartbeat,
        then decides about its claims, so a Redis it cannot reach never makes them look dead.
        """
        return self._last_ok is not None and time.monotonic() - self._last_ok < 2 * self.interval

    def live(self, owners: Iterable[str]) -> Liveness:
        """Which of `owners` beat, and how long the heartbeat store has been watched."""
        with _local_lock:
            local = frozenset(_local)
        wanted = sorted(set(owners) - local)
        if self._client is None:
            return Liveness(live=local, watched_for=None)
        try:
            pipe = self._client.pipeline(transaction=True)
            pipe.time()
            pipe.get(self._epoch_key)
            for owner in wanted:
                pipe.exists(self._worker_prefix + owner)
            (seconds, micros), epoch, *found = pipe.execute()
        except (redis.RedisError, ValueError) as error:
            # No information is not "everyone is dead": the timeout decides instead.
            log.warning("worker heartbeats unreadable, claims fall back to the timeout: %s", error)
            return Liveness(live=local, watched_for=None)
        live = local | {owner for owner, exists in zip(wanted, found, strict=True) if exists}
        if epoch is None:
            return Liveness(live=live, watched_for=None)
        watched_ms = seconds * 1000 + micros // 1000 - int(epoch)
        return Liveness(live=live, watched_for=timedelta(milliseconds=max(watched_ms, 0)))

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.interval + 5)
        with _local_lock:
            _local.discard(self.owner)
        if self._client is not None:
            self._client.close()

    def _run(self) -> None:
        ok = True
        while not self._stop.wait(self.interval * (1.0 if ok else RETRY_FRACTION)):
            ok = self.beat()
