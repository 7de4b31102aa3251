"""DEVELOPMENT FAKE: what the fake providers accepted, refused and counted.

One `FakeState` is shared by the server thread (writing) and tests (reading), so every
access goes through one lock.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from outage_notify.fakes.faults import FaultBook

# Twilio reports a moment after it accepted a message, not before we recorded the send.
DEFAULT_CALLBACK_DELAY = 0.5


@dataclass(frozen=True)
class FakeRecord:
    """One message a fake provider accepted."""

    channel: str
    to: str
    body: str
    title: str
    provider_id: str
    at: datetime
    raw: dict[str, Any] = field(default_factory=dict)
    # The request's Idempotency-Key header (fallback only), so tests can see it was sent.
    idempotency_key: str = ""


@dataclass(frozen=True)
class FakeRejection:
    """One request a fake provider refused (bad input, bad auth, or an injected fault)."""

    channel: str
    to: str
    status: int
    error: str
    injected: bool


@dataclass(frozen=True)
class FakeCallback:
    """One status callback the fake Twilio posted, and how it was answered."""

    url: str
    params: dict[str, str]
    # The answer's HTTP status; 0 when there was none (connection refused, timeout).
    status: int
    error: str = ""
    # The answer's body, so tests can see what the endpoint made of the report.
    body: str = ""


@dataclass(frozen=True)
class FakeStats:
    """Counters since the last reset."""

    requests: dict[str, int]
    accepted: dict[str, int]
    rejected: dict[str, int]
    dropped: dict[str, int]

    def to_json(self) -> dict[str, dict[str, int]]:
        return {
            "requests": self.requests,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "dropped": self.dropped,
        }


class FakeState:
    """Records, rejections, counters, faults and Slack's DM map for one fake server."""

    def __init__(self, seed: int = 0, *, twilio_auth_token: str = "") -> None:
        self._lock = threading.Lock()
        self.faults = FaultBook(seed)
        self.latency = 0.0
        # Twilio signs status callbacks with it; without it the fake sends none.
        self.twilio_auth_token = twilio_auth_token
        self.callback_delay = DEFAULT_CALLBACK_DELAY
        self.callbacks_paused = False
        # When set, the only Twilio auth token / Slack token the fakes accept: any other is
        # refused as the vendor refuses a wrong one (`outage-notify doctor`'s tests). Empty:
        # any well-formed credentials are accepted.
        self.required_twilio_auth_token = ""
        self.required_slack_token = ""
        self._callbacks: list[FakeCallback] = []
        self._callbacks_pending = 0
        self._records: list[FakeRecord] = []
        self._rejections: list[FakeRejection] = []
        self._requests: Counter[str] = Counter()
        self._dropped: Counter[str] = Counter()
        self._dm_by_user: dict[str, str] = {}
        self._user_by_dm: dict[str, str] = {}
        self._last_ts = 0.0

    def reset(self, seed: int | None = None) -> None:
        """Forget records, rejections, counters, faults, latency and required credentials; keep DM
        ids stable."""
        with self._lock:
            self._records.clear()
            self._rejections.clear()
            self._requests.clear()
            self._dropped.clear()
            self.latency = 0.0
            self._callbacks.clear()
            self.callback_delay = DEFAULT_CALLBACK_DELAY
            self.callbacks_paused = False
            self.required_twilio_auth_token = ""
            self.required_slack_token = ""
        self.faults.clear(seed)

    def count_request(self, channel: str) -> None:
        with self._lock:
            self._requests[channel] += 1

    def record(self, record: FakeRecord) -> None:
        with self._lock:
            self._records.append(record)

    def reject(self, rejection: FakeRejection) -> None:
        with self._lock:
            self._rejections.append(rejection)

    def count_drop(self, channel: str) -> None:
        with self._lock:
            self._dropped[channel] += 1

    def records(self, channel: str | None = None) -> list[FakeRecord]:
        with self._lock:
            return [r for r in self._records if channel is None or r.channel == channel]

    def rejections(self, channel: str | None = None) -> list[FakeRejection]:
        with self._lock:
            return [r for r in self._rejections if channel is None or r.channel == channel]

    def callback_scheduled(self) -> None:
        with self._lock:
            self._callbacks_pending += 1

    def record_callback(self, callback: FakeCallback) -> None:
        with self._lock:
            self._callbacks.append(callback)

    def callback_finished(self) -> None:
        with self._lock:
            self._callbacks_pending -= 1

    def callbacks(self) -> list[FakeCallback]:
        with self._lock:
            return list(self._callbacks)

    def callbacks_pending(self) -> int:
        """Messages whose status callbacks are not all posted yet."""
        with self._lock:
            return self._callbacks_pending

    def stats(self) -> FakeStats:
        with self._lock:
            accepted = Counter(r.channel for r in self._records)
            rejected = Counter(r.channel for r in self._rejections)
            return FakeStats(
                requests=dict(self._requests),
                accepted=dict(accepted),
                rejected=dict(rejected),
                dropped=dict(self._dropped),
            )

    def dm_channel(self, user: str) -> str:
        """The stable D… id of the DM with `user`, created on first use."""
        with self._lock:
            channel = self._dm_by_user.get(user)
            if channel is None:
                channel = f"D{len(self._dm_by_user) + 1:08d}{user[1:5].upper()}"
                self._dm_by_user[user] = channel
                self._user_by_dm[channel] = user
            return channel

    def dm_user(self, channel: str) -> str | None:
        with self._lock:
            return self._user_by_dm.get(channel)

    def next_slack_ts(self) -> str:
        """A unique, increasing Slack message timestamp (Slack's message id)."""
        with self._lock:
            now = max(time.time(), self._last_ts + 0.000001)
            self._last_ts = now
            return f"{now:.6f}"


def utc_now() -> datetime:
    return datetime.now(UTC)
