"""The fake Twilio posts status callbacks as Twilio does: form fields, order, signature."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import TypedDict
from urllib.parse import parse_qsl

import pytest
from fastapi import FastAPI, Request, Response
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from outage_notify.fakes.faults import Fault
from outage_notify.integrations.fake_server import FakeProviders
from tests.fixtures.live_api import LiveApi
from tests.fixtures.providers import ACCOUNT_SID, FROM_NUMBER
from tests.fixtures.service import wait_for

AUTH_TOKEN = "test-auth-token"
TO = "+5511999990001"


class Receiver:
    """A stand-in for our API: records each callback's signature header and fields."""

    def __init__(self, live: LiveApi) -> None:
        self.url = live.base_url + "/twilio/status?tenant=a"
        self.calls: list[tuple[str, dict[str, str]]] = []
        self._lock = threading.Lock()
        app = FastAPI()

        @app.post("/twilio/status")
        async def status(request: Request) -> Response:
            fields = dict(parse_qsl((await request.body()).decode()))
            with self._lock:
                self.calls.append((request.headers.get("X-Twilio-Signature", ""), fields))
            return Response(status_code=204)

        live.serve(app)

    def statuses(self) -> list[tuple[str, str]]:
        with self._lock:
            return [(f["MessageStatus"], f.get("ErrorCode", "")) for _, f in self.calls]


@pytest.fixture
def fake() -> Iterator[FakeProviders]:
    with FakeProviders(twilio_auth_token=AUTH_TOKEN) as providers:
        providers.set_status_callback_delay(0)
        yield providers


@pytest.fixture
def receiver(live_api: LiveApi) -> Receiver:
    return Receiver(live_api)


def send(fake: FakeProviders, callback: str | None, to: str = TO) -> str:
    client = Client(
        ACCOUNT_SID, AUTH_TOKEN, http_client=TwilioHttpClient(timeout=5), environment={}
    )
    client.api.base_url = fake.twilio_base_url
    extra = {"status_callback": callback} if callback else {}
    return str(client.messages.create(to=to, from_=FROM_NUMBER, body="Mail is down", **extra).sid)


def settle(fake: FakeProviders) -> None:
    wait_for(lambda: fake.status_callbacks_pending() == 0, timeout=10, what="callbacks")


def test_sent_then_delivered_signed_over_the_full_url(
    fake: FakeProviders, receiver: Receiver
) -> None:
    sid = send(fake, receiver.url)
    settle(fake)

    assert receiver.statuses() == [("sent", ""), ("delivered", "")]
    validator = RequestValidator(AUTH_TOKEN)
    for signature, fields in receiver.calls:
        assert validator.validate(receiver.url, fields, signature)
        assert not RequestValidator("another-token").validate(receiver.url, fields, signature)
        assert fields["MessageSid"] == fields["SmsSid"] == sid
        assert fields["MessageStatus"] == fields["SmsStatus"]
        assert (fields["To"], fields["From"]) == (TO, FROM_NUMBER)
        assert (fields["AccountSid"], fields["ApiVersion"]) == (ACCOUNT_SID, "2010-04-01")
    assert [c.status for c in fake.status_callbacks()] == [204, 204]


class StatusFault(TypedDict, total=False):
    """The delivery-status part of a fault (`FakeProviders.add_fault`)."""

    delivery_status: str
    error_code: int


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (
            {"delivery_status": "undelivered", "error_code": 30003},
            [("sent", ""), ("undelivered", "30003")],
        ),
        (
            {"delivery_status": "undelivered", "error_code": 30007},
            [("sent", ""), ("undelivered", "30007")],
        ),
        ({"delivery_status": "failed", "error_code": 30005}, [("failed", "30005")]),
        ({"delivery_status": "undelivered"}, [("sent", ""), ("undelivered", "30003")]),
    ],
)
def test_a_delivery_status_fault_reports_undelivered_or_failed(
    fake: FakeProviders,
    receiver: Receiver,
    fault: StatusFault,
    expected: list[tuple[str, str]],
) -> None:
    fake.add_fault("sms", to=TO, **fault)
    send(fake, receiver.url)
    send(fake, receiver.url, to="+5511999990002")
    settle(fake)

    by_number: dict[str, list[tuple[str, str]]] = {}
    for _, fields in receiver.calls:
        by_number.setdefault(fields["To"], []).append(
            (fields["MessageStatus"], fields.get("ErrorCode", ""))
        )
    assert by_number[TO] == expected
    assert by_number["+5511999990002"] == [("sent", ""), ("delivered", "")]
    # The message itself was accepted: the failure only shows in the callbacks.
    assert len(fake.records("sms")) == 2 and fake.rejections() == []


def test_paused_callbacks_wait_for_resume(fake: FakeProviders, receiver: Receiver) -> None:
    fake.pause_status_callbacks()
    send(fake, receiver.url)
    assert fake.status_callbacks_pending() == 1
    assert receiver.statuses() == []

    fake.resume_status_callbacks()
    settle(fake)
    assert receiver.statuses() == [("sent", ""), ("delivered", "")]


def test_no_callbacks_without_a_status_callback_or_a_token(
    fake: FakeProviders, receiver: Receiver
) -> None:
    send(fake, None)
    fake.twilio_auth_token = ""
    send(fake, receiver.url)
    settle(fake)
    assert receiver.calls == [] and fake.status_callbacks() == []


def test_an_unreachable_callback_url_is_recorded_not_raised(fake: FakeProviders) -> None:
    # Bound but not listening: connections are refused, and no one else can take the port.
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        send(fake, f"http://127.0.0.1:{bound.getsockname()[1]}/nobody-listens")
        settle(fake)
    assert [(c.status, c.error != "") for c in fake.status_callbacks()] == [(0, True), (0, True)]


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"channel": "slack", "delivery_status": "undelivered"}, "sms and whatsapp channels only"),
        ({"channel": "sms", "delivery_status": "lost"}, "delivery_status is one of"),
        ({"channel": "sms", "error_code": 30003, "delay": 1}, "error_code goes with"),
        ({"channel": "sms", "delivery_status": "failed", "drop": True}, "one kind"),
    ],
)
def test_delivery_status_faults_refuse_contradictions(
    fields: dict[str, object], problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        Fault.from_json(fields)
