"""The staff commands' calls to the service (`incident`, `maintenance`): the signed-in
connection, a refusal as the command's error, and the organisation's zone."""

from __future__ import annotations

from typing import Any, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from outage_notify.cli.http_client import ServiceError, StaffClient
from outage_notify.cli.login import connection
from outage_notify.cli.output import fail


def staff_client() -> StaffClient:
    found = connection()
    return StaffClient(found.url, found.token)


def stop(error: ServiceError) -> NoReturn:
    """The service's refusal as the command's error, with its exit code."""
    fail(str(error), code=error.code or 1)


def call(method: str, path: str, **kwargs: Any) -> Any:
    """The service's JSON answer, or the command stops with its refusal."""
    try:
        with staff_client() as client:
            return client.json(method, path, **kwargs)
    except ServiceError as error:
        stop(error)


def service_zone() -> ZoneInfo:
    """The organisation's zone, as the service says (times mean the office's clock)."""
    who = call("GET", "/api/v1/whoami")
    try:
        return ZoneInfo(who["timezone"])
    except (ZoneInfoNotFoundError, ValueError):
        fail(f"the service's zone {who['timezone']!r} is unknown to this machine")
