"""Request dependencies: API-token authentication, roles, database sessions.

A token comes as `Authorization: Bearer <token>` or, for Alertmanager's `basic_auth`, as
`Authorization: Basic base64(<any username>:<token>)`; the username is ignored (the token's own
name is who acted). No or an unknown token is 401 with `WWW-Authenticate`; a known token whose
role is too low is 403 with the reason. Refusals are logged with the route, the client address
and the reason, never with the body or the presented credentials.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.http import HTTPBase
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from outage_notify.actions.staff import ActionContext
from outage_notify.actions.staff import (
    Principal as Principal,  # routes import it from here
)
from outage_notify.api.auth_first import AuthenticateFirst, authenticates, once
from outage_notify.config.api_tokens import ROLE_RANK, Role
from outage_notify.console.app_state import (  # routes import them from here
    client_address as client_address,
)
from outage_notify.console.app_state import clock_of as clock_of
from outage_notify.console.app_state import config_of as config_of
from outage_notify.console.app_state import context_of
from outage_notify.console.app_state import directory_of as directory_of
from outage_notify.console.app_state import settings_of as settings_of
from outage_notify.console.app_state import snapshot_of as snapshot_of
from outage_notify.console.identity import token_role
from outage_notify.core.errors import AlreadyOpen, EtaError, NoSuchIncident, TransitionError

log = logging.getLogger(__name__)
# Both only document the schemes in OpenAPI; `presented_token` reads the header itself.
bearer_scheme = HTTPBearer(auto_error=False, description="A token from OUTAGE_NOTIFY_API_TOKENS.")
basic_scheme = HTTPBase(
    scheme="basic",
    auto_error=False,
    description="For Alertmanager's basic_auth: any username, an API token as the password.",
)
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="outage_notify"'}


class Refusal(BaseModel):
    """Why the request was refused."""

    detail: str


# Documented on every router behind a token, so the OpenAPI document lists what callers get.
AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": Refusal, "description": "No API token, or one this service does not know."},
    403: {"model": Refusal, "description": "The token's role is too low, or a bad signature."},
}


def staff_router(prefix: str, tag: str) -> APIRouter:
    """A router whose every route needs a token: the refusals documented, and authentication
    run before the request body is read (`AuthenticateFirst`)."""
    return APIRouter(
        prefix=prefix, tags=[tag], responses=AUTH_RESPONSES, route_class=AuthenticateFirst
    )


def action_context(request: Request) -> ActionContext:
    """What a staff action needs from this app, with the request's client for the audit log."""
    return context_of(request, client=client_address(request))


@contextmanager
def domain_errors() -> Iterator[None]:
    """Turn a staff action's refusal into its HTTP answer: 404 no incident, 409 conflict, 422
    an ETA that cannot be announced."""
    try:
        yield
    except NoSuchIncident as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    except (TransitionError, AlreadyOpen) as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
    except EtaError as error:
        # Shaped like FastAPI's own 422, the one body every 422 of the API documents.
        raise RequestValidationError(
            [{"type": "value_error", "loc": ("body", "eta"), "msg": str(error), "input": None}]
        ) from error


def session(request: Request) -> Iterator[Session]:
    """A session whose transaction commits when the route returns without error."""
    with request.app.state.sessions() as db, db.begin():
        yield db


def refuse(
    request: Request, code: int, reason: str, headers: dict[str, str] | None = None
) -> HTTPException:
    """Log a refused request without its body or credentials; the HTTPException to raise."""
    log.warning(
        "refused %s %s from %s: %s (%s)",
        request.method,
        request.url.path,
        client_address(request),
        reason,
        code,
    )
    return HTTPException(code, reason, headers=headers)


def presented_token(request: Request) -> str | None:
    """The token in a Bearer or Basic (password) Authorization header, if any."""
    scheme, _, credentials = request.headers.get("Authorization", "").strip().partition(" ")
    credentials = credentials.strip()
    if not credentials:
        return None
    if scheme.lower() == "bearer":
        return credentials
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        _username, separator, password = decoded.partition(":")
        return password if separator and password else None
    return None


def token_principal(request: Request) -> Principal:
    """The principal behind a valid API token, or 401."""
    presented = presented_token(request)
    if presented is None:
        raise refuse(
            request,
            status.HTTP_401_UNAUTHORIZED,
            "missing bearer token (Authorization: Bearer <token>, or Basic with the token"
            " as password)",
            CHALLENGE,
        )
    found = token_role(settings_of(request).api_tokens, presented)
    if found is None:
        raise refuse(request, status.HTTP_401_UNAUTHORIZED, "invalid token", CHALLENGE)
    return Principal(name=found.name, role=found.role)


def check_role(request: Request, principal: Principal, role: Role) -> Principal:
    """`principal` if its role is `role` or above, else 403 naming the role needed."""
    if ROLE_RANK[principal.role] < ROLE_RANK[role]:
        # Not the token's name: that would confirm to whoever holds a leaked token that it is
        # valid, and whose it is.
        log.warning(
            "refused %s %s from %s: token %r has the %s role, %s needed (403)",
            request.method,
            request.url.path,
            client_address(request),
            principal.name,
            principal.role,
            role,
        )
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"this needs the {role} role or above")
    return principal


async def principal_of(request: Request) -> Principal:
    """`token_principal` on the event loop when the check is cheap, else in a worker thread.

    Plain and SHA-256 tokens take microseconds to check: running that in the thread pool (as
    FastAPI does with a sync dependency) would cost more than the check itself. An scrypt
    entry takes tens of milliseconds per request, which must not stall the event loop.
    """
    if any(token.scheme == "scrypt" for token in settings_of(request).api_tokens):
        return await run_in_threadpool(token_principal, request)
    return token_principal(request)


Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]
Basic = Annotated[HTTPAuthorizationCredentials | None, Depends(basic_scheme)]


def require(role: Role) -> Callable[..., Awaitable[Principal]]:
    """A dependency that lets through `role` and the roles above it, else 401 or 403.

    Routers with `route_class=AuthenticateFirst` run it before reading the request body.
    """

    async def role_check(request: Request) -> Principal:
        return check_role(request, await principal_of(request), role)

    @authenticates(role_check)
    async def check(request: Request, _bearer: Bearer, _basic: Basic) -> Principal:
        # The parameters only document the schemes; `presented_token` reads the header.
        return await once(request, role_check)

    return check


DB = Annotated[Session, Depends(session)]
Monitor = Annotated[Principal, Depends(require(Role.MONITOR))]
Staff = Annotated[Principal, Depends(require(Role.STAFF))]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
