"""A pure ASGI middleware that refuses request bodies over a size limit with 413.

The declared `Content-Length` is checked before the application runs; a chunked body (or one
that lies about its length) is counted as it streams, and the chunk that crosses the limit is
never handed to the application, so nothing downstream ever holds more than the limit.
"""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from outage_notify.core.digits import ascii_digits


class BodyTooLarge(HTTPException):
    """Raised from `receive` when the streamed body crosses the limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, too_large(limit))


def too_large(limit: int) -> str:
    return f"request body is larger than {limit} bytes (OUTAGE_NOTIFY_MAX_BODY_BYTES)"


class BodyLimit:
    """Wraps `app`; any HTTP request body over `max_bytes` gets 413 with a reason."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared == -1:
            await _answer(send, 400, "Content-Length is not a number")
            return
        if declared is not None and declared > self.max_bytes:
            await _answer(send, 413, too_large(self.max_bytes))
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except BodyTooLarge as error:
            # FastAPI turns it into a 413 itself; this covers whatever read the body outside
            # a route (a middleware, a dependency without FastAPI's handlers).
            if started:
                raise
            await _answer(send, error.status_code, error.detail)


def _content_length(scope: Scope) -> int | None:
    """The declared length, None when absent, -1 when it is not a number."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if ascii_digits(text) else -1
    return None


async def _answer(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                # The rest of the body is not read, so the connection cannot be reused.
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
