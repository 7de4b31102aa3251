"""Settings of the web console at `/console` (`outage_notify.console`).

Nested in `Settings` as `console`, so `OUTAGE_NOTIFY_CONSOLE_SESSION_MINUTES=60` fills
`settings.console.session_minutes`.
"""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network, ip_network
from typing import Annotated, Any

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import NoDecode

from outage_notify.config.sections import DOCUMENTED, split_list


class ConsoleSettings(BaseModel):
    """Sign-in sessions of the console, and an optional reverse proxy that signs people in."""

    model_config = DOCUMENTED

    secret: SecretStr = SecretStr("")
    """Key that signs the console's session cookies (32 random bytes or more, e.g. `openssl rand
    -hex 32`). Empty: each process draws its own at start, so sessions end when the service
    restarts, and with `serve --workers N` a session works on one process only: set it then."""
    session_minutes: int = Field(default=480, ge=1, le=7 * 24 * 60)
    """How long a console session lasts after sign-in; then staff sign in again."""
    trusted_header: str = Field(default="", max_length=100, pattern=r"^[A-Za-z0-9_-]*$")
    """A header (e.g. `X-Forwarded-Email` from oauth2-proxy) naming who is signed in, set by a
    reverse proxy doing single sign-on; they act with the `staff` role under that name. Honoured
    only on requests from `CONSOLE_TRUSTED_PROXIES`. Empty: staff sign in with an API token."""
    trusted_proxies: Annotated[list[IPv4Network | IPv6Network], NoDecode] = Field(
        default_factory=list
    )
    """Addresses or CIDRs (comma-separated) of the reverse proxies whose `CONSOLE_TRUSTED_HEADER`
    is believed, e.g. `10.0.0.5/32,fd00::/8`. Empty: the header is never believed."""

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _networks(cls, value: Any) -> Any:
        value = split_list(value)
        if isinstance(value, list):
            return [
                ip_network(part, strict=False) if isinstance(part, str) else part for part in value
            ]
        return value
