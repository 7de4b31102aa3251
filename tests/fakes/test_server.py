"""The fake providers speak the vendors' wire formats: the real (sync) SDKs work against them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import apprise
import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from outage_notify.fakes.faults import Fault
from outage_notify.integrations.fake_server import FakeProviders
from tests.fixtures.providers import ACCOUNT_SID, FROM_NUMBER, SLACK_TOKEN

TO = "+5511999990001"
AUTH_TOKEN = "test-auth-token"


def twilio(providers: FakeProviders, token: str = AUTH_TOKEN) -> Client:
    client = Client(ACCOUNT_SID, token, http_client=TwilioHttpClient(timeout=5), environment={})
    client.api.base_url = providers.twilio_base_url
    return client


def slack(providers: FakeProviders, token: str = SLACK_TOKEN) -> WebClient:
    return WebClient(token=token, base_url=providers.slack_base_url, timeout=5, retry_handlers=[])


# --- Twilio -------------------------------------------------------------------------------


def test_twilio_create_answers_a_realistic_message_resource(providers: FakeProviders) -> None:
    message = twilio(providers).messages.create(
        to=TO, from_=FROM_NUMBER, body="E-mail is down. Use Slack #it-help.", validity_period=900
    )

    assert re.fullmatch(r"SM[0-9a-f]{32}", message.sid)
    assert (message.status, message.to, message.from_) == ("queued", TO, FROM_NUMBER)
    assert message.account_sid == ACCOUNT_SID
    assert message.num_segments == "1"
    assert message.date_created is not None
    [record] = providers.records("sms")
    assert (record.to, record.body, record.provider_id) == (TO, message.body, message.sid)
    assert record.raw["params"]["ValidityPeriod"] == "900"


def test_twilio_counts_ucs2_segments() -> None:
    from outage_notify.integrations.twilio.fake import segments

    assert segments("a" * 160) == 1
    assert segments("a" * 161) == 2
    assert segments("ação" + "a" * 70) == 2


@pytest.mark.parametrize(
    ("kwargs", "code", "status"),
    [
        ({"to": "12345", "body": "x"}, 21211, 400),
        ({"to": TO, "body": ""}, 21602, 400),
        ({"to": TO, "body": "x" * 1601}, 21617, 400),
    ],
)
def test_twilio_validates_like_the_real_api(
    providers: FakeProviders, kwargs: dict[str, str], code: int, status: int
) -> None:
    with pytest.raises(TwilioRestException) as caught:
        twilio(providers).messages.create(from_=FROM_NUMBER, **kwargs)

    assert (caught.value.code, caught.value.status) == (code, status)
    assert providers.records() == []
    assert [r.error for r in providers.rejections("sms")] == [str(code)]


def test_twilio_requires_basic_auth(providers: FakeProviders) -> None:
    with pytest.raises(TwilioRestException) as caught:
        twilio(providers, token="").messages.create(to=TO, from_=FROM_NUMBER, body="x")

    assert (caught.value.code, caught.value.status) == (20003, 401)


def test_twilio_list_filters_by_recipient_and_date_and_pages(providers: FakeProviders) -> None:
    client = twilio(providers)
    for number in range(5):
        client.messages.create(to=TO, from_=FROM_NUMBER, body=f"update {number}")
    client.messages.create(to="+5511999990002", from_=FROM_NUMBER, body="someone else")
    since = datetime.now(UTC) - timedelta(minutes=1)

    listed = client.messages.list(to=TO, date_sent_after=since, page_size=2)
    future = client.messages.list(to=TO, date_sent_after=since + timedelta(minutes=5))

    assert [m.body for m in listed] == [f"update {n}" for n in (4, 3, 2, 1, 0)]
    assert {m.status for m in listed} == {"sent"}
    assert future == []


# --- Slack --------------------------------------------------------------------------------


def test_slack_dm_is_recorded_under_the_user(providers: FakeProviders) -> None:
    client = slack(providers)
    opened = client.conversations_open(users="U0ANA")
    again = client.conversations_open(users="U0ANA")
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Down*"}}]

    posted = client.chat_postMessage(channel=opened["channel"]["id"], text="Down", blocks=blocks)

    assert opened["channel"]["id"].startswith("D")
    assert opened["channel"]["id"] == again["channel"]["id"]
    [record] = providers.records("slack")
    assert (record.to, record.body, record.provider_id) == ("U0ANA", "Down", posted["ts"])
    assert record.raw["blocks"] == blocks


def test_slack_accepts_form_encoded_posts_and_answers_history(providers: FakeProviders) -> None:
    client = slack(providers)
    oldest = f"{datetime.now(UTC).timestamp() - 1:.6f}"

    client.api_call("chat.postMessage", data={"channel": "C0IT", "text": "form body"})
    client.chat_postMessage(channel="C0IT", text="json body")
    history = client.conversations_history(channel="C0IT", oldest=oldest)

    assert [m["text"] for m in history["messages"]] == ["json body", "form body"]
    assert client.auth_test()["user_id"]


@pytest.mark.parametrize(
    ("token", "channel", "error"),
    [
        ("", "C0IT", "not_authed"),
        ("not-a-slack-token", "C0IT", "invalid_auth"),
        (SLACK_TOKEN, "D0UNKNOWN", "channel_not_found"),
        (SLACK_TOKEN, "#general", "channel_not_found"),
    ],
)
def test_slack_errors_are_http_200_with_ok_false(
    providers: FakeProviders, token: str, channel: str, error: str
) -> None:
    with pytest.raises(SlackApiError) as caught:
        slack(providers, token).chat_postMessage(channel=channel, text="x")

    assert caught.value.response.status_code == 200
    assert caught.value.response["error"] == error
    assert providers.records() == []
    assert len(providers.rejections("slack")) == 1


def test_slack_rate_limit_is_429_with_retry_after(providers: FakeProviders) -> None:
    providers.add_fault("slack", slack_error="ratelimited", retry_after=7)

    with pytest.raises(SlackApiError) as caught:
        slack(providers).chat_postMessage(channel="C0IT", text="x")

    assert caught.value.response.status_code == 429
    assert caught.value.response.headers["Retry-After"] == "7"


# --- Apprise ------------------------------------------------------------------------------


def test_apprise_json_target_is_recorded_by_name(providers: FakeProviders) -> None:
    notifier = apprise.Apprise()
    assert notifier.add(providers.fallback_url("ana"))

    assert notifier.notify(body="Mail is down", title="Outage")

    [record] = providers.records("fallback")
    assert (record.to, record.body, record.title) == ("ana", "Mail is down", "Outage")
    assert record.raw["type"] == "info"


# --- faults -------------------------------------------------------------------------------


def test_fault_applies_times_then_stops_and_only_to_its_address(providers: FakeProviders) -> None:
    fault = providers.add_fault("sms", to=TO, twilio_code=21610, times=2)
    client = twilio(providers)
    codes = []
    for _ in range(3):
        try:
            client.messages.create(to=TO, from_=FROM_NUMBER, body="x")
            codes.append(0)
        except TwilioRestException as error:
            codes.append(error.code)
    client.messages.create(to="+5511999990002", from_=FROM_NUMBER, body="other")

    assert codes == [21610, 21610, 0]
    assert fault.applied == 2
    assert [r.to for r in providers.records("sms")] == [TO, "+5511999990002"]


def test_fault_ratio_is_reproducible_with_a_seed(providers: FakeProviders) -> None:
    def failures() -> int:
        providers.reset(seed=42)
        providers.add_fault("fallback", http_status=503, ratio=0.3)
        with httpx.Client(base_url=providers.base_url) as http:
            for _ in range(100):
                http.post("/fallback/ana", json={"message": "x", "title": ""})
        return len(providers.rejections("fallback"))

    first = failures()
    assert 15 < first < 45
    assert failures() == first


def test_drop_records_then_closes_without_answer(providers: FakeProviders) -> None:
    providers.add_fault("fallback", drop=True)

    with httpx.Client(base_url=providers.base_url) as http, pytest.raises(httpx.TransportError):
        http.post("/fallback/ana", json={"message": "maybe", "title": ""})

    assert [r.body for r in providers.records("fallback")] == ["maybe"]
    assert providers.stats().dropped == {"fallback": 1}


def test_faults_reject_contradictions() -> None:
    with pytest.raises(ValueError, match="one kind"):
        Fault("sms", twilio_code=21211, drop=True)
    with pytest.raises(ValueError, match="sms and whatsapp channels only"):
        Fault("slack", twilio_code=21211)


def test_control_api_drives_faults_records_reset_and_stats(providers: FakeProviders) -> None:
    with httpx.Client(base_url=providers.base_url) as http:
        added = http.post("/_fake/faults", json={"channel": "sms", "twilio_code": 21614})
        bad = http.post("/_fake/faults", json={"channel": "sms", "colour": "red"})
        with pytest.raises(TwilioRestException) as caught:
            twilio(providers).messages.create(to=TO, from_=FROM_NUMBER, body="x")
        http.delete("/_fake/faults")
        twilio(providers).messages.create(to=TO, from_=FROM_NUMBER, body="after")
        records = http.get("/_fake/records", params={"channel": "sms"}).json()["records"]
        stats = http.get("/_fake/stats").json()
        http.post("/_fake/reset")
        after_reset = http.get("/_fake/records").json()["records"]

    assert (added.status_code, bad.status_code) == (201, 400)
    assert caught.value.code == 21614
    assert [r["body"] for r in records] == ["after"]
    assert stats["requests"]["sms"] == 2
    assert stats["rejected"]["sms"] == 1
    assert after_reset == []


def test_latency_delays_every_request(providers: FakeProviders) -> None:
    providers.set_latency(0.2)
    started = datetime.now(UTC)

    twilio(providers).messages.create(to=TO, from_=FROM_NUMBER, body="slow")

    assert datetime.now(UTC) - started >= timedelta(seconds=0.2)


def test_records_carry_rfc2822_dates(providers: FakeProviders) -> None:
    twilio(providers).messages.create(to=TO, from_=FROM_NUMBER, body="x")
    resource = providers.records("sms")[0].raw["resource"]

    assert parsedate_to_datetime(resource["date_created"]).tzinfo is not None


def test_urls_point_at_the_running_server() -> None:
    with FakeProviders() as fake:
        assert fake.slack_base_url == f"http://127.0.0.1:{fake.port}/api/"
        assert fake.fallback_url("ana") == f"json://127.0.0.1:{fake.port}/fallback/ana"
        assert httpx.get(f"{fake.base_url}/_fake/stats").status_code == 200
