"""DEVELOPMENT FAKE: a text someone sends to our Twilio number, posted the way Twilio does.

Twilio posts each incoming SMS to the number's messaging webhook as a signed form. For a demo or
a manual check, `POST /_fake/twilio/inbound` with JSON `{"url": <the service's
/api/v1/webhooks/twilio/inbound, as Twilio would call it>, "from": "+5511...", "body": "OK"}`
(optionally `"to"`, default our sender, and `"auth_token"`, default the one the fake was given:
`outage-notify fake-providers` is started without one) makes the fake post that form to `url`,
signed like Twilio signs it, and answers with the service's reply:
`{"status": 200, "twiml": "<Response>...</Response>"}`.
"""

from __future__ import annotations

import uuid
from typing import Any

import aiohttp
from aiohttp import web
from twilio.request_validator import RequestValidator

from outage_notify.fakes.wire import json_response, read_params, state_of
from outage_notify.integrations.twilio.fake_status import SERVICE_SENDER, TIMEOUT_SECONDS

PATH = "/_fake/twilio/inbound"
ACCOUNT_SID = "AC" + "0" * 32


def inbound_params(sender: str, body: str, to: str) -> dict[str, str]:
    """The form fields of one incoming SMS (no media)."""
    sid = "SM" + uuid.uuid4().hex
    return {
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "Body": body,
        "From": sender,
        "MessageSid": sid,
        "NumMedia": "0",
        "NumSegments": "1",
        "SmsMessageSid": sid,
        "SmsSid": sid,
        "SmsStatus": "received",
        "To": to,
    }


async def text_in(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    params: dict[str, Any] = await read_params(request)
    url, sender, body = (str(params.get(key) or "") for key in ("url", "from", "body"))
    if not url or not sender:
        return json_response({"error": "url and from are required"}, status=400)
    token = str(params.get("auth_token") or state.twilio_auth_token)
    if not token:
        # Without it the post could not be signed, and the service would rightly refuse it.
        return json_response({"error": "auth_token is required: the fake has none"}, status=400)
    form = inbound_params(sender, body, str(params.get("to") or SERVICE_SENDER))
    return await post_signed(url, form, token)


async def post_signed(url: str, form: dict[str, str], token: str) -> web.StreamResponse:
    """Post `form` to the service as Twilio would, signed with `token`; the fake's answer
    carries the service's status and TwiML (502 naming the error when it cannot be reached)."""
    headers = {
        "X-Twilio-Signature": RequestValidator(token).compute_signature(url, form),
        "User-Agent": "TwilioProxy/1.1",
    }
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.post(url, data=form, headers=headers) as response,
        ):
            answer = (await response.read()).decode("utf-8", "replace")
            return json_response({"status": response.status, "twiml": answer})
    except (aiohttp.ClientError, TimeoutError) as error:
        return json_response({"error": f"{type(error).__name__}: {error}"}, status=502)


def add_routes(app: web.Application) -> None:
    app.router.add_post(PATH, text_in)
