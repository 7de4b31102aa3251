"""DEVELOPMENT FAKE: one aiohttp server on one port serving the Twilio, Slack and Apprise fakes.

`FakeProviders().start()` runs it in a background thread with its own event loop (tests and
benchmarks); `run_fake_providers(host, port)` serves in the foreground (the CLI).
Point the real SDKs at it: `client.api.base_url = fake.twilio_base_url`,
`AsyncWebClient(base_url=fake.slack_base_url)`, Apprise URL `fake.fallback_url("ana")`.
Given the service's Twilio auth token, the fake also posts signed status callbacks, and
`POST /_fake/twilio/inbound` posts a signed incoming text to the service.
Each provider's fake lives in its package (`integrations/<provider>/fake*.py`) and is added
here through its descriptor's `add_fake_routes`; this package keeps what they share: the
server, its records (`state`), faults, wire helpers and the control routes.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import threading
from collections.abc import Callable
from types import TracebackType

from aiohttp import web

from outage_notify.fakes import control
from outage_notify.fakes.faults import Fault
from outage_notify.fakes.state import (
    FakeCallback,
    FakeRecord,
    FakeRejection,
    FakeState,
    FakeStats,
)
from outage_notify.fakes.wire import STATE_KEY
from outage_notify.integrations.registry import PROVIDERS

START_TIMEOUT_SECONDS = 10.0


def build_app(state: FakeState) -> web.Application:
    app = web.Application()
    app[STATE_KEY] = state
    for provider in PROVIDERS:
        if provider.add_fake_routes is not None:
            provider.add_fake_routes(app)
    control.add_routes(app)
    return app


class FakeProviders:
    """The fake Twilio + Slack + Apprise-target server, and its records and faults."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        seed: int = 0,
        twilio_auth_token: str = "",
    ) -> None:
        self.host = host
        self.port = port
        # With the auth token, messages created with a StatusCallback get signed callbacks.
        self.state = FakeState(seed, twilio_auth_token=twilio_auth_token)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._error: BaseException | None = None

    # --- lifecycle ----------------------------------------------------------------------

    def start(self) -> FakeProviders:
        """Serve in a background thread; returns once the socket is listening."""
        if self._thread is not None:
            raise RuntimeError("fake providers already started")
        sock = self._bind()
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._run_in_thread, args=(sock, ready), name="fake-providers", daemon=True
        )
        self._thread.start()
        if not ready.wait(START_TIMEOUT_SECONDS):
            raise RuntimeError("fake providers did not start in time")
        if self._error is not None:
            raise RuntimeError("fake providers failed to start") from self._error
        return self

    def stop(self) -> None:
        """Stop serving and join the thread; idempotent."""
        thread, loop, stopping = self._thread, self._loop, self._stopping
        if thread is None or loop is None or stopping is None:
            return
        loop.call_soon_threadsafe(stopping.set)
        thread.join(START_TIMEOUT_SECONDS)
        self._thread = None

    def serve_forever(self, on_ready: Callable[[FakeProviders], None] | None = None) -> None:
        """Serve in this thread until interrupted (Ctrl-C)."""
        sock = self._bind()
        ready = threading.Event()
        if on_ready is not None:
            threading.Thread(target=lambda: ready.wait() and on_ready(self), daemon=True).start()
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(self._serve(sock, ready, stop_on_sigterm=True))

    def __enter__(self) -> FakeProviders:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _bind(self) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        return sock

    def _run_in_thread(self, sock: socket.socket, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve(sock, ready))
        except BaseException as error:
            self._error = error
            ready.set()
        finally:
            # Handlers still sleeping in a delay fault outlive the shutdown grace period;
            # cancel them as asyncio.run() would, so nothing is destroyed while pending.
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()

    async def _serve(
        self, sock: socket.socket, ready: threading.Event, *, stop_on_sigterm: bool = False
    ) -> None:
        self._stopping = asyncio.Event()
        if stop_on_sigterm:
            # `docker stop` and background shells send SIGTERM, not Ctrl-C.
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, self._stopping.set)
        # Handlers sleeping in a latency fault must not hold a test run's teardown for 60 s.
        runner = web.AppRunner(build_app(self.state), access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        try:
            await web.SockSite(runner, sock, backlog=2048).start()
            ready.set()
            await self._stopping.wait()
        finally:
            await runner.cleanup()

    # --- addresses ----------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def twilio_base_url(self) -> str:
        """For `client.api.base_url` (twilio-python appends `/2010-04-01/...`)."""
        return self.base_url

    @property
    def slack_base_url(self) -> str:
        """For `AsyncWebClient(base_url=...)`; slack_sdk wants the trailing slash."""
        return f"{self.base_url}/api/"

    def fallback_url(self, name: str) -> str:
        """An Apprise URL that reaches this fake and is recorded with `to == name`."""
        return f"json://{self.host}:{self.port}/fallback/{name}"

    # --- records and faults (thread-safe) -----------------------------------------------

    def records(self, channel: str | None = None) -> list[FakeRecord]:
        return self.state.records(channel)

    def rejections(self, channel: str | None = None) -> list[FakeRejection]:
        return self.state.rejections(channel)

    def stats(self) -> FakeStats:
        return self.state.stats()

    def reset(self, seed: int | None = None) -> None:
        """Forget records, rejections, counters, faults and latency."""
        self.state.reset(seed)

    def add_fault(
        self,
        channel: str,
        *,
        to: str | None = None,
        twilio_code: int | None = None,
        http_status: int | None = None,
        slack_error: str | None = None,
        drop: bool = False,
        delivery_status: str | None = None,
        error_code: int | None = None,
        delay: float = 0.0,
        retry_after: int | None = None,
        times: int | None = None,
        ratio: float = 1.0,
        method: str | None = None,
    ) -> Fault:
        """Add a fault; the returned object's `applied` counts the requests it hit."""
        fault = Fault(
            channel=channel,
            to=to,
            twilio_code=twilio_code,
            http_status=http_status,
            slack_error=slack_error,
            drop=drop,
            delivery_status=delivery_status,
            error_code=error_code,
            delay=delay,
            retry_after=retry_after,
            times=times,
            ratio=ratio,
            method=method,
        )
        self.state.faults.add(fault)
        return fault

    def require_credentials(self, *, twilio_auth_token: str = "", slack_token: str = "") -> None:
        """Accept only these credentials (empty: any well-formed one) until the next reset: any
        other Twilio auth token gets 401 (code 20003), any other Slack token `invalid_auth`."""
        self.state.required_twilio_auth_token = twilio_auth_token
        self.state.required_slack_token = slack_token

    def clear_faults(self) -> None:
        self.state.faults.clear()

    def set_latency(self, seconds: float) -> None:
        """Every provider request waits this long before it is handled."""
        self.state.latency = max(seconds, 0.0)

    # --- Twilio status callbacks (thread-safe) ------------------------------------------

    @property
    def twilio_auth_token(self) -> str:
        return self.state.twilio_auth_token

    @twilio_auth_token.setter
    def twilio_auth_token(self, token: str) -> None:
        """The token callbacks are signed with; empty sends none."""
        self.state.twilio_auth_token = token

    def set_status_callback_delay(self, seconds: float) -> None:
        """How long after a message is accepted its callbacks start (reset restores 0.5 s)."""
        self.state.callback_delay = max(seconds, 0.0)

    def pause_status_callbacks(self) -> None:
        """Hold every callback back until `resume_status_callbacks` (or a reset)."""
        self.state.callbacks_paused = True

    def resume_status_callbacks(self) -> None:
        self.state.callbacks_paused = False

    def status_callbacks(self) -> list[FakeCallback]:
        """The callbacks posted so far, with the answer each got."""
        return self.state.callbacks()

    def status_callbacks_pending(self) -> int:
        """Accepted messages whose callbacks are not all posted yet."""
        return self.state.callbacks_pending()


def run_fake_providers(host: str, port: int) -> None:
    """Print the base URLs and serve until Ctrl-C (the `fake-providers` CLI command)."""

    def announce(fake: FakeProviders) -> None:
        print(f"Fake providers (DEVELOPMENT ONLY) listening on {fake.base_url}", flush=True)
        print(f"  Twilio base URL:  {fake.twilio_base_url}", flush=True)
        print(f"  Slack base URL:   {fake.slack_base_url}", flush=True)
        print(f"  Apprise URL:      {fake.fallback_url('NAME')}", flush=True)
        print(f"  Control API:      {fake.base_url}/_fake/(records|faults|reset|stats)", flush=True)
        print("Press Ctrl-C to stop.", flush=True)

    FakeProviders(host, port).serve_forever(on_ready=announce)
