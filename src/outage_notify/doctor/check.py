"""One doctor line: a pure result, and what every check is given."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from outage_notify.config.settings import Settings
from outage_notify.contacts.directory import Directory

Status = Literal["ok", "warn", "fail"]
# Exit codes: 0 all ok, 1 warnings only, 2 any failure.
EXIT_CODES: dict[Status, int] = {"ok": 0, "warn": 1, "fail": 2}


@dataclass(frozen=True)
class Result:
    """What one check found, before the registry names it."""

    status: Status
    # One sentence: what was checked and what was found (never a secret).
    detail: str
    # One sentence an operator acts on; empty when the line is ok.
    fix: str = ""


@dataclass(frozen=True)
class Check:
    """One line of `outage-notify doctor`."""

    name: str
    status: Status
    detail: str
    fix: str = ""

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "status": self.status, "detail": self.detail, "fix": self.fix}


def ok(detail: str) -> Result:
    return Result("ok", detail)


def warn(detail: str, fix: str) -> Result:
    return Result("warn", detail, fix)


def fail(detail: str, fix: str) -> Result:
    return Result("fail", detail, fix)


def exit_code(checks: Iterable[Check]) -> int:
    """0 when every line is ok, 1 with warnings only, 2 with any failure."""
    return max((EXIT_CODES[check.status] for check in checks), default=0)


@dataclass
class Context:
    """What every check reads: the settings, the network timeout, the contacts (read once)."""

    settings: Settings
    # Seconds each network call may take.
    timeout: float
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _directory: Directory | None = field(default=None, repr=False)
    _loaded: bool = field(default=False, repr=False)

    def directory(self) -> Directory | None:
        """The contacts as the service loads them; None when they cannot be read (the contacts
        line says why)."""
        from outage_notify.contacts.loading import load_contacts
        from outage_notify.core.errors import ConfigError

        with self._lock:
            if not self._loaded:
                self._loaded = True
                try:
                    self._directory = load_contacts(self.settings)
                except ConfigError:
                    self._directory = None
            return self._directory

    def dry_run_status(self) -> Status:
        """How a dry run weighs: a warning in development, a failure in production."""
        return "fail" if self.settings.environment == "production" else "warn"
