"""DEVELOPMENT FAKE: the slice of Slack's Web API that slack_sdk 3.x calls for outage_notify.

Methods: chat.postMessage, conversations.open, conversations.history, auth.test, users.info;
and an interaction's `response_url` (`POST /_fake/slack/response/<channel>/<ts>`), recorded as
channel `slack_response`.

Slack answers most errors with HTTP 200 and `{"ok": false, "error": "..."}`; rate limits are
HTTP 429 with `Retry-After`. DM channel ids from `conversations.open` are stable per user, and
messages posted to them are recorded under the user id.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from outage_notify.fakes.faults import Fault
from outage_notify.fakes.state import FakeRecord, FakeRejection, FakeState, utc_now
from outage_notify.fakes.wire import (
    finish_accepted,
    json_response,
    read_params,
    state_of,
    wait_latency,
)

BOT_USER = "U0FAKEBOT"
MAX_TEXT = 40_000
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3_000
Params = dict[str, Any]
# Where interaction responses go (Slack's are https://hooks.slack.com/actions/...); recorded
# under their own channel name so they never count as messages posted.
RESPONSE_PATH = "/_fake/slack/response"
RESPONSE_CHANNEL = "slack_response"
Handler = Callable[[web.Request, FakeState, Params], Awaitable[web.StreamResponse]]


def slack_error(error: str, status: int = 200, retry_after: int | None = None) -> web.Response:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return json_response({"ok": False, "error": error}, status=status, headers=headers)


def fault_response(fault: Fault) -> web.Response:
    if fault.slack_error == "ratelimited" or fault.http_status == 429:
        retry_after = fault.retry_after if fault.retry_after is not None else 1
        return slack_error("ratelimited", 429, retry_after)
    if fault.slack_error is not None:
        return slack_error(fault.slack_error)
    # Slack's 5xx pages are not JSON; the SDK must cope with a plain body.
    headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else None
    return web.Response(
        status=fault.http_status or 500, text="Service Unavailable", headers=headers
    )


def reject(state: FakeState, to: str, error: str, fault: Fault | None = None) -> web.Response:
    response = fault_response(fault) if fault is not None else slack_error(error)
    state.reject(FakeRejection("slack", to, response.status, error, injected=fault is not None))
    return response


def parse_blocks(value: Any) -> list[dict[str, Any]] | None:
    if value is None or value == "":
        return None
    blocks = json.loads(value) if isinstance(value, str) else value
    if not isinstance(blocks, list):
        raise ValueError("blocks must be a list")
    return blocks


def blocks_problem(blocks: list[dict[str, Any]]) -> str | None:
    if len(blocks) > MAX_BLOCKS:
        return "invalid_blocks"
    for block in blocks:
        text = block.get("text")
        if not isinstance(text, dict) or block.get("type") != "section":
            continue
        if len(str(text.get("text", ""))) > MAX_SECTION_TEXT:
            return "invalid_blocks"
    return None


async def post_message(
    request: web.Request, state: FakeState, params: Params
) -> web.StreamResponse:
    target = str(params.get("channel", ""))
    user: str | None = None
    channel_id = target
    if target[:1] in ("U", "W"):
        user, channel_id = target, state.dm_channel(target)
    elif target.startswith("D"):
        user = state.dm_user(target)
        if user is None:
            return reject(state, target, "channel_not_found")
    elif target[:1] not in ("C", "G"):
        return reject(state, target, "channel_not_found")
    to = user or channel_id
    text = str(params.get("text") or "")
    try:
        blocks = parse_blocks(params.get("blocks"))
    except ValueError:
        return reject(state, to, "invalid_blocks")
    problem = blocks_problem(blocks) if blocks else None
    if not text and not blocks:
        problem = "no_text"
    elif len(text) > MAX_TEXT:
        problem = "msg_too_long"
    if problem is not None:
        return reject(state, to, problem)
    fault = state.faults.pick("slack", "chat.postMessage", (to, channel_id))
    if fault is not None and fault.rejects:
        return reject(state, to, fault.slack_error or str(fault.http_status), fault)
    ts = state.next_slack_ts()
    message: dict[str, Any] = {
        "type": "message",
        "user": BOT_USER,
        "bot_id": "B0FAKE",
        "text": text,
        "ts": ts,
    }
    if blocks:
        message["blocks"] = blocks
    raw = {"channel": channel_id, "ts": ts, "blocks": blocks, "message": message, "params": params}
    state.record(FakeRecord("slack", to, text, "", ts, utc_now(), raw))
    if fault is not None and fault.drop:
        state.count_drop("slack")
    response = json_response({"ok": True, "channel": channel_id, "ts": ts, "message": message})
    return await finish_accepted(request, fault, response)


async def open_conversation(
    request: web.Request, state: FakeState, params: Params
) -> web.StreamResponse:
    users = [u.strip() for u in str(params.get("users", "")).split(",") if u.strip()]
    if len(users) != 1 or users[0][:1] not in ("U", "W"):
        return reject(
            state, ",".join(users), "user_not_found" if users else "users_list_not_supplied"
        )
    fault = state.faults.pick("slack", "conversations.open", (users[0],))
    if fault is not None and fault.rejects:
        return reject(state, users[0], fault.slack_error or str(fault.http_status), fault)
    channel = {"id": state.dm_channel(users[0])}
    response = json_response({"ok": True, "no_op": True, "already_open": True, "channel": channel})
    return await finish_accepted(request, fault, response)


async def history(request: web.Request, state: FakeState, params: Params) -> web.StreamResponse:
    channel = str(params.get("channel", ""))
    if channel[:1] not in ("C", "G", "D") or (channel[0] == "D" and state.dm_user(channel) is None):
        return slack_error("channel_not_found")
    try:
        oldest = float(params.get("oldest") or 0)
        limit = int(params.get("limit") or 100)
    except ValueError:
        return slack_error("invalid_arguments")
    inclusive = str(params.get("inclusive", "0")) in ("1", "true")
    messages = [
        record.raw["message"]
        for record in reversed(state.records("slack"))
        if record.raw["channel"] == channel
        and (
            float(record.provider_id) > oldest
            or (inclusive and float(record.provider_id) == oldest)
        )
    ]
    return json_response(
        {
            "ok": True,
            "messages": messages[:limit],
            "has_more": len(messages) > limit,
            "pin_count": 0,
            "response_metadata": {"next_cursor": ""},
        }
    )


async def auth_test(request: web.Request, state: FakeState, params: Params) -> web.StreamResponse:
    return json_response(
        {
            "ok": True,
            "url": "https://fake-workspace.slack.com/",
            "team": "Fake Workspace",
            "user": "outage-bot",
            "team_id": "T0FAKE",
            "user_id": BOT_USER,
            "bot_id": "B0FAKE",
            "is_enterprise_install": False,
        }
    )


async def users_info(request: web.Request, state: FakeState, params: Params) -> web.StreamResponse:
    """Any well-formed U/W id is a member, unless a fault (method "users.info") says otherwise."""
    user = str(params.get("user", ""))
    if user[:1] not in ("U", "W"):
        return slack_error("user_not_found")
    fault = state.faults.pick("slack", "users.info", (user,))
    if fault is not None and fault.rejects:
        return fault_response(fault)
    profile = {"real_name": f"Member {user}", "display_name": user.lower()}
    member = {"id": user, "team_id": "T0FAKE", "name": user.lower(), "deleted": False}
    member |= {"is_bot": False, "tz": "America/Sao_Paulo", "profile": profile}
    return await finish_accepted(request, fault, json_response({"ok": True, "user": member}))


METHODS: dict[str, Handler] = {
    "chat.postMessage": post_message,
    "conversations.open": open_conversation,
    "conversations.history": history,
    "auth.test": auth_test,
    "users.info": users_info,
}


async def dispatch(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    state.count_request("slack")
    await wait_latency(request)
    handler = METHODS.get(request.match_info["method"])
    if handler is None:
        return slack_error("unknown_method", status=404)
    params = await read_params(request)
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header.startswith("Bearer ") else str(params.get("token", ""))
    if not token:
        state.reject(
            FakeRejection("slack", str(params.get("channel", "")), 200, "not_authed", False)
        )
        return slack_error("not_authed")
    required = state.required_slack_token
    if not token.startswith("xox") or (required and token != required):
        state.reject(
            FakeRejection("slack", str(params.get("channel", "")), 200, "invalid_auth", False)
        )
        return slack_error("invalid_auth")
    return await handler(request, state, params)


async def respond(request: web.Request) -> web.StreamResponse:
    """An interaction's `response_url`: the message that replaces the one a button was on."""
    state = state_of(request)
    state.count_request("slack")
    params = await read_params(request)
    channel, ts = request.match_info["channel"], request.match_info["ts"]
    text = str(params.get("text") or "")
    state.record(FakeRecord(RESPONSE_CHANNEL, channel, text, "", ts, utc_now(), params))
    return json_response({"ok": True})


def response_url(base_url: str, channel: str, ts: str) -> str:
    """The `response_url` a test puts in an interaction payload for a message of this fake."""
    return f"{base_url.rstrip('/')}{RESPONSE_PATH}/{channel}/{ts}"


def add_routes(app: web.Application) -> None:
    app.router.add_route("*", "/api/{method}", dispatch)
    app.router.add_post(RESPONSE_PATH + "/{channel}/{ts}", respond)
