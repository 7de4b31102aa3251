"""Twilio status callbacks: delivery reports for the texts we sent.

Twilio posts a form to the `StatusCallback` URL of each message; what its fields and its
signature mean is Twilio's own (`integrations/twilio/callbacks.py`). The URL it signs is the
public one, so the signature is checked against `OUTAGE_NOTIFY_PUBLIC_BASE_URL` + the path,
never the Host this process saw (behind a proxy they differ). A report is committed before the
answer; any 2xx tells Twilio it arrived, and a report for a message we do not know is answered
200 too (there is nothing to retry).
"""

from __future__ import annotations

import logging
from typing import Annotated, Literal
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, HTTPException, Request, status
from kombu.exceptions import OperationalError as BrokerError
from pydantic import BaseModel
from starlette.datastructures import ImmutableMultiDict

from outage_notify.api.deps import clock_of
from outage_notify.config.settings import Settings
from outage_notify.core.models import ChannelName, DeliveryState
from outage_notify.delivery.provider_reports import Effect
from outage_notify.integrations.twilio.callbacks import (
    SIGNATURE_HEADER,
    signature_matches,
    status_report,
)
from outage_notify.store.delivery_reports import apply_report
from outage_notify.store.engine import transaction

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/webhooks/twilio", tags=["webhooks"])

# A status callback is a few hundred bytes; anything near this is not Twilio.
MAX_BODY_BYTES = 64 * 1024

Form = ImmutableMultiDict[str, str]


class CallbackAnswer(BaseModel):
    """What the report did (Twilio only reads the status code)."""

    result: Literal["delivered", "next_channel", "unreached", "no_change", "unknown_message"]
    delivery_id: int | None = None


def public_url(request: Request, settings: Settings) -> str:
    """The URL Twilio called: the public base URL, this route's path, and the query."""
    path = request.url.path
    root = str(request.scope.get("root_path", ""))
    if root and path.startswith(root):
        # A proxy's path prefix is already part of the public base URL.
        path = path[len(root) :]
    query = request.url.query
    return settings.public_base_url.rstrip("/") + path + (f"?{query}" if query else "")


def _refuse(request: Request, reason: str) -> HTTPException:
    # The body is not logged: it holds phone numbers, and an unsigned one is untrusted.
    client = request.client.host if request.client else "unknown"
    log.warning("Twilio request to %s refused from %s: %s", request.url.path, client, reason)
    return HTTPException(status.HTTP_403_FORBIDDEN, reason)


async def signed_form(request: Request) -> Form:
    """The request's form fields, once `X-Twilio-Signature` proves Twilio sent them; or 403.

    Used by every endpoint Twilio calls: status callbacks and incoming texts.
    """
    settings: Settings = request.app.state.settings
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, "body too large")
    token = settings.twilio.auth_token.get_secret_value()
    if not token:
        raise _refuse(request, "no Twilio auth token is configured to check the signature with")
    signature = request.headers.get(SIGNATURE_HEADER)
    if not signature:
        raise _refuse(request, f"missing {SIGNATURE_HEADER} header")
    try:
        form = ImmutableMultiDict(parse_qsl(body.decode(), keep_blank_values=True))
    except UnicodeDecodeError:
        raise _refuse(request, "body is not a UTF-8 form") from None
    url = public_url(request, settings)
    if not signature_matches(token, url, form, signature):
        raise _refuse(
            request,
            f"{SIGNATURE_HEADER} does not match a request to {url}"
            " (OUTAGE_NOTIFY_PUBLIC_BASE_URL must be the address Twilio calls)",
        )
    return form


@router.post("/status", response_model=CallbackAnswer)
def twilio_status_callback(
    request: Request, form: Annotated[Form, Depends(signed_form)]
) -> CallbackAnswer:
    """Twilio's delivery report for one text: delivered, or on to the next channel."""
    report = status_report(form)
    if report is None:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "MessageSid and MessageStatus required")
    sid, reported, code = report.provider_id, report.status, report.error_code
    with transaction(request.app.state.sessions) as session:
        # WhatsApp's reports come on the same callback, with `whatsapp:` addresses.
        whatsapp = form.get("To", "").startswith("whatsapp:")
        channel = ChannelName.WHATSAPP if whatsapp else ChannelName.SMS
        applied = apply_report(session, report, channel=channel, now=clock_of(request).now())
    if applied.delivery_id is None:
        # Likely a report that beat the worker recording the send (a batch is recorded when
        # its last send returns): a worker applies it again shortly, a few times at most.
        log.info(
            "Twilio status %s for a message not recorded yet (%s): retried later", reported, sid
        )
        try:
            request.app.state.enqueuer.report(sid, reported, code, report.error_text, attempt=1)
        except BrokerError:
            log.warning("could not queue the retry of the report for %s", sid)
        return CallbackAnswer(result="unknown_message")
    log.info(
        "Twilio status %s%s for %s: delivery %s %s",
        reported,
        f" ({code})" if code else "",
        sid,
        applied.delivery_id,
        applied.state.value if applied.effect != Effect.NONE and applied.state else "unchanged",
    )
    if applied.effect == Effect.DELIVERED:
        return CallbackAnswer(result="delivered", delivery_id=applied.delivery_id)
    if applied.effect == Effect.NONE:
        return CallbackAnswer(result="no_change", delivery_id=applied.delivery_id)
    if applied.state == DeliveryState.FAILED:
        return CallbackAnswer(result="unreached", delivery_id=applied.delivery_id)
    _dispatch(request, applied.delivery_id)
    return CallbackAnswer(result="next_channel", delivery_id=applied.delivery_id)


def _dispatch(request: Request, delivery_id: int) -> None:
    settings: Settings = request.app.state.settings
    try:
        request.app.state.enqueuer.deliveries(
            [delivery_id], batch_size=settings.delivery.batch_size
        )
    except BrokerError as error:
        # Committed as planned: the sweeper dispatches it once the broker is back.
        log.warning(
            "delivery %s moved to its next channel; enqueue failed (%s), the sweeper will send it",
            delivery_id,
            type(error).__name__,
        )
