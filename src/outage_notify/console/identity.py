"""Who is at the console: a signed session cookie, or a name a trusted reverse proxy gives.

Staff sign in with a `staff` or `admin` API token (a `monitor` token is refused: it can only
send alerts). With `CONSOLE_TRUSTED_HEADER` set, a request from one of `CONSOLE_TRUSTED_PROXIES`
that carries the header is that person, with the `staff` role: an SSO proxy in front
(oauth2-proxy) has signed them in. From any other address the header is ignored.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from ipaddress import ip_address

from fastapi import Request

from outage_notify.config.api_tokens import ROLE_RANK, ApiToken, Role
from outage_notify.config.settings import Settings
from outage_notify.console import session as sessions
from outage_notify.console.app_state import client_address
from outage_notify.console.session import ConsoleSession
from outage_notify.core import field_limits as limits

log = logging.getLogger(__name__)


def token_role(tokens: Sequence[ApiToken], presented: str) -> ApiToken | None:
    """The configured token `presented` is, checking every one so timing reveals nothing."""
    found = None
    for token in tokens:
        if token.matches(presented):
            found = token
    return found


def sign_in_refusal(token: ApiToken | None) -> str | None:
    """Why this token may not sign in to the console, or None when it may."""
    if token is None:
        return "That token is not one this service knows."
    if ROLE_RANK[token.role] < ROLE_RANK[Role.STAFF]:
        return "A monitor token cannot sign in: the console needs a staff or admin token."
    return None


def log_refusal(request: Request, reason: str) -> None:
    """Log a refused sign-in without the token presented."""
    log.warning("refused console sign-in from %s: %s", client_address(request), reason)


def actor_name(token: ApiToken, person: str) -> str:
    """The name the console's actions are recorded under: the person, and whose token."""
    person = " ".join(person.split())
    if not person:
        return token.name
    return f"{person} ({token.name})"[: limits.ACTOR]


def proxy_identity(request: Request, settings: Settings) -> str | None:
    """The person a trusted proxy names in `CONSOLE_TRUSTED_HEADER`, or None."""
    header = settings.console.trusted_header
    if not header or not settings.console.trusted_proxies:
        return None
    value = " ".join(request.headers.get(header, "").split())
    if not value:
        return None
    try:
        client = ip_address(client_address(request))
    except ValueError:
        return None
    if not any(client in network for network in settings.console.trusted_proxies):
        return None
    return value[: limits.ACTOR]


def current(request: Request, settings: Settings, *, now: datetime) -> ConsoleSession | None:
    """The session of this request: its cookie's, provided a trusted proxy names the same person."""
    key = sessions.secret_of(settings)
    found = sessions.decode(request.cookies.get(sessions.COOKIE, ""), key, now=now)
    proxied = proxy_identity(request, settings)
    if proxied is not None and (found is None or found.name != proxied):
        # The proxy signed someone (else) in: a fresh session under their name.
        return sessions.new_session(settings, name=proxied, role=Role.STAFF, now=now, via="proxy")
    return found
