"""The console's session cookie: who signed in, their role, their CSRF token, until when.

The cookie is the session (nothing is stored server-side): JSON, base64url, then an
HMAC-SHA256 of it under `CONSOLE_SECRET` (or a per-process random key when that is unset, so
sessions end on restart). Signing out clears the cookie in that browser; a copied cookie stays
valid until it expires (docs/known-limitations.md).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from outage_notify.config.api_tokens import Role
from outage_notify.config.settings import Settings

COOKIE = "outage_notify_console"
# Before sign-in there is no session: the sign-in form's CSRF token lives in its own cookie.
SIGN_IN_COOKIE = "outage_notify_console_sign_in"
_PROCESS_SECRET = secrets.token_bytes(32)


@dataclass(frozen=True)
class ConsoleSession:
    """A signed-in person: the name actions are recorded under, their role, the session's CSRF
    token, and when the session ends."""

    name: str
    role: Role
    csrf: str
    expires: datetime
    # "token" (signed in with an API token) or "proxy" (the trusted header named them).
    via: str = "token"


def secret_of(settings: Settings) -> bytes:
    """The key sessions are signed with: the configured one, else this process's own."""
    configured = settings.console.secret.get_secret_value()
    return configured.encode() if configured else _PROCESS_SECRET


def new_session(
    settings: Settings, *, name: str, role: Role, now: datetime, via: str
) -> ConsoleSession:
    """A session for `name` starting `now`, with a fresh CSRF token."""
    return ConsoleSession(
        name=name,
        role=role,
        csrf=secrets.token_urlsafe(32),
        expires=now + timedelta(minutes=settings.console.session_minutes),
        via=via,
    )


def _mac(key: bytes, payload: bytes) -> str:
    return (
        base64.urlsafe_b64encode(hmac.new(key, payload, hashlib.sha256).digest())
        .decode()
        .rstrip("=")
    )


def encode(session: ConsoleSession, key: bytes) -> str:
    """The cookie value for `session`."""
    data = {
        "n": session.name,
        "r": session.role.value,
        "c": session.csrf,
        "e": int(session.expires.timestamp()),
        "v": session.via,
    }
    payload = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode())
    return f"{payload.decode()}.{_mac(key, payload)}"


def decode(value: str, key: bytes, *, now: datetime) -> ConsoleSession | None:
    """The session in a cookie value, or None when it is malformed, forged or expired."""
    payload, _, mac = value.partition(".")
    if not payload or not hmac.compare_digest(mac.encode(), _mac(key, payload.encode()).encode()):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(payload.encode()))
        expires = datetime.fromtimestamp(int(data["e"]), tz=now.tzinfo)
        found = ConsoleSession(
            name=str(data["n"]),
            role=Role(data["r"]),
            csrf=str(data["c"]),
            expires=expires,
            via=str(data["v"]),
        )
    except (binascii.Error, ValueError, KeyError, TypeError):
        return None
    return found if now < found.expires else None


def same_token(presented: str, expected: str) -> bool:
    """Whether a form's CSRF token is the session's, in constant time."""
    return bool(presented) and hmac.compare_digest(presented.encode(), expected.encode())
