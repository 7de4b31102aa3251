"""Authenticate before the body is read: no parsing, and no 422, for a caller we do not know.

FastAPI reads and decodes a route's JSON body (up to OUTAGE_NOTIFY_MAX_BODY_BYTES) before it
solves any dependency, so malformed JSON sent without a token was answered 422, telling a
stranger about our parser and costing us the decode. Routes of routers built with
`route_class=AuthenticateFirst` run their authentication dependencies first (only headers
and, for a signature, the raw bytes are looked at) and refuse with 401/403 before that.

An authentication dependency is an ordinary FastAPI dependency (its extra parameters only
document the security scheme in OpenAPI) made with `authenticates`: its check runs once per
request, whether the route class or FastAPI calls it first, so a side effect such as
remembering a Grafana signature against replays happens once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Iterator
from typing import Any, TypeVar

from fastapi import Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from outage_notify.actions.staff import Principal

Check = Callable[[Request], Awaitable[Principal]]
_CHECK_ATTRIBUTE = "authentication_check"
_DONE = "authenticated"
F = TypeVar("F", bound=Callable[..., Awaitable[Principal]])


async def once(request: Request, check: Check) -> Principal:
    """The principal `check` finds for this request, computed on the first call only."""
    done: dict[int, Principal] = request.scope.setdefault(_DONE, {})
    key = id(check)
    if key not in done:
        done[key] = await check(request)
    return done[key]


def authenticates(check: Check) -> Callable[[F], F]:
    """Mark a dependency as running `check` (once): the route class runs it before the body."""

    def mark(dependency: F) -> F:
        setattr(dependency, _CHECK_ATTRIBUTE, check)
        return dependency

    return mark


def _checks(dependant: Dependant) -> Iterator[Check]:
    for sub in dependant.dependencies:
        check = getattr(sub.call, _CHECK_ATTRIBUTE, None)
        if check is not None:
            yield check
        yield from _checks(sub)


class AuthenticateFirst(APIRoute):
    """A route that authenticates before FastAPI reads, decodes and validates its body."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        checks = list(dict.fromkeys(_checks(self.dependant)))
        if not checks:
            return handler

        async def authenticated_first(request: Request) -> Response:
            for check in checks:
                await once(request, check)
            return await handler(request)

        return authenticated_first
