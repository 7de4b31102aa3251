"""A pure ASGI middleware that refuses a NUL character in the URL with 422.

PostgreSQL text cannot hold NUL, so a query parameter carrying one (`?state=%00`) fails the
query itself: without this, any route that filters on a string parameter answers 500. Bodies
are not checked here; their models strip or refuse NUL field by field. The answer has the shape
of FastAPI's own 422 (documented on every operation that takes parameters).
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send

REASON = "the URL contains a NUL character (%00), which no parameter may hold"


def _has_nul(raw: bytes) -> bool:
    return b"\x00" in raw or b"%00" in raw


class NulGuard:
    """Wraps `app`; a request whose path or query string holds NUL gets 422 with a reason."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (
            _has_nul(scope.get("query_string", b""))
            or _has_nul(scope.get("raw_path") or scope["path"].encode("utf-8", "replace"))
        ):
            where = "query" if _has_nul(scope.get("query_string", b"")) else "path"
            detail = [{"loc": [where], "msg": REASON, "type": "value_error"}]
            body = json.dumps({"detail": detail}).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 422,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)
