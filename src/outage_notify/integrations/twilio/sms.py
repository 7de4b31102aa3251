"""SMS through Twilio's Messages API (twilio-python 9.x, async).

Twilio has no idempotency key: after a timeout or a dropped connection the text may or may
not be queued, so those become `UnknownOutcomeError` and `find_sent` lists the recipient's
recent messages before anyone resends.
"""

from __future__ import annotations

import functools
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import aiohttp
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from outage_notify.channels.base import Receipt
from outage_notify.channels.capacity import LIMITS
from outage_notify.channels.transport import TRANSPORT_ERRORS, client_timeout, transport_error
from outage_notify.config.settings import TwilioSettings
from outage_notify.core.errors import (
    ChannelError,
    PermanentError,
    TransientError,
    UnknownOutcomeError,
)
from outage_notify.core.models import ChannelName, OutboundMessage

PROVIDER = "Twilio"
# Twilio error code -> (error kind, what a person should read). Codes not listed: 429 and
# 5xx are transient, any other 4xx permanent (the same request would fail the same way).
ERRORS: dict[int, tuple[type[ChannelError], str]] = {
    20003: (PermanentError, "Twilio rejected our credentials (account SID / auth token)"),
    20429: (TransientError, "Twilio is rate limiting us"),
    21211: (PermanentError, "the number is not a valid phone number"),
    21408: (PermanentError, "SMS to this country is not enabled on our Twilio account"),
    21602: (PermanentError, "the message body is empty"),
    21604: (PermanentError, "no sender configured (From number or Messaging Service)"),
    21606: (PermanentError, "our sender number cannot send SMS to this destination"),
    21610: (PermanentError, "the recipient replied STOP and has unsubscribed from our texts"),
    21612: (PermanentError, "the number cannot be reached by SMS from our sender"),
    21614: (PermanentError, "the number is not a mobile number"),
    21617: (PermanentError, "the message is longer than Twilio's 1,600 characters"),
}
# How many of the recipient's latest messages `find_sent` inspects.
LOOKUP_LIMIT = 50


class _Throttled(Exception):
    """A 429 seen by the transport, which (unlike TwilioRestException) still has the headers."""

    def __init__(self, code: int, retry_after: float) -> None:
        super().__init__(code, retry_after)
        self.code = code
        self.retry_after = retry_after


class _TwilioTransport(AsyncTwilioHttpClient):  # type: ignore[misc]
    """AsyncTwilioHttpClient with its three problems against aiohttp 3.14 fixed.

    The stock client (twilio 9.13) ignores its own `timeout` (it passes the per-request
    `None` on, which aiohttp reads as "no timeout"), builds `aiohttp.BasicAuth` and passes
    `auth=` (both deprecated, DeprecationWarning on every request) and drops response
    headers from errors, so a 429's Retry-After is lost.
    """

    def __init__(self, timeout_seconds: float) -> None:
        super().__init__(pool_connections=False, timeout=timeout_seconds)
        self.session = aiohttp.ClientSession(timeout=client_timeout(timeout_seconds))

    async def request(
        self,
        method: str,
        url: str,
        params: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - the SDK's signature
        allow_redirects: bool = False,
    ) -> Response:
        request_headers = dict(headers or {})
        if auth is not None:
            request_headers["Authorization"] = _basic_auth(*auth)
        async with self.session.request(
            method.upper(),
            url,
            params=params,
            data=form_body(data),
            headers=request_headers,
            allow_redirects=allow_redirects,
            timeout=client_timeout(timeout) if timeout else self.session.timeout,
        ) as response:
            text = await response.text()
        if response.status == 429:
            raise _Throttled(_code_in(text, 20429), _retry_after(response.headers))
        return Response(response.status, text, response.headers)


# The account's credentials are the same on every request: encode them once.
_basic_auth = functools.lru_cache(maxsize=8)(aiohttp.encode_basic_auth)


def form_body(data: dict[str, Any] | None) -> bytes | dict[str, Any] | None:
    """The SDK's fields urlencoded as aiohttp's FormData does it (the SDK sets the
    Content-Type): the same bytes, without the multipart writer FormData builds first and its
    uuid4 boundary, a fifth of the CPU of a send (benchmarks/sms_send.py). A file or bytes
    value, which FormData would send as multipart, is left to it."""
    if data is None or any(isinstance(value, _MULTIPART) for value in data.values()):
        return data
    if all(type(name) is str and type(value) in _SCALARS for name, value in data.items()):
        return "&".join(
            f"{_quote_plus(name)}={_quote_plus(str(value))}" for name, value in data.items()
        ).encode()
    return urlencode(list(data.items()), doseq=True).encode()


# What makes aiohttp's FormData switch to multipart/form-data (aiohttp/formdata.py add_field).
_MULTIPART = (io.IOBase, bytes, bytearray, memoryview)
# Values that `urlencode(doseq=True)` writes as `quote_plus(str(value))`; a list or any other
# type takes urlencode itself.
_SCALARS = frozenset({str, int, bool, float})
# Each byte as `quote_plus` writes it: its safe bytes as themselves, the space as "+", the rest
# as %XX.
_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~")
_FORM_BYTES = [
    chr(byte) if byte in _SAFE else "+" if byte == 0x20 else f"%{byte:02X}" for byte in range(256)
]


@functools.lru_cache(maxsize=256)
def _quote_plus(text: str) -> str:
    """`urllib.parse.quote_plus(text)`, remembered: a fan-out sends one body to thousands of
    numbers, and quoting it was a tenth of a send's CPU (quote_plus maps each byte through a
    Python call; this maps them in C)."""
    return "".join(map(_FORM_BYTES.__getitem__, text.encode()))


