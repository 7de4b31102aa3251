"""The error answers each group of routes can give, documented so /openapi.json is truthful.

Every error body except a validation error (422, FastAPI's own shape) is `{"detail": "..."}`
with a sentence a person can act on.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ErrorOut(BaseModel):
    detail: str


REASONS = {
    400: (
        "The body could not be read (not UTF-8), Content-Length is not a number, or a"
        " provider's callback lacks a required field."
    ),
    401: "No valid credentials (bearer token, or the source's own authentication).",
    403: "The credentials are valid but not for this (the role is too low, a bad signature).",
    404: "No such incident.",
    409: "The incident is not in a state that allows this (e.g. already resolved or open).",
    413: "The body is larger than OUTAGE_NOTIFY_MAX_BODY_BYTES.",
    503: "The database or the message broker is unavailable; retry after Retry-After seconds.",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a router or route that may answer with `codes`."""
    return {code: {"model": ErrorOut, "description": REASONS[code]} for code in codes}


WEBHOOK = errors(400, 401, 403, 413, 503)
TWILIO_CALLBACK = errors(400, 403, 413, 503)
# Slack's requests prove themselves with the signing secret, as Twilio's with the auth token.
SLACK_CALLBACK = errors(400, 403, 413, 503)
STAFF_WRITE = errors(400, 401, 403, 404, 409, 413, 503)
STAFF_READ = errors(401, 403, 404, 503)
PUBLIC_READ: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified: the client's If-None-Match holds the current ETag."},
    **errors(503),
}
