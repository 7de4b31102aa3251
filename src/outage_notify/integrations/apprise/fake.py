"""DEVELOPMENT FAKE: a target for Apprise's `json://HOST:PORT/fallback/{name}` URLs.

Apprise's JSON plugin POSTs `{"version", "title", "message", "attachments", "type"}` and
treats any 2xx as success; it reads no response body. Every request is recorded, repeats too
(a real target may or may not honour the `Idempotency-Key` header, which is only noted here),
so a test counts what a person would have seen.
"""

from __future__ import annotations

import json
import uuid

from aiohttp import web

from outage_notify.fakes.faults import Fault
from outage_notify.fakes.state import FakeRecord, FakeRejection, utc_now
from outage_notify.fakes.wire import finish_accepted, json_response, state_of, wait_latency


def fault_response(fault: Fault) -> web.Response:
    headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else None
    return web.Response(status=fault.http_status or 500, text="fault injected", headers=headers)


async def receive(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    state.count_request("fallback")
    await wait_latency(request)
    name = request.match_info["name"]
    try:
        payload = json.loads(await request.read())
    except (json.JSONDecodeError, UnicodeDecodeError):
        payload = None
    if not isinstance(payload, dict) or not isinstance(payload.get("message"), str):
        state.reject(FakeRejection("fallback", name, 400, "not an Apprise JSON payload", False))
        return json_response({"error": "not an Apprise JSON payload"}, status=400)
    fault = state.faults.pick("fallback", "notify", (name,))
    if fault is not None and fault.rejects:
        response = fault_response(fault)
        state.reject(FakeRejection("fallback", name, response.status, "fault injected", True))
        return response
    provider_id = "FB" + uuid.uuid4().hex
    title = str(payload.get("title") or "")
    key = request.headers.get("Idempotency-Key", "")
    state.record(
        FakeRecord(
            "fallback", name, payload["message"], title, provider_id, utc_now(), payload, key
        )
    )
    if fault is not None and fault.drop:
        state.count_drop("fallback")
    return await finish_accepted(request, fault, json_response({"ok": True, "id": provider_id}))


def add_routes(app: web.Application) -> None:
    app.router.add_post("/fallback/{name}", receive)
