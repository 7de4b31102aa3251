"""DEVELOPMENT FAKE: the faults the fake providers inject, and the book that decides when.

A fault targets one channel ("sms", "slack", "fallback"), optionally one address, and says
what goes wrong: a Twilio error code, a bare HTTP status, a Slack error string, `drop`
(record the message, then close the connection without answering: the unknown-outcome case)
or only `delay` (record, answer late: a slow provider). `times` and `ratio` bound how often.
On sms, `delivery_status` ("undelivered" or "failed", with a Twilio `error_code`) accepts the
message but makes its status callbacks report that instead of "delivered".
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, field, replace
from typing import Any

CHANNELS = frozenset({"sms", "slack", "fallback", "voice", "whatsapp"})
# Twilio's channels: one fake Messages API serves both.
TWILIO_CHANNELS = frozenset({"sms", "whatsapp"})
# Which request a fault targets when it does not say; Slack DMs first hit conversations.open.
DEFAULT_METHOD = {
    "sms": "messages.create",
    "slack": "chat.postMessage",
    "fallback": "notify",
    "voice": "calls.create",
    "whatsapp": "messages.create",
}
# What a status callback can report instead of "delivered", and the code it carries by default.
DELIVERY_STATUSES = {"undelivered": 30003, "failed": 30008}


@dataclass
class Fault:
    """One injected failure; exactly one of the kinds, or only a delay."""

    channel: str
    to: str | None = None
    twilio_code: int | None = None
    http_status: int | None = None
    slack_error: str | None = None
    drop: bool = False
    # Accepted, then reported by the status callbacks as this (Twilio 30xxx `error_code`).
    delivery_status: str | None = None
    error_code: int | None = None
    # Seconds to wait after recording and before answering (or dropping).
    delay: float = 0.0
    retry_after: int | None = None
    times: int | None = None
    ratio: float = 1.0
    method: str | None = None
    applied: int = field(default=0, compare=False)

    def __post_init__(self) -> None:
        if self.channel not in CHANNELS:
            raise ValueError(f"unknown channel {self.channel!r}; use one of {sorted(CHANNELS)}")
        kinds = [self.twilio_code is not None, self.http_status is not None]
        kinds += [self.slack_error is not None, self.drop, self.delivery_status is not None]
        if sum(kinds) > 1:
            raise ValueError(
                "a fault has one kind: twilio_code, http_status, slack_error, drop"
                " or delivery_status"
            )
        if sum(kinds) == 0 and self.delay <= 0:
            raise ValueError("a fault needs a kind or a delay")
        if self.twilio_code is not None and self.channel not in TWILIO_CHANNELS:
            raise ValueError("twilio_code applies to the sms and whatsapp channels only")
        if self.slack_error is not None and self.channel != "slack":
            raise ValueError("slack_error applies to the slack channel only")
        if self.delivery_status is not None:
            if self.channel not in TWILIO_CHANNELS:
                raise ValueError("delivery_status applies to the sms and whatsapp channels only")
            if self.delivery_status not in DELIVERY_STATUSES:
                raise ValueError(f"delivery_status is one of {sorted(DELIVERY_STATUSES)}")
            if self.error_code is None:
                self.error_code = DELIVERY_STATUSES[self.delivery_status]
        elif self.error_code is not None:
            raise ValueError("error_code goes with delivery_status")
        if not 0.0 <= self.ratio <= 1.0:
            raise ValueError("ratio must be between 0 and 1")
        if self.method is None:
            self.method = DEFAULT_METHOD[self.channel]

    @property
    def rejects(self) -> bool:
        """Whether the request is refused (not recorded) rather than accepted."""
        return not self.drop and (
            self.twilio_code is not None
            or self.http_status is not None
            or self.slack_error is not None
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fault:
        allowed = {name for name in cls.__dataclass_fields__ if name != "applied"}
        unknown = set(data) - allowed
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        return cls(**data)


class FaultBook:
    """The active faults; thread-safe, with a seeded random source for `ratio`."""

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._random = random.Random(seed)

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self, seed: int | None = None) -> None:
        with self._lock:
            self._faults.clear()
            if seed is not None:
                self._random.seed(seed)

    def snapshot(self) -> list[Fault]:
        with self._lock:
            return [replace(fault) for fault in self._faults]

    def pick(self, channel: str, method: str, addresses: tuple[str, ...]) -> Fault | None:
        """The first live fault matching this request, counted as applied; else None."""
        with self._lock:
            for fault in self._faults:
                if fault.channel != channel or fault.method != method:
                    continue
                if fault.to is not None and fault.to not in addresses:
                    continue
                if fault.times is not None and fault.applied >= fault.times:
                    continue
                if fault.ratio < 1.0 and self._random.random() >= fault.ratio:
                    continue
                fault.applied += 1
                return replace(fault)
        return None
