"""DEVELOPMENT FAKE: Twilio's status callbacks, posted and signed the way Twilio does it.

For each message created with a `StatusCallback`, after the create answer (and the state's
`callback_delay`, and while `callbacks_paused` holds them back) the fake posts form-encoded
reports to that URL: `sent` then `delivered`; or `sent` then `undelivered`, or only `failed`,
with an `ErrorCode`, when a `delivery_status` fault says so. Each is signed with
`X-Twilio-Signature` (HMAC-SHA1 of the URL + sorted fields, keyed with the auth token); with
no auth token configured the fake sends none, as it could not sign them.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiohttp import web
from twilio.request_validator import RequestValidator

from outage_notify.fakes.faults import Fault
from outage_notify.fakes.state import FakeCallback, FakeState

# The sender Twilio would pick from a Messaging Service's pool.
SERVICE_SENDER = "+15005550006"
# Callbacks in flight at once, per fake server.
CONCURRENCY = 20
PAUSE_POLL_SECONDS = 0.02
TIMEOUT_SECONDS = 10.0


def statuses_for(fault: Fault | None) -> tuple[tuple[str, int | None], ...]:
    """The (MessageStatus, ErrorCode) sequence Twilio reports for one message."""
    final = fault.delivery_status if fault is not None else None
    code = fault.error_code if fault is not None else None
    if final == "failed":
        # Failed means Twilio never handed it to a carrier: there is no `sent` first.
        return (("failed", code),)
    if final == "undelivered":
        return (("sent", None), ("undelivered", code))
    return (("sent", None), ("delivered", None))


def report_params(resource: dict[str, Any], status: str, error_code: int | None) -> dict[str, str]:
    """The form fields of one SMS status callback."""
    sid = str(resource["sid"])
    params = {
        "AccountSid": str(resource["account_sid"]),
        "ApiVersion": str(resource["api_version"]),
        "From": str(resource["from"] or SERVICE_SENDER),
        "MessageSid": sid,
        "MessageStatus": status,
        "SmsSid": sid,
        "SmsStatus": status,
        "To": str(resource["to"]),
    }
    if resource.get("messaging_service_sid"):
        params["MessagingServiceSid"] = str(resource["messaging_service_sid"])
    if error_code is not None:
        params["ErrorCode"] = str(error_code)
    if status == "delivered":
        params["RawDlrDoneDate"] = datetime.now(UTC).strftime("%y%m%d%H%M")
    return params


class StatusCallbacks:
    """Posts the callbacks from the fake server's event loop."""

    def __init__(self, state: FakeState) -> None:
        self.state = state
        self._session: aiohttp.ClientSession | None = None
        self._gate: asyncio.Semaphore | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def schedule(self, url: str, resource: dict[str, Any], fault: Fault | None) -> None:
        """Report on one accepted message, later, if the fake can sign."""
        if not url or not self.state.twilio_auth_token:
            return
        self.state.callback_scheduled()
        task = asyncio.create_task(self._report(url, resource, statuses_for(fault)))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _report(
        self, url: str, resource: dict[str, Any], statuses: tuple[tuple[str, int | None], ...]
    ) -> None:
        try:
            # Tests flip the flag from another thread; polling it needs no cross-thread Event.
            while self.state.callbacks_paused:  # noqa: ASYNC110
                await asyncio.sleep(PAUSE_POLL_SECONDS)
            if self.state.callback_delay > 0:
                await asyncio.sleep(self.state.callback_delay)
            for status, code in statuses:
                await self._post(url, report_params(resource, status, code))
        finally:
            self.state.callback_finished()

    async def _post(self, url: str, params: dict[str, str]) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)
            )
            self._gate = asyncio.Semaphore(CONCURRENCY)
        assert self._gate is not None
        signer = RequestValidator(self.state.twilio_auth_token)
        headers = {
            "X-Twilio-Signature": signer.compute_signature(url, params),
            "I-Twilio-Idempotency-Token": str(uuid.uuid4()),
            "User-Agent": "TwilioProxy/1.1",
        }
        async with self._gate:
            try:
                async with self._session.post(url, data=params, headers=headers) as response:
                    body = (await response.read()).decode("utf-8", "replace")
                    answer = FakeCallback(url, params, response.status, body=body)
            except (aiohttp.ClientError, TimeoutError) as error:
                answer = FakeCallback(url, params, 0, f"{type(error).__name__}: {error}")
        self.state.record_callback(answer)

    async def close(self, _app: web.Application | None = None) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None


CALLBACKS_KEY = web.AppKey("twilio_status_callbacks", StatusCallbacks)


def install(app: web.Application, state: FakeState) -> None:
    callbacks = StatusCallbacks(state)
    app[CALLBACKS_KEY] = callbacks
    app.on_cleanup.append(callbacks.close)
