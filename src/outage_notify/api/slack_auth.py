"""Slack's proof that a request comes from our Slack app: its signing secret.

Slack signs every interactivity payload and slash command with the app's signing secret
(`integrations/slack/signature.py`). A request is accepted when the secret is configured, the
timestamp is within five minutes of our clock, the signature matches the raw body, and that
signature has not been accepted before (an eavesdropper could resend it byte for byte while it
is fresh).

Every refusal is 403 with the reason (Slack shows nothing to the user; the reason is for whoever
reads our log or runs curl), logged without the body: it holds user ids and free text.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import Depends, HTTPException, Request, status
from starlette.datastructures import ImmutableMultiDict

from outage_notify.api.deps import clock_of, refuse, settings_of
from outage_notify.core.digits import ascii_digits
from outage_notify.integrations.slack.signature import (
    MAX_AGE_SECONDS,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    signature_matches,
)
from outage_notify.store import replays
from outage_notify.store.engine import transaction

# A block_actions payload carries the whole message it came from (blocks included), so it is
# larger than a Twilio callback; ours are a few KB, far below this.
MAX_BODY_BYTES = 256 * 1024
REPLAY_SOURCE = "slack"

Form = ImmutableMultiDict[str, str]


async def slack_form(request: Request) -> Form:
    """The request's form fields, once Slack's fresh, unseen signature proves them; or 403."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, "body too large")
    secret = settings_of(request).slack.signing_secret.get_secret_value()
    if not secret.strip():
        raise _refuse(
            request,
            "no Slack signing secret is configured (OUTAGE_NOTIFY_SLACK_SIGNING_SECRET)"
            " to check the signature with",
        )
    presented = request.headers.get(SIGNATURE_HEADER, "").strip()
    timestamp = request.headers.get(TIMESTAMP_HEADER, "").strip()
    if not presented or not timestamp:
        raise _refuse(request, f"missing {SIGNATURE_HEADER} or {TIMESTAMP_HEADER} header")
    now = clock_of(request).now()
    # 5,000 digits would also make int() raise: a 500.
    if not ascii_digits(timestamp, at_most=12):
        raise _refuse(request, f"{TIMESTAMP_HEADER} is not a Unix time in seconds")
    if abs(now.timestamp() - int(timestamp)) > MAX_AGE_SECONDS:
        raise _refuse(
            request,
            f"stale request: {TIMESTAMP_HEADER} is more than {MAX_AGE_SECONDS // 60} minutes"
            " from our clock (a replay, or a clock out of sync)",
        )
    try:
        text = body.decode()
    except UnicodeDecodeError:
        raise _refuse(request, "body is not a UTF-8 form") from None
    if not signature_matches(secret, timestamp=timestamp, body=text, presented=presented):
        raise _refuse(
            request,
            f"{SIGNATURE_HEADER} does not match the body (OUTAGE_NOTIFY_SLACK_SIGNING_SECRET"
            " must be the app's Signing Secret)",
        )
    # A timestamp may be up to the window ahead of our clock, so it stays fresh for twice that.
    keep = timedelta(seconds=2 * MAX_AGE_SECONDS)
    with transaction(request.app.state.sessions) as session:
        first = replays.remember(
            session, source=REPLAY_SOURCE, signature=presented.lower(), now=now, keep=keep
        )
    if not first:
        raise _refuse(request, "replayed request: this signature was already accepted")
    return ImmutableMultiDict(parse_qsl(text, keep_blank_values=True))


def _refuse(request: Request, reason: str) -> HTTPException:
    return refuse(request, status.HTTP_403_FORBIDDEN, reason)


SlackForm = Annotated[Form, Depends(slack_form)]
