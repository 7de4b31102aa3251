"""The voice-escalation callbacks (keypress and call status) and the call slots, on SQLite and
PostgreSQL: signed as Twilio signs, refused unsigned, Hypothesis over the keypress body."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

import httpx2
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from twilio.request_validator import RequestValidator

from outage_notify.config.settings import TwilioSettings
from outage_notify.incidents.voice_escalation import CallState
from outage_notify.store import voice_calls
from outage_notify.store.engine import create_session_factory, create_store_engine, transaction
from outage_notify.store.tables import DeliveryRow, VoiceCallRow
from tests.api.test_twilio_callbacks import AUTH_TOKEN, PHONE, PUBLIC, sent_sms
from tests.fixtures.app import api_client
from tests.fixtures.service import REDIS_KEY_PREFIX, TWILIO_SID
from tests.fixtures.settings import service_settings

BASE = "/api/v1/webhooks/twilio/voice"
SID = "CA" + "ab" * 16


@dataclass
class Voice:
    client: TestClient
    database_url: str

    def post(
        self, path: str, params: dict[str, str], *, token: str = AUTH_TOKEN, signed: bool = True
    ) -> httpx2.Response:
        headers = {}
        if signed:
            signer = RequestValidator(token)
            headers["X-Twilio-Signature"] = signer.compute_signature(PUBLIC + path, params)
        return self.client.post(path, data=params, headers=headers)

    def rows(self, call_id: int) -> tuple[VoiceCallRow, DeliveryRow]:
        engine = create_store_engine(self.database_url)
        with create_session_factory(engine)() as session:
            call = session.get(VoiceCallRow, call_id)
            assert call is not None
            delivery = session.get(DeliveryRow, call.delivery_id)
            assert delivery is not None
            session.expunge_all()
        engine.dispose()
        return call, delivery


@pytest.fixture
def voice(database_url: str, redis_url: str) -> Iterator[Voice]:
    app_settings = service_settings(
        database_url=database_url,
        broker_url=redis_url,
        redis_key_prefix=REDIS_KEY_PREFIX,
        public_base_url=PUBLIC,
        twilio=TwilioSettings(
            account_sid=TWILIO_SID, auth_token=SecretStr(AUTH_TOKEN), from_number="+15005550006"
        ),
        voice={"enabled": True},
    )
    with api_client(app_settings) as client:
        yield Voice(client, database_url)


def a_call(database_url: str, *, attempt: int = 1, sid: str = SID) -> int:
    """A delivery that asks for an acknowledgement, and a call placed about it."""
    delivery_id = sent_sms(database_url, sid=f"SM{attempt:032d}")
    engine = create_store_engine(database_url)
    with transaction(create_session_factory(engine)) as session:
        delivery = session.get(DeliveryRow, delivery_id)
        assert delivery is not None
        delivery.ack_required = True
        row = voice_calls.claim(
            session,
            incident_id=delivery.incident_id,
            delivery_id=delivery_id,
            recipient_key=delivery.recipient_key,
            attempt=attempt,
            phone=PHONE,
            now=datetime.now(UTC),
        )
        assert row is not None
        call_id = row.id
        voice_calls.placed(session, call_id, sid=sid)
    engine.dispose()
    return call_id


def keypress(digits: str, sid: str = SID) -> dict[str, str]:
    return {"AccountSid": TWILIO_SID, "CallSid": sid, "Digits": digits, "To": PHONE}


def test_a_call_slot_is_claimed_once(database_url: str) -> None:
    call_id = a_call(database_url)
    engine = create_store_engine(database_url)
    with transaction(create_session_factory(engine)) as session:
        first = session.get(VoiceCallRow, call_id)
        assert first is not None
        again = voice_calls.claim(
            session,
            incident_id=first.incident_id,
            delivery_id=first.delivery_id,
            recipient_key=first.recipient_key,
            attempt=1,
            phone=PHONE,
            now=datetime.now(UTC),
        )
        assert again is None
        second = voice_calls.claim(
            session,
            incident_id=first.incident_id,
            delivery_id=first.delivery_id,
            recipient_key=first.recipient_key,
            attempt=2,
            phone=PHONE,
            now=datetime.now(UTC),
        )
        assert second is not None and second.attempt == 2
    engine.dispose()


def test_pressing_1_acknowledges_like_an_sms_ok(voice: Voice) -> None:
    call_id = a_call(voice.database_url)
    path = f"{BASE}/gather?call={call_id}"
    response = voice.post(path, keypress("1"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/xml")
    assert "<Hangup" in response.text and "Thank you" in response.text
    call, delivery = voice.rows(call_id)
    assert call.state == CallState.ACKNOWLEDGED.value
    assert delivery.acked_via == "voice" and delivery.acked_by == PHONE
    # The status callback after the hang-up does not undo it.
    status = voice.post(
        f"{BASE}/status?call={call_id}", {"CallSid": SID, "CallStatus": "completed"}
    )
    assert status.status_code == 204
    assert voice.rows(call_id)[0].state == CallState.ACKNOWLEDGED.value


def test_another_key_asks_again_and_acknowledges_nothing(voice: Voice) -> None:
    call_id = a_call(voice.database_url)
    response = voice.post(f"{BASE}/gather?call={call_id}", keypress("7"))
    assert response.status_code == 200
    assert "<Gather" in response.text and "Press 1" in response.text
    assert voice.rows(call_id)[1].acked_at is None


@pytest.mark.parametrize(
    ("how", "kwargs"),
    [("unsigned", {"signed": False}), ("wrong token", {"token": "not-the-auth-token"})],
)
def test_an_unsigned_or_badly_signed_keypress_is_refused(
    voice: Voice, how: str, kwargs: dict[str, object]
) -> None:
    call_id = a_call(voice.database_url)
    response = voice.post(f"{BASE}/gather?call={call_id}", keypress("1"), **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 403, how
    assert voice.rows(call_id)[1].acked_at is None


def test_a_keypress_signed_for_another_call_is_refused(voice: Voice) -> None:
    call_id = a_call(voice.database_url)
    # Signed for call 999999's URL, posted to this call's: the query is part of what is signed.
    params = keypress("1")
    signature = RequestValidator(AUTH_TOKEN).compute_signature(
        f"{PUBLIC}{BASE}/gather?call=999999", params
    )
    response = voice.client.post(
        f"{BASE}/gather?call={call_id}", data=params, headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 403
    # A CallSid that is not this call's is not ours to act on.
    assert (
        voice.post(f"{BASE}/gather?call={call_id}", keypress("1", "CA" + "0" * 32)).status_code
        == 404
    )
    assert voice.rows(call_id)[1].acked_at is None


@pytest.mark.parametrize(
    ("status", "answered_by", "state"),
    [
        ("no-answer", "", CallState.NO_ANSWER),
        ("busy", "", CallState.BUSY),
        ("completed", "machine_start", CallState.MACHINE),
        ("failed", "", CallState.FAILED),
    ],
)
def test_the_status_callback_records_the_outcome_once(
    voice: Voice, status: str, answered_by: str, state: CallState
) -> None:
    call_id = a_call(voice.database_url)
    params = {"CallSid": SID, "CallStatus": status, "AnsweredBy": answered_by}
    assert voice.post(f"{BASE}/status?call={call_id}", params).status_code == 204
    call, _ = voice.rows(call_id)
    assert call.state == state.value and call.ended_at is not None
    # A repeated callback (Twilio retries) changes nothing.
    later = {"CallSid": SID, "CallStatus": "completed", "AnsweredBy": "human"}
    assert voice.post(f"{BASE}/status?call={call_id}", later).status_code == 204
    assert voice.rows(call_id)[0].state == state.value


def test_a_status_callback_without_a_status_is_a_400(voice: Voice) -> None:
    call_id = a_call(voice.database_url)
    response = voice.post(f"{BASE}/status?call={call_id}", {"CallSid": SID})
    assert response.status_code == 400 and "CallStatus" in response.text


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    digits=st.text(max_size=30),
    extra=st.dictionaries(st.text(min_size=1, max_size=10), st.text(max_size=40), max_size=4),
    call=st.one_of(st.integers(min_value=-5, max_value=2**64), st.text(max_size=12)),
)
def test_any_signed_keypress_body_is_answered_with_a_status_never_a_crash(
    voice: Voice, digits: str, extra: dict[str, str], call: object
) -> None:
    params = {**extra, "CallSid": SID, "Digits": digits}
    # Twilio signs the URL as we gave it: the query as it goes over the wire.
    path = f"{BASE}/gather?{urlencode({'call': str(call)})}"
    response = voice.post(path, params)
    assert response.status_code in (200, 400, 404, 422), response.text
    if response.status_code == 200:
        assert response.text.startswith("<?xml")
