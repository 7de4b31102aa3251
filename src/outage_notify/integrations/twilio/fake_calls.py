"""DEVELOPMENT FAKE: Twilio's Calls API (`calls.create` with inline TwiML), and the phone.

`POST /2010-04-01/Accounts/{sid}/Calls.json` parses the `Twiml` (the `<Say>` texts become the
record's body, the first `<Gather>`'s `action` is kept) and answers a Call resource, as
twilio-python 9.x reads it. What the phone at the other end does is set per number through the
control API, before the call:

    POST /_fake/twilio/calls/outcome {"to": "+55...", "outcome": "answer"}
        answer (default): the call stays in progress until a key is pressed or it hangs up;
        no-answer, busy, failed: the status callback says so at once;
        machine: a voicemail answers (`completed`, AnsweredBy=machine_start)
    POST /_fake/twilio/calls/{sid}/press {"digits": "1"}
        posts the digits to the Gather action URL, signed like Twilio (answer returned), then
        ends the call (`completed`, AnsweredBy=human) as the person hangs up
    POST /_fake/twilio/calls/{sid}/hangup
    GET  /_fake/twilio/calls                                  every call, as JSON

Faults on channel `voice`, method `calls.create` apply as for SMS (reject, drop the answer).
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ElementTree
from dataclasses import asdict, dataclass, field
from email.utils import format_datetime
from typing import Any

import aiohttp
from aiohttp import web
from twilio.request_validator import RequestValidator

from outage_notify.fakes.state import FakeRecord, FakeRejection, utc_now
from outage_notify.fakes.wire import finish_accepted, json_response, read_params, state_of
from outage_notify.integrations.twilio.fake import E164, authorised, fault_response, twilio_error

API = "/2010-04-01/Accounts/{account_sid}/Calls.json"
OUTCOMES = ("answer", "no-answer", "busy", "failed", "machine")
TIMEOUT_SECONDS = 10.0


@dataclass
class FakeCall:
    """One call the fake placed."""

    sid: str
    account_sid: str
    to: str
    from_: str
    says: list[str]
    action: str
    status_callback: str
    machine_detection: str
    status: str = "in-progress"
    answered_by: str = ""
    presses: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class FakePhones:
    """The outcome each number gives, and every call placed."""

    outcomes: dict[str, str] = field(default_factory=dict)
    calls: dict[str, FakeCall] = field(default_factory=dict)


PHONES_KEY = web.AppKey("twilio_fake_phones", FakePhones)


def parse_twiml(text: str) -> tuple[list[str], str]:
    """The `<Say>` texts in order and the first `<Gather>`'s action; ValueError if not TwiML."""
    try:
        root = ElementTree.fromstring(text)  # noqa: S314 - our own process's TwiML, in a fake
    except ElementTree.ParseError as error:
        raise ValueError(f"Twiml is not XML: {error}") from None
    if root.tag != "Response":
        raise ValueError("Twiml must have a <Response> root")
    says = [say.text or "" for say in root.iter("Say")]
    gather = next(root.iter("Gather"), None)
    return says, gather.get("action", "") if gather is not None else ""


def call_resource(call: FakeCall) -> dict[str, Any]:
    stamp = format_datetime(utc_now())
    return {
        "sid": call.sid,
        "account_sid": call.account_sid,
        "to": call.to,
        "from": call.from_,
        "status": "queued",
        "direction": "outbound-api",
        "api_version": "2010-04-01",
        "date_created": stamp,
        "date_updated": stamp,
        "answered_by": None,
        "uri": f"/2010-04-01/Accounts/{call.account_sid}/Calls/{call.sid}.json",
    }


async def _post_signed(request: web.Request, url: str, params: dict[str, str]) -> tuple[int, str]:
    """Post a form the way Twilio does, signed with the auth token; (status, body)."""
    token = state_of(request).twilio_auth_token
    headers = {"User-Agent": "TwilioProxy/1.1"}
    if token:
        headers["X-Twilio-Signature"] = RequestValidator(token).compute_signature(url, params)
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.post(url, data=params, headers=headers) as response,
        ):
            return response.status, (await response.read()).decode("utf-8", "replace")
    except (aiohttp.ClientError, TimeoutError) as error:
        return 0, f"{type(error).__name__}: {error}"


