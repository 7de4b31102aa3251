"""Request dependencies: bearer-token authentication, roles, database sessions."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from outage_notify.settings import ROLE_RANK, Role, Settings

_bearer = HTTPBearer(auto_error=False, description="A token from OUTAGE_NOTIFY_API_TOKENS.")


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's name and role."""

    name: str
    role: Role


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def session(request: Request) -> Iterator[Session]:
    """A session whose transaction commits when the route returns without error."""
    with request.app.state.sessions() as db, db.begin():
        yield db


def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The principal behind a valid bearer token, or 401."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing bearer token (Authorization: Bearer <token>)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    presented = credentials.credentials.encode()
    found = None
    # Compare against every token, always, so timing does not reveal which one nearly matched.
    for token in settings_of(request).api_tokens:
        if hmac.compare_digest(presented, token.token.get_secret_value().encode()):
            found = token
    if found is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "invalid token", headers={"WWW-Authenticate": "Bearer"}
        )
    return Principal(name=found.name, role=found.role)


def require(role: Role) -> Callable[[Principal], Principal]:
    """A dependency that lets through `role` and the roles above it, else 403."""

    def check(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if ROLE_RANK[principal.role] < ROLE_RANK[role]:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"this needs the {role} role; the token is {principal.role}",
            )
        return principal

    return check


DB = Annotated[Session, Depends(session)]
Monitor = Annotated[Principal, Depends(require(Role.MONITOR))]
Staff = Annotated[Principal, Depends(require(Role.STAFF))]