def _code_in(text: str, default: int) -> int:
    try:
        return int(json.loads(text).get("code", default))
    except (ValueError, AttributeError, TypeError):
        return default


def _retry_after(headers: Any) -> float:
    try:
        return max(float(headers.get("Retry-After", "1")), 0.0)
    except ValueError:
        return 1.0


def _rest_error(status: int, code: int | None, message: str) -> ChannelError:
    known = ERRORS.get(code or 0)
    code_text = str(code or status)
    if known is not None:
        kind, reason = known
        return kind(reason, code=code_text)
    if status == 429 or status >= 500:
        return TransientError(f"Twilio answered {status}: {message}", code=code_text)
    return PermanentError(f"Twilio refused the message: {message}", code=code_text)


def map_error(error: BaseException) -> ChannelError:
    """Translate whatever the SDK raised during a send into our three kinds."""
    if isinstance(error, _Throttled):
        return TransientError(
            "Twilio is rate limiting us", code=str(error.code), retry_after=error.retry_after
        )
    if isinstance(error, TwilioRestException):
        return _rest_error(error.status, error.code, error.msg)
    if isinstance(error, TwilioServiceException):
        return _rest_error(error.status, error.code, error.detail or error.title)
    if isinstance(error, TRANSPORT_ERRORS):
        return transport_error(PROVIDER, error)
    # A 2xx whose body would not parse: Twilio probably queued the text.
    return UnknownOutcomeError(f"unreadable answer from Twilio: {error}", code="bad_response")


SEND_ERRORS: tuple[type[BaseException], ...] = (
    TwilioException,
    _Throttled,
    *TRANSPORT_ERRORS,
    ValueError,
    KeyError,
)


def twilio_client(settings: TwilioSettings) -> tuple[_TwilioTransport, Client]:
    """The SDK client on our transport, for the SMS and WhatsApp channels (close the
    transport when done)."""
    transport = _TwilioTransport(settings.timeout_seconds)
    # An empty environment: TWILIO_EDGE/TWILIO_REGION would rewrite the host (even a
    # fake's 127.0.0.1), and settings are the only configuration source.
    client = Client(
        settings.account_sid,
        settings.auth_token.get_secret_value(),
        http_client=transport,
        environment={},
    )
    if settings.base_url:
        client.api.base_url = settings.base_url.rstrip("/")
    return transport, client


async def create_message(
    client: Client, map_error: Callable[[BaseException], ChannelError], **fields: Any
) -> Receipt:
    """Create one message (Messages API); what the SDK raised as `map_error` says."""
    try:
        created = await client.messages.create_async(**fields)
    except SEND_ERRORS as error:
        raise map_error(error) from error
    return Receipt(provider_id=str(created.sid), status=str(created.status or "queued"))


async def list_sent(
    client: Client,
    map_error: Callable[[BaseException], ChannelError],
    *,
    to: str,
    since: datetime,
) -> list[Any]:
    """The messages to `to` since `since`, newest first (at most LOOKUP_LIMIT). A failed
    lookup is transient even when a send failing the same way would be of unknown outcome:
    nothing was sent by asking."""
    since_utc = since.replace(tzinfo=UTC) if since.tzinfo is None else since.astimezone(UTC)
    try:
        listed: list[Any] = await client.messages.list_async(
            to=to, date_sent_after=since_utc, limit=LOOKUP_LIMIT
        )
    except SEND_ERRORS as error:
        mapped = map_error(error)
        if isinstance(mapped, UnknownOutcomeError):
            raise TransientError(f"could not list messages: {mapped.reason}") from error
        raise mapped from error
    return listed


class SmsChannel:
    """Texts one phone number per send through Twilio.

    Build it inside the running event loop that will use it: its aiohttp session binds there.
    """

    name = ChannelName.SMS
    limits = LIMITS[ChannelName.SMS]

    def __init__(self, settings: TwilioSettings, *, status_callback_url: str | None = None) -> None:
        self._settings = settings
        self._status_callback_url = status_callback_url
        self._transport, self._client = twilio_client(settings)

    async def send(self, message: OutboundMessage) -> Receipt:
        sender: dict[str, str] = (
            {"messaging_service_sid": self._settings.messaging_service_sid}
            if self._settings.messaging_service_sid
            else {"from_": self._settings.from_number}
        )
        return await create_message(
            self._client,
            map_error,
            to=message.address,
            body=message.body,
            validity_period=self._settings.validity_period_seconds,
            status_callback=self._status_callback_url,
            **sender,
        )

    async def find_sent(self, message: OutboundMessage, since: datetime) -> Receipt | None:
        """The newest message to this number since `since` whose body matches, if any.

        Twilio's `DateSent` filter has one-second resolution and the SDK formats the value
        as UTC without converting, so `since` is converted here; a message still queued at
        Twilio (no date_sent yet) may not be listed.
        """
        for sent in await list_sent(self._client, map_error, to=message.address, since=since):
            if _same_message(message, str(sent.body or "")):
                return Receipt(provider_id=str(sent.sid), status=str(sent.status or "sent"))
        return None

    async def aclose(self) -> None:
        await self._transport.close()


def _same_message(message: OutboundMessage, body: str) -> bool:
    # Twilio may append opt-out text ("Reply STOP to unsubscribe") to a body, so ours is a prefix.
    return body.strip().startswith(message.body.strip())
