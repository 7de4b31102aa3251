"""Sorting aiohttp failures into never-sent (transient) and maybe-sent (unknown outcome).

Twilio's and Slack's async clients both run on aiohttp and let its exceptions through, so
both channels share this table. What matters is whether the request may have left:
a refused, unresolvable or timed-out *connect* never reached the provider and is safe to
retry; a timeout or disconnect after that may have been accepted and must be reconciled.
"""

from __future__ import annotations

import aiohttp

from outage_notify.core.errors import (
    ChannelError,
    PermanentError,
    TransientError,
    UnknownOutcomeError,
)


def client_timeout(seconds: float) -> aiohttp.ClientTimeout:
    """A total budget whose connect phase (pool wait + TCP connect) ends first.

    With only `total`, a stalled connect surfaces as a bare TimeoutError that looks exactly
    like a stalled response; a shorter `connect` makes it a ConnectionTimeoutError instead.
    """
    return aiohttp.ClientTimeout(total=seconds, connect=seconds / 2)


TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (aiohttp.ClientError, TimeoutError)


def transport_error(provider: str, error: BaseException) -> ChannelError:
    """The channel error for one of `TRANSPORT_ERRORS` raised while talking to `provider`."""
    # Order matters: ConnectionTimeoutError is a TimeoutError, ClientConnectorError an OSError.
    if isinstance(error, aiohttp.ClientConnectorError):
        return TransientError(f"could not connect to {provider}: {error}", code="connect_error")
    if isinstance(error, aiohttp.ConnectionTimeoutError):
        return TransientError(f"connecting to {provider} timed out", code="connect_timeout")
    if isinstance(error, aiohttp.InvalidURL):
        return PermanentError(f"the {provider} URL is not valid: {error}", code="invalid_url")
    if isinstance(error, TimeoutError):
        return UnknownOutcomeError(
            f"{provider} did not answer in time after the request was sent", code="timeout"
        )
    return UnknownOutcomeError(
        f"the connection to {provider} failed after the request was sent: "
        f"{type(error).__name__}: {error}",
        code="disconnected",
    )
