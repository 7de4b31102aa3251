"""DEVELOPMENT FAKE: WhatsApp on the fake Twilio's Messages API, with the 24-hour window rule.

A create whose `To` is `whatsapp:+E164` is WhatsApp (`fake.create_message` hands it here to
check): it needs a `whatsapp:` `From`; with a `ContentSid` (`HX` + 32 hex digits) it is a
Content Template and goes whatever the window, its `ContentSid` and `ContentVariables`
recorded in the record's `raw["params"]` so tests can assert the template and variables;
without one it is a free-form `Body`, refused with 63016 unless the recipient wrote to us
within 24 hours. Accepted messages are recorded on channel "whatsapp" and reported on through
the status callback like an SMS (`sent`, `delivered`, then WhatsApp's `read`).

`POST /_fake/twilio/whatsapp/inbound` with JSON `{"url": <the service's
/api/v1/webhooks/twilio/inbound>, "from": "+5511...", "body": "OK"}` is a WhatsApp message from
that number: it opens the number's window on the fake and is posted to `url` signed, as
Twilio posts it (`From: whatsapp:+5511...`); the answer is `{"status": ..., "twiml": ...}`.
"""

from __future__ import annotations

import json
import re
import threading
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from outage_notify.fakes.state import utc_now
from outage_notify.fakes.wire import json_response, read_params, state_of
from outage_notify.integrations.twilio.fake_inbound import inbound_params, post_signed
from outage_notify.integrations.twilio.fake_status import SERVICE_SENDER

PREFIX = "whatsapp:"
CHANNEL = "whatsapp"
PATH = "/_fake/twilio/whatsapp/inbound"
WINDOW = timedelta(hours=24)
CONTENT_SID = re.compile(r"^HX[0-9a-fA-F]{32}$")
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
# Error codes and messages the fake answers with (Twilio's wording, shortened).
ERRORS: dict[int, tuple[int, str]] = {
    21211: (400, "The 'To' number is not a valid phone number."),
    21602: (400, "Message body is required."),
    63007: (400, "Twilio could not find a Channel with the specified From address"),
    63016: (
        400,
        "Failed to send freeform message because you are outside the allowed window. "
        "If you are using WhatsApp, please use a Message Template.",
    ),
    63027: (400, "Template does not exist for a language and locale"),
    63028: (400, "Number of parameters provided does not match the expected number"),
}


class Windows:
    """When each `whatsapp:` address last wrote to us (the fake's customer-service windows)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: dict[str, datetime] = {}

    def opened(self, address: str, at: datetime) -> None:
        with self._lock:
            self._last[address] = at

    def is_open(self, address: str, now: datetime) -> bool:
        with self._lock:
            last = self._last.get(address)
        return last is not None and now - last < WINDOW

    def clear(self) -> None:
        with self._lock:
            self._last.clear()


WINDOWS_KEY = web.AppKey("twilio_whatsapp_windows", Windows)


def is_whatsapp(params: dict[str, Any]) -> bool:
    return str(params.get("To", "")).startswith(PREFIX)


def check_create(params: dict[str, Any], windows: Windows, now: datetime) -> int | None:
    """The error code Twilio would answer a WhatsApp create with, if any."""
    to = str(params.get("To", ""))
    if not E164.match(to.removeprefix(PREFIX)):
        return 21211
    if not str(params.get("From", "")).startswith(PREFIX):
        return 63007
    sid = str(params.get("ContentSid", ""))
    if sid:
        if not CONTENT_SID.match(sid):
            return 63027
        try:
            variables = json.loads(str(params.get("ContentVariables") or "{}"))
        except ValueError:
            return 63028
        return None if isinstance(variables, dict) else 63028
    if not str(params.get("Body", "")):
        return 21602
    return None if windows.is_open(to, now) else 63016


def shown_body(params: dict[str, Any]) -> str:
    """What the record's body says: the free-form body, or the template and its variables."""
    sid = str(params.get("ContentSid", ""))
    if not sid:
        return str(params.get("Body", ""))
    return f"[{sid}] {params.get('ContentVariables') or '{}'}"


async def whatsapp_in(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    params: dict[str, Any] = await read_params(request)
    url, sender, body = (str(params.get(key) or "") for key in ("url", "from", "body"))
    if not url or not E164.match(sender.removeprefix(PREFIX)):
        return json_response({"error": "url and from (E.164) are required"}, status=400)
    token = str(params.get("auth_token") or state.twilio_auth_token)
    if not token:
        return json_response({"error": "auth_token is required: the fake has none"}, status=400)
    address = PREFIX + sender.removeprefix(PREFIX)
    request.app[WINDOWS_KEY].opened(address, utc_now())
    to = PREFIX + str(params.get("to") or SERVICE_SENDER).removeprefix(PREFIX)
    form = inbound_params(address, body, to)
    form.pop("SmsStatus", None)
    return await post_signed(url, form, token)


def add_routes(app: web.Application) -> None:
    app[WINDOWS_KEY] = Windows()
    app.router.add_post(PATH, whatsapp_in)
