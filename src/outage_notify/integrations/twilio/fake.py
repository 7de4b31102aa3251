"""DEVELOPMENT FAKE: Twilio's Messages API (create and list), as twilio-python 9.x calls it.

Lookup v2 (`fake_lookup`) is served beside it.

Messages created with a `StatusCallback` are reported on later (`fake_status`).
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from outage_notify.fakes.faults import Fault
from outage_notify.fakes.state import FakeRecord, FakeRejection, utc_now
from outage_notify.fakes.wire import (
    STATE_KEY,
    finish_accepted,
    json_response,
    read_params,
    state_of,
    wait_latency,
)
from outage_notify.integrations.twilio import fake_status, fake_whatsapp

API = "/2010-04-01/Accounts/{account_sid}/Messages.json"
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
GSM7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€"
)
ERRORS: dict[int, tuple[int, str]] = {
    20003: (401, "Authenticate"),
    20429: (429, "Too Many Requests"),
    20500: (500, "An internal server error has occurred"),
    20503: (503, "Service Unavailable"),
    20404: (404, "The requested resource was not found"),
    21211: (400, "The 'To' number is not a valid phone number."),
    21408: (400, "Permission to send an SMS has not been enabled for the region."),
    21602: (400, "Message body is required."),
    21604: (400, "A 'From' phone number is required."),
    21606: (400, "The 'From' phone number provided is not a valid message-capable number."),
    21610: (400, "Attempt to send to unsubscribed recipient"),
    21612: (400, "The 'To' phone number is not currently reachable via SMS."),
    21614: (400, "'To' number is not a valid mobile number"),
    21617: (400, "The concatenated message body exceeds the 1600 character limit."),
}


def twilio_error(
    code: int, status: int | None = None, retry_after: int | None = None
) -> web.Response:
    default_status, message = ERRORS.get(code, (400, f"Error {code}"))
    status = status or default_status
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    payload = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return json_response(payload, status=status, headers=headers)


def fault_response(fault: Fault) -> web.Response:
    if fault.twilio_code is not None:
        return twilio_error(fault.twilio_code, fault.http_status, fault.retry_after)
    status = fault.http_status or 500
    code = {429: 20429, 503: 20503}.get(status, 20500)
    return twilio_error(code, status, fault.retry_after)


def segments(body: str) -> int:
    single, part = (160, 153) if set(body) <= GSM7 else (70, 67)
    return 1 if len(body) <= single else -(-len(body) // part)


def authorised(request: web.Request, account_sid: str) -> bool:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return False
    try:
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    required = state_of(request).required_twilio_auth_token
    if required and password != required:
        return False
    return bool(password) and (user == account_sid or user.startswith("SK"))


def authorised_any(request: web.Request) -> bool:
    """Basic auth with some account or API key (endpoints without the account in the path)."""
    header = request.headers.get("Authorization", "")
    try:
        user = base64.b64decode(header[6:]).decode().partition(":")[0]
    except (binascii.Error, UnicodeDecodeError):
        return False
    return user.startswith(("AC", "SK")) and authorised(request, user)


def check_create(params: dict[str, Any]) -> int | None:
    """The Twilio error code a real account would answer for these fields, if any."""
    if not E164.match(str(params.get("To", ""))):
        return 21211
    if not params.get("From") and not params.get("MessagingServiceSid"):
        return 21604
    body = str(params.get("Body", ""))
    if not body:
        return 21602
    return 21617 if len(body) > 1600 else None


def message_resource(
    account_sid: str, params: dict[str, Any], sid: str, now: datetime
) -> dict[str, Any]:
    uri = f"/2010-04-01/Accounts/{account_sid}/Messages/{sid}.json"
    via_service = bool(params.get("MessagingServiceSid"))
    stamp = format_datetime(now)
    return {
        "account_sid": account_sid,
        "api_version": "2010-04-01",
        "body": str(params["Body"]),
        "date_created": stamp,
        "date_sent": None,
        "date_updated": stamp,
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": params.get("From") or None,
        "messaging_service_sid": params.get("MessagingServiceSid") or None,
        "num_media": "0",
        "num_segments": str(segments(str(params["Body"]))),
        "price": None,
        "price_unit": "USD",
        "sid": sid,
        # Twilio answers "accepted" when a Messaging Service still has to pick a sender.
        "status": "accepted" if via_service else "queued",
        "subresource_uris": {"media": uri.replace(".json", "/Media.json")},
        "to": str(params["To"]),
        "uri": uri,
    }


async def create_message(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    params = await read_params(request)
    # WhatsApp shares the endpoint; its checks and window rule are fake_whatsapp's.
    whatsapp = fake_whatsapp.is_whatsapp(params)
    channel = fake_whatsapp.CHANNEL if whatsapp else "sms"
    state.count_request(channel)
    await wait_latency(request)
    account_sid = request.match_info["account_sid"]
    to = str(params.get("To", ""))
    code: int | None = 20003
    if authorised(request, account_sid) and whatsapp:
        windows = request.app[fake_whatsapp.WINDOWS_KEY]
        code = fake_whatsapp.check_create(params, windows, utc_now())
    elif authorised(request, account_sid):
        code = check_create(params)
    if code is not None:
        status = (fake_whatsapp.ERRORS.get(code) or ERRORS[code])[0]
        state.reject(FakeRejection(channel, to, status, str(code), injected=False))
        if code in fake_whatsapp.ERRORS:
            return twilio_error(code, status)
        return twilio_error(code)
    fault = state.faults.pick(channel, "messages.create", (to,))
    if fault is not None and fault.rejects:
        response = fault_response(fault)
        error = str(fault.twilio_code or fault.http_status)
        state.reject(FakeRejection(channel, to, response.status, error, injected=True))
        return response
    now = utc_now()
    sid = "SM" + uuid.uuid4().hex
    if whatsapp:
        params = {**params, "Body": fake_whatsapp.shown_body(params)}
    resource = message_resource(account_sid, params, sid, now)
    raw = {"params": {k: str(v) for k, v in params.items()}, "resource": resource}
    state.record(FakeRecord(channel, to, resource["body"], "", sid, now, raw))
    # Twilio reports on every message it queued, even when our client never saw the answer.
    callback_url = str(params.get("StatusCallback", ""))
    request.app[fake_status.CALLBACKS_KEY].schedule(callback_url, resource, fault)
    if fault is not None and fault.drop:
        state.count_drop(channel)
    return await finish_accepted(request, fault, json_response(resource, status=201))


def parse_date(value: str, end_of_day: bool) -> datetime:
    if len(value) == 10:
        day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
        return day + timedelta(days=1, microseconds=-1) if end_of_day else day
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


async def list_messages(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    account_sid = request.match_info["account_sid"]
    if not authorised(request, account_sid):
        return twilio_error(20003)
    query = request.query
    try:
        after = parse_date(query["DateSent>"], False) if "DateSent>" in query else None
        before = parse_date(query["DateSent<"], True) if "DateSent<" in query else None
        page = int(query.get("Page", "0"))
        page_size = min(int(query.get("PageSize", "50")), 1000)
    except ValueError:
        return twilio_error(20001, 400)
    # Reconciliation's lookup can fail too (method "messages.list"), e.g. http_status=500.
    fault = state.faults.pick("sms", "messages.list", (query.get("To", ""),))
    if fault is not None and fault.rejects:
        return fault_response(fault)
    # The fake "sends" at once, so date_sent equals date_created; newest first, as Twilio.
    found = []
    for record in reversed(state.records()):
        if record.channel not in {"sms", fake_whatsapp.CHANNEL}:
            continue
        # Filtered before the resource is built: a fan-out's reconciliation lists thousands
        # of times over thousands of records, and building each made the fake the bottleneck.
        raw = record.raw["resource"]
        if raw["account_sid"] != account_sid:
            continue
        if "To" in query and raw["to"] != query["To"]:
            continue
        if "From" in query and raw["from"] != query["From"]:
            continue
        at = record.at.replace(microsecond=0)
        if (after and at < after) or (before and at > before):
            continue
        found.append(dict(raw, status="sent", date_sent=format_datetime(record.at)))
    base = API.format(account_sid=account_sid)
    filters = {k: v for k, v in query.items() if k not in {"Page", "PageSize", "PageToken"}}

    def page_uri(number: int) -> str:
        page_query = {**filters, "PageSize": page_size, "Page": number, "PageToken": f"PA{number}"}
        return f"{base}?{urlencode(page_query)}"

    chunk = found[page * page_size : (page + 1) * page_size]
    has_next = (page + 1) * page_size < len(found)
    return json_response(
        {
            "messages": chunk,
            "end": page * page_size + max(len(chunk) - 1, 0),
            "first_page_uri": page_uri(0),
            "next_page_uri": page_uri(page + 1) if has_next else None,
            "page": page,
            "page_size": page_size,
            "previous_page_uri": page_uri(page - 1) if page > 0 else None,
            "start": page * page_size,
            "uri": page_uri(page),
        }
    )


def add_routes(app: web.Application) -> None:
    fake_status.install(app, app[STATE_KEY])
    fake_whatsapp.add_routes(app)
    app.router.add_post(API, create_message)
    app.router.add_get(API, list_messages)
