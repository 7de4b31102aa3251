"""The Twilio status callback endpoint on SQLite and PostgreSQL, with a Redis broker.

Callbacks are signed here exactly as Twilio signs them, over the *public* URL: the
TestClient's own address (http://testserver) is what a proxy would forward to, not what
Twilio called.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx2
import pytest
import redis
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from outage_notify.config.settings import Settings, TwilioSettings
from outage_notify.core.models import ChannelName, Recipient, Route, Severity
from outage_notify.incidents.lifecycle import declare
from outage_notify.messages.planning import PlannedDelivery
from outage_notify.store import deliveries as delivery_store
from outage_notify.store import incidents as incident_store
from outage_notify.store.engine import create_session_factory, create_store_engine, transaction
from outage_notify.store.tables import AttemptRow, DeliveryRow
from outage_notify.worker import names
from tests.fixtures.app import api_client
from tests.fixtures.service import REDIS_KEY_PREFIX, TWILIO_SID
from tests.fixtures.settings import service_settings

AUTH_TOKEN = "test-twilio-auth"
PUBLIC = "https://notify.example.org"
PATH = "/api/v1/webhooks/twilio/status"
PHONE = "+5511990001234"
CADENCE = {Severity.CRITICAL: 30, Severity.MAJOR: 60, Severity.MINOR: 120}


@dataclass
class Endpoint:
    client: TestClient
    settings: Settings
    redis: redis.Redis

    def post(
        self,
        params: dict[str, str],
        *,
        sign_for: str | None = PUBLIC + PATH,
        signed_params: dict[str, str] | None = None,
    ) -> httpx2.Response:
        headers = {}
        if sign_for is not None:
            signer = RequestValidator(AUTH_TOKEN)
            headers["X-Twilio-Signature"] = signer.compute_signature(
                sign_for, signed_params if signed_params is not None else params
            )
        return self.client.post(PATH, data=params, headers=headers)

    def queued_dispatches(self) -> int:
        return int(self.redis.llen(REDIS_KEY_PREFIX + names.QUEUE_DISPATCH))


@pytest.fixture
def endpoint(database_url: str, redis_url: str) -> Iterator[Endpoint]:
    settings = service_settings(
        database_url=database_url,
        broker_url=redis_url,
        redis_key_prefix=REDIS_KEY_PREFIX,
        public_base_url=PUBLIC + "/",
        twilio=TwilioSettings(
            account_sid=TWILIO_SID,
            auth_token=SecretStr(AUTH_TOKEN),
            from_number="+15005550006",
        ),
    )
    broker = redis.Redis.from_url(redis_url)
    with api_client(settings) as client:
        yield Endpoint(client, settings, broker)
    broker.close()


def sent_sms(database_url: str, *, sid: str, routes: int = 2) -> int:
    """One delivery whose text Twilio accepted as `sid`, as the worker records it."""
    engine = create_store_engine(database_url)
    sessions = create_session_factory(engine)
    now = datetime.now(UTC)
    decision = declare(
        title="Mail down",
        summary="",
        severity=Severity.CRITICAL,
        components=["outbound"],
        eta=None,
        actor="staff-1",
        now=now,
        cadence_minutes=CADENCE,
    )
    recipient = Recipient(
        key=f"contact:{sid}",
        name="Ana",
        audience="management",
        locale="en",
        routes=(Route(ChannelName.SMS, PHONE), Route(ChannelName.SLACK, "U0ANA"))[:routes],
    )
    with transaction(sessions) as session:
        incident, update = incident_store.save_decision(
            session, decision, row=None, now=now, actor="staff-1"
        )
        assert incident is not None and update is not None
        [delivery_id] = delivery_store.insert_deliveries(
            session,
            [PlannedDelivery("management", recipient)],
            update_id=update.id,
            incident_id=incident.id,
            now=now,
        )
        row = session.get(DeliveryRow, delivery_id)
        assert row is not None
        row.state, row.channel, row.provider_id, row.sent_at = "sent", "sms", sid, now
        row.attempts_on_route = 1
        session.add(
            AttemptRow(
                delivery_id=delivery_id,
                channel="sms",
                address=PHONE,
                started_at=now,
                finished_at=now,
                outcome="sent",
                provider_id=sid,
            )
        )
    engine.dispose()
    return delivery_id


def report(sid: str, status: str, error_code: str | None = None) -> dict[str, str]:
    params = {
        "AccountSid": TWILIO_SID,
        "ApiVersion": "2010-04-01",
        "From": "+15005550006",
        "MessageSid": sid,
        "MessageStatus": status,
        "SmsSid": sid,
        "SmsStatus": status,
        "To": PHONE,
    }
    if error_code is not None:
        params["ErrorCode"] = error_code
    return params


def load(database_url: str, delivery_id: int) -> tuple[DeliveryRow, list[AttemptRow]]:
    engine = create_store_engine(database_url)
    with create_session_factory(engine)() as session:
        row = session.get(DeliveryRow, delivery_id)
        attempts = list(
            session.scalars(select(AttemptRow).where(AttemptRow.delivery_id == delivery_id))
        )
    engine.dispose()
    assert row is not None
    return row, attempts


def test_signed_delivered_report_marks_the_delivery_delivered(
    endpoint: Endpoint, database_url: str
) -> None:
    delivery_id = sent_sms(database_url, sid="SM" + "a" * 32)

    response = endpoint.post(report("SM" + "a" * 32, "delivered"))

    assert response.status_code == 200, response.text
    assert response.json() == {"result": "delivered", "delivery_id": delivery_id}
    row, attempts = load(database_url, delivery_id)
    assert (row.state, row.route_index, row.channel) == ("delivered", 0, "sms")
    assert [a.outcome for a in attempts] == ["sent"]
    assert endpoint.queued_dispatches() == 0


@pytest.mark.parametrize(
    ("sign_for", "tamper", "reason"),
    [
        (None, False, "missing X-Twilio-Signature"),
        # What this process saw (the proxy's side), not what Twilio called.
        ("http://testserver" + PATH, False, "does not match"),
        (PUBLIC + "/api/v1/webhooks/twilio/other", False, "does not match"),
        # Signed for `sent`, but the body says `undelivered`.
        (PUBLIC + PATH, True, "does not match"),
    ],
)
def test_a_report_not_signed_for_our_public_url_changes_nothing(
    endpoint: Endpoint,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
    sign_for: str | None,
    tamper: bool,
    reason: str,
) -> None:
    sid = "SM" + "b" * 32
    delivery_id = sent_sms(database_url, sid=sid)
    params = report(sid, "undelivered", "30003")

    with caplog.at_level(logging.INFO, logger="outage_notify"):
        response = endpoint.post(
            params, sign_for=sign_for, signed_params=report(sid, "sent") if tamper else None
        )

    assert response.status_code == 403
    assert reason in response.json()["detail"]
    row, attempts = load(database_url, delivery_id)
    assert (row.state, row.route_index) == ("sent", 0)
    assert [a.outcome for a in attempts] == ["sent"]
    assert endpoint.queued_dispatches() == 0
    refused = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert len(refused) == 1 and reason in refused[0]
    # The (untrusted) body is not logged: no phone number, no message id.
    assert PHONE not in caplog.text and sid not in caplog.text


def test_undelivered_report_notes_it_and_dispatches_the_next_channel(
    endpoint: Endpoint, database_url: str
) -> None:
    sid = "SM" + "c" * 32
    delivery_id = sent_sms(database_url, sid=sid)

    first = endpoint.post(report(sid, "undelivered", "30003"))
    again = endpoint.post(report(sid, "undelivered", "30003"))

    assert first.json() == {"result": "next_channel", "delivery_id": delivery_id}
    assert again.json() == {"result": "no_change", "delivery_id": delivery_id}
    row, attempts = load(database_url, delivery_id)
    assert (row.state, row.route_index, row.attempts_on_route) == ("planned", 1, 0)
    assert row.next_attempt_at is None
    assert row.error.startswith("30003 ")
    assert [(a.channel, a.outcome, a.provider_id, a.error_code) for a in attempts] == [
        ("sms", "sent", sid, ""),
        ("sms", "undelivered", sid, "30003"),
    ]
    assert "unreachable" in attempts[1].error_text
    # One dispatch of this delivery is on the broker, however often Twilio reported.
    assert endpoint.queued_dispatches() == 1


def test_undelivered_on_the_last_channel_leaves_the_contact_unreached(
    endpoint: Endpoint, database_url: str
) -> None:
    sid = "SM" + "d" * 32
    delivery_id = sent_sms(database_url, sid=sid, routes=1)

    response = endpoint.post(report(sid, "failed", "30005"))

    assert response.json() == {"result": "unreached", "delivery_id": delivery_id}
    row, attempts = load(database_url, delivery_id)
    assert (row.state, row.route_index) == ("failed", 0)
    assert [(a.outcome, a.error_code) for a in attempts] == [("sent", ""), ("undelivered", "30005")]
    assert endpoint.queued_dispatches() == 0


@pytest.mark.parametrize(
    ("statuses", "final"),
    [
        (["sent", "delivered"], "delivered"),
        (["delivered", "sent"], "delivered"),
        (["queued", "sending", "sent"], "sent"),
        (["delivered", "undelivered"], "delivered"),
        (["sent", "delivered", "delivered", "sent"], "delivered"),
        (["sent", "undelivered", "delivered"], "planned"),
    ],
)
def test_reports_out_of_order_never_move_a_delivery_backwards(
    endpoint: Endpoint, database_url: str, statuses: list[str], final: str
) -> None:
    sid = "SM" + "e" * 32
    delivery_id = sent_sms(database_url, sid=sid)

    for status in statuses:
        code = "30003" if status == "undelivered" else None
        assert endpoint.post(report(sid, status, code)).status_code == 200

    row, _ = load(database_url, delivery_id)
    assert row.state == final


def test_unknown_message_is_acknowledged_and_logged(
    endpoint: Endpoint, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    delivery_id = sent_sms(database_url, sid="SM" + "f" * 32)

    with caplog.at_level(logging.INFO, logger="outage_notify"):
        response = endpoint.post(report("SM" + "0" * 32, "delivered"))

    # Not 404: Twilio would only try again. The send may not be recorded yet (a batch is
    # recorded when its last send returns), so a worker tries the report again shortly.
    assert response.status_code == 200
    assert response.json() == {"result": "unknown_message", "delivery_id": None}
    assert "SM" + "0" * 32 in caplog.text and "retried later" in caplog.text
    row, _ = load(database_url, delivery_id)
    assert row.state == "sent"


def test_a_signed_report_without_a_message_id_is_refused(endpoint: Endpoint) -> None:
    response = endpoint.post({"MessageStatus": "delivered", "AccountSid": TWILIO_SID})
    assert response.status_code == 400
    assert "MessageSid" in response.json()["detail"]


def test_an_oversized_body_is_refused_unread(endpoint: Endpoint) -> None:
    response = endpoint.client.post(PATH, content=b"x" * (65 * 1024))
    assert response.status_code == 413
