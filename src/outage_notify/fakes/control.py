"""DEVELOPMENT FAKE: the `/_fake/` control API, for driving the fakes from another process."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from aiohttp import web

from outage_notify.fakes.faults import Fault
from outage_notify.fakes.wire import json_response, state_of


async def list_records(request: web.Request) -> web.StreamResponse:
    channel = request.query.get("channel")
    records = [
        {**asdict(record), "at": record.at.isoformat()}
        for record in state_of(request).records(channel)
    ]
    return json_response({"records": records})


async def add_faults(request: web.Request) -> web.StreamResponse:
    """Body: one fault object or a list of them (fields as `Fault`)."""
    try:
        body: Any = await request.json()
        items = body if isinstance(body, list) else [body]
        faults = [Fault.from_json(item) for item in items]
    except (json.JSONDecodeError, TypeError, ValueError) as error:
        return json_response({"error": str(error)}, status=400)
    for fault in faults:
        state_of(request).faults.add(fault)
    return json_response({"faults": [fault.to_json() for fault in faults]}, status=201)


async def list_faults(request: web.Request) -> web.StreamResponse:
    return json_response({"faults": [f.to_json() for f in state_of(request).faults.snapshot()]})


async def clear_faults(request: web.Request) -> web.StreamResponse:
    state_of(request).faults.clear()
    return json_response({"ok": True})


async def reset(request: web.Request) -> web.StreamResponse:
    """Body (optional): {"seed": int} to reseed the random source used by `ratio`."""
    seed = None
    if request.body_exists:
        try:
            seed = (await request.json()).get("seed")
        except (json.JSONDecodeError, AttributeError):
            return json_response({"error": "body must be a JSON object"}, status=400)
    state_of(request).reset(seed)
    return json_response({"ok": True})


async def set_latency(request: web.Request) -> web.StreamResponse:
    """Body: {"seconds": float}; every provider request waits that long first."""
    try:
        seconds = float((await request.json())["seconds"])
    except (json.JSONDecodeError, KeyError, TypeError, ValueError):
        return json_response({"error": 'body must be {"seconds": number}'}, status=400)
    state_of(request).latency = max(seconds, 0.0)
    return json_response({"ok": True, "seconds": state_of(request).latency})


async def stats(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    rejected = [asdict(rejection) for rejection in state.rejections()]
    return json_response({**state.stats().to_json(), "rejections": rejected})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/_fake/records", list_records)
    app.router.add_get("/_fake/faults", list_faults)
    app.router.add_post("/_fake/faults", add_faults)
    app.router.add_delete("/_fake/faults", clear_faults)
    app.router.add_post("/_fake/reset", reset)
    app.router.add_post("/_fake/latency", set_latency)
    app.router.add_get("/_fake/stats", stats)
