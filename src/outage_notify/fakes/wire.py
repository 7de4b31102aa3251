"""DEVELOPMENT FAKE: HTTP plumbing shared by the fake provider handlers."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from outage_notify.fakes.faults import Fault
from outage_notify.fakes.state import FakeState

STATE_KEY = web.AppKey("fake_state", FakeState)


def state_of(request: web.Request) -> FakeState:
    return request.app[STATE_KEY]


async def read_params(request: web.Request) -> dict[str, Any]:
    """Query string, then the form or JSON body on top: SDKs use all three."""
    params: dict[str, Any] = dict(request.query)
    if not request.body_exists:
        return params
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except json.JSONDecodeError as error:
            raise web.HTTPBadRequest(text=f"invalid JSON: {error}") from error
        if isinstance(body, dict):
            params.update(body)
    else:
        params.update(await request.post())
    return params


async def wait_latency(request: web.Request) -> None:
    latency = state_of(request).latency
    if latency > 0:
        await asyncio.sleep(latency)


async def finish_accepted(
    request: web.Request, fault: Fault | None, response: web.StreamResponse
) -> web.StreamResponse:
    """Answer an accepted (already recorded) request, honouring a drop or delay fault."""
    if fault is None:
        return response
    if fault.delay > 0:
        await asyncio.sleep(fault.delay)
    if fault.drop:
        return drop_connection(request)
    return response


def drop_connection(request: web.Request) -> web.Response:
    """Close the socket so the client never sees a status line (the unknown-outcome case)."""
    if request.transport is not None:
        request.transport.close()
    # aiohttp then fails to write this response with a ConnectionError it handles quietly.
    return web.Response(status=204)


def json_response(
    payload: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        body=json.dumps(payload).encode(),
        status=status,
        content_type="application/json",
        headers=headers,
    )