def _params(call: FakeCall, **extra: str) -> dict[str, str]:
    return {
        "AccountSid": call.account_sid,
        "ApiVersion": "2010-04-01",
        "CallSid": call.sid,
        "CallStatus": call.status,
        "Direction": "outbound-api",
        "From": call.from_,
        "To": call.to,
        **extra,
    }


async def _end(request: web.Request, call: FakeCall, status: str, answered_by: str) -> None:
    """The call is over: its status callback, once."""
    if call.status not in ("in-progress", "queued"):
        return
    call.status, call.answered_by = status, answered_by
    if call.status_callback:
        extra = {"AnsweredBy": answered_by} if answered_by and call.machine_detection else {}
        await _post_signed(request, call.status_callback, _params(call, CallDuration="12", **extra))


async def create_call(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    account_sid = request.match_info["account_sid"]
    params = await read_params(request)
    to = str(params.get("To", ""))
    if not authorised(request, account_sid):
        state.reject(FakeRejection("voice", to, 401, "20003", injected=False))
        return twilio_error(20003)
    if not E164.match(to):
        state.reject(FakeRejection("voice", to, 400, "21211", injected=False))
        return twilio_error(21211)
    try:
        says, action = parse_twiml(str(params.get("Twiml", "")))
    except ValueError:
        return twilio_error(21626, 400)
    fault = state.faults.pick("voice", "calls.create", (to,))
    if fault is not None and fault.rejects:
        state.reject(FakeRejection("voice", to, fault.http_status or 500, "fault", injected=True))
        return fault_response(fault)
    call = FakeCall(
        sid="CA" + uuid.uuid4().hex,
        account_sid=account_sid,
        to=to,
        from_=str(params.get("From", "")),
        says=says,
        action=action,
        status_callback=str(params.get("StatusCallback", "")),
        machine_detection=str(params.get("MachineDetection", "")),
    )
    phones = request.app[PHONES_KEY]
    phones.calls[call.sid] = call
    raw = {"params": {k: str(v) for k, v in params.items()}, "action": action}
    state.record(FakeRecord("voice", to, "\n".join(says), "", call.sid, utc_now(), raw))
    outcome = phones.outcomes.get(to, "answer")
    if outcome == "machine":
        await _end(request, call, "completed", "machine_start")
    elif outcome != "answer":
        await _end(request, call, outcome, "")
    return await finish_accepted(request, fault, json_response(call_resource(call), status=201))


async def set_outcome(request: web.Request) -> web.StreamResponse:
    body = await request.json()
    outcome = str(body.get("outcome", ""))
    if outcome not in OUTCOMES:
        return json_response({"error": f"outcome must be one of {', '.join(OUTCOMES)}"}, 400)
    request.app[PHONES_KEY].outcomes[str(body.get("to", ""))] = outcome
    return json_response({"to": body.get("to"), "outcome": outcome})


def _the_call(request: web.Request) -> FakeCall:
    call = request.app[PHONES_KEY].calls.get(request.match_info["sid"])
    if call is None:
        raise web.HTTPNotFound(text="no such call")
    return call


async def press(request: web.Request) -> web.StreamResponse:
    call = _the_call(request)
    digits = str((await request.json()).get("digits", ""))
    if call.status != "in-progress" or not call.action:
        return json_response({"error": f"the call is {call.status}, or has no Gather"}, 409)
    status, body = await _post_signed(request, call.action, _params(call, Digits=digits))
    call.presses.append({"digits": digits, "status": status, "body": body})
    await _end(request, call, "completed", "human")
    return json_response({"status": status, "body": body})


async def hangup(request: web.Request) -> web.StreamResponse:
    call = _the_call(request)
    await _end(request, call, "completed", "human")
    return json_response({"sid": call.sid, "status": call.status})


async def list_calls(request: web.Request) -> web.StreamResponse:
    calls = [
        {**asdict(call), "from": call.from_} for call in request.app[PHONES_KEY].calls.values()
    ]
    return json_response({"calls": calls})


def add_routes(app: web.Application) -> None:
    app[PHONES_KEY] = FakePhones()
    app.router.add_post(API, create_call)
    app.router.add_post("/_fake/twilio/calls/outcome", set_outcome)
    app.router.add_post("/_fake/twilio/calls/{sid}/press", press)
    app.router.add_post("/_fake/twilio/calls/{sid}/hangup", hangup)
    app.router.add_get("/_fake/twilio/calls", list_calls)
