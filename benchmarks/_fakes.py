"""The provider fakes in a process of their own, with a metering layer for the benchmarks.

`python benchmarks/_fakes.py --port P` serves `integrations.fake_server.build_app` (Twilio,
Slack, Apprise and `/_fake/*`) plus:

- every POST to Twilio's Messages.json is time-stamped on arrival (accepted or refused);
- with a provider limit set, a request that would make any sliding one-second window hold more
  than `limit` accepted messages is refused with Twilio's 429 / 20429 (Retry-After: 1), and
  counted as a rejection like any other;
- `/_bench/*` answers with compact summaries, so the driver never downloads 100,000 records.

A separate process keeps the fakes' CPU and their records out of the measured processes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Awaitable, Callable

from _harness import max_in_window
from aiohttp import web

from outage_notify.fakes.state import FakeRejection, FakeState
from outage_notify.fakes.wire import STATE_KEY
from outage_notify.integrations.fake_server import build_app
from outage_notify.integrations.twilio.fake import twilio_error


class Meter:
    def __init__(self) -> None:
        self.arrivals: list[float] = []
        self.limit = 0.0
        self.accepted: deque[float] = deque()
        self.limited = 0

    def reset(self, limit: float) -> None:
        self.arrivals.clear()
        self.accepted.clear()
        self.limit = limit
        self.limited = 0


METER_KEY = web.AppKey("bench_meter", Meter)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def meter_twilio(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.method != "POST" or not request.path.endswith("/Messages.json"):
        return await handler(request)
    meter = request.app[METER_KEY]
    now = time.time()
    meter.arrivals.append(now)
    if meter.limit > 0:
        while meter.accepted and meter.accepted[0] <= now - 1.0:
            meter.accepted.popleft()
        if len(meter.accepted) >= meter.limit:
            meter.limited += 1
            request.app[STATE_KEY].reject(FakeRejection("sms", "", 429, "20429", injected=False))
            return twilio_error(20429, 429, retry_after=1)
        meter.accepted.append(now)
    return await handler(request)


async def summary(request: web.Request) -> web.StreamResponse:
    """Records of a channel: count, first and last `at` (epoch seconds), windows, refusals."""
    state = request.app[STATE_KEY]
    meter = request.app[METER_KEY]
    channel = request.query.get("channel") or None
    records = state.records(channel)
    stamps = [r.at.timestamp() for r in records]
    rejections = state.rejections(channel)
    arrivals = list(meter.arrivals)
    return web.json_response(
        {
            "count": len(records),
            "first": min(stamps) if stamps else None,
            "last": max(stamps) if stamps else None,
            "max_1s_accepted": max_in_window(stamps) if "windows" in request.query else None,
            "max_1s_requests": max_in_window(arrivals) if "windows" in request.query else None,
            "twilio_requests": len(arrivals),
            "rejections": len(rejections),
            "rejections_429": sum(1 for r in rejections if r.status == 429),
            "limited_by_bench": meter.limited,
        }
    )


async def count(request: web.Request) -> web.StreamResponse:
    state: FakeState = request.app[STATE_KEY]
    return web.json_response({"count": len(state.records(request.query.get("channel") or None))})


async def records_to(request: web.Request) -> web.StreamResponse:
    """`at` and body of every record sent to one address (few: the latency probes)."""
    to = request.query["to"]
    found = [
        {"at": r.at.timestamp(), "body": r.body, "channel": r.channel}
        for r in request.app[STATE_KEY].records()
        if r.to == to
    ]
    return web.json_response({"records": found})


async def stamps(request: web.Request) -> web.StreamResponse:
    """Every accepted record's `at` (epoch seconds) of a channel, for window analysis."""
    records = request.app[STATE_KEY].records(request.query.get("channel") or None)
    return web.json_response({"at": [r.at.timestamp() for r in records]})


async def reset(request: web.Request) -> web.StreamResponse:
    """Body: {"limit": float} (0 = no provider limit). Forgets records, faults, counters."""
    body = await request.json() if request.body_exists else {}
    request.app[STATE_KEY].reset()
    request.app[METER_KEY].reset(float(body.get("limit", 0)))
    return web.json_response({"ok": True})


def build(limit: float) -> web.Application:
    app = build_app(FakeState())
    meter = Meter()
    meter.reset(limit)
    app[METER_KEY] = meter
    app.middlewares.append(meter_twilio)
    app.router.add_get("/_bench/summary", summary)
    app.router.add_get("/_bench/count", count)
    app.router.add_get("/_bench/records", records_to)
    app.router.add_get("/_bench/stamps", stamps)
    app.router.add_post("/_bench/reset", reset)
    return app


async def serve(port: int, limit: float) -> None:
    runner = web.AppRunner(build(limit), access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port, backlog=2048).start()
    print(f"fakes listening on 127.0.0.1:{port}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--limit", type=float, default=0.0, help="Twilio messages/s (0 = none)")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.port, args.limit))


if __name__ == "__main__":
    main()
