"""The Acknowledge button on SQLite and PostgreSQL: who may press it, and Slack's signature.

Each test tells management about one incident first (a real worker sending through the fakes),
then posts what Slack posts when a button is pressed, signed with the app's signing secret.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest

from outage_notify.config.settings import SlackSettings
from outage_notify.integrations.fake_server import FakeProviders
from outage_notify.integrations.slack.acknowledged import allowed, replacement
from outage_notify.integrations.slack.fake import RESPONSE_CHANNEL, response_url
from tests.api.inbound_service import ANA_SLACK, RICARDO_SLACK, Told, start
from tests.fixtures.inbound import INTERACTIVITY, button_payload, press, slack_headers
from tests.fixtures.service import RunningService, wait_for
from tests.fixtures.settings import build_settings


@pytest.fixture
def told(
    service_factory: Callable[..., RunningService], providers: FakeProviders, database_url: str
) -> Told:
    return start(service_factory, providers, database_url)


def ana_delivery(told: Told) -> int:
    return int(told.deliveries()["Ana Souza"]["id"])


def test_the_recipient_pressing_acknowledge_acknowledges_and_the_message_says_so(
    told: Told,
) -> None:
    delivery = ana_delivery(told)
    url = response_url(told.service.providers.base_url, "D0000ANA", "1700000000.000100")

    answer = press(told.service, button_payload(delivery, ANA_SLACK, response_url=url))

    assert answer.status_code == 200, answer.text
    assert answer.json()["result"] == "acknowledged"
    assert answer.json()["delivery_id"] == delivery
    ana = told.deliveries()["Ana Souza"]
    assert (ana["acked_via"], ana["acked_by"]) == ("slack", ANA_SLACK)
    assert ana["acked_at"] is not None
    timeline = told.incident_detail()["timeline"]
    assert [e["text"] for e in timeline if e["kind"] == "acknowledged"] == [
        "Ana Souza (management) acknowledged by slack"
    ]
    [kept] = told.inbound()
    assert (kept.channel, kept.sender, kept.handled_as) == ("slack", ANA_SLACK, "ack")
    assert (kept.body, kept.delivery_id) == (f"delivery:{delivery}", delivery)
    # The message is replaced: same text, no button, who acknowledged and when (São Paulo).
    [replaced] = wait_for(
        lambda: told.service.providers.records(RESPONSE_CHANNEL), what="the replacement"
    )
    assert replaced.raw["replace_original"] is True
    assert replaced.raw["text"] == "Email is down"
    blocks = replaced.raw["blocks"]
    assert [block["type"] for block in blocks] == ["section", "context"]
    assert blocks[-1]["elements"][0]["text"].startswith(f"Ciente: <@{ANA_SLACK}> às ")

    second = press(told.service, button_payload(delivery, ANA_SLACK))
    assert second.json()["result"] == "already_acknowledged"
    assert told.deliveries()["Ana Souza"]["acked_at"] == ana["acked_at"]


def test_someone_else_pressing_the_button_acknowledges_nothing(told: Told) -> None:
    delivery = ana_delivery(told)
    url = response_url(told.service.providers.base_url, "C0MGMTSTATUS", "1700000000.000100")

    answer = press(
        told.service,
        button_payload(delivery, RICARDO_SLACK, channel="C0MGMTSTATUS", response_url=url),
    )

    assert answer.status_code == 200
    assert answer.json()["result"] == "not_yours"
    assert "not the recipient" in answer.json()["detail"]
    assert all(d["acked_at"] is None for d in told.deliveries().values())
    assert [(row.sender, row.handled_as) for row in told.inbound()] == [(RICARDO_SLACK, "refused")]
    assert told.service.providers.records(RESPONSE_CHANNEL) == []


def refused_requests(body: str) -> list[tuple[str, dict[str, str], str]]:
    """(case, headers, what the 403 says) for requests Slack did not sign just now."""
    good = slack_headers(body)
    return [
        ("unsigned", {"Content-Type": good["Content-Type"]}, "missing X-Slack-Signature"),
        ("wrong secret", slack_headers(body, secret="another-apps-secret"), "does not match"),
        (
            "stale",
            slack_headers(body, at=time.time() - 6 * 60),
            "stale request",
        ),
        (
            "tampered",
            {**good, "X-Slack-Signature": good["X-Slack-Signature"][:-4] + "0000"},
            "does not match",
        ),
        ("bad timestamp", {**good, "X-Slack-Request-Timestamp": "soon"}, "not a Unix time"),
    ]


def test_requests_without_a_fresh_valid_signature_are_refused_and_change_nothing(
    told: Told, caplog: pytest.LogCaptureFixture
) -> None:
    body = urlencode({"payload": json.dumps(button_payload(ana_delivery(told), ANA_SLACK))})

    for case, headers, reason in refused_requests(body):
        answer = told.service.api.post(INTERACTIVITY, content=body, headers=headers)
        assert answer.status_code == 403, case
        assert reason in answer.json()["detail"], case

    assert told.inbound() == []
    assert told.deliveries()["Ana Souza"]["acked_at"] is None
    refusals = [r.getMessage() for r in caplog.records if "refused POST" in r.getMessage()]
    assert len(refusals) == 5
    # Logged without the body: no user id, no payload.
    assert not any(ANA_SLACK in message or "payload" in message for message in refusals)


def test_a_replayed_request_is_refused(told: Told) -> None:
    body = urlencode({"payload": json.dumps(button_payload(ana_delivery(told), ANA_SLACK))})
    headers = slack_headers(body)

    first = told.service.api.post(INTERACTIVITY, content=body, headers=headers)
    again = told.service.api.post(INTERACTIVITY, content=body, headers=headers)

    assert first.status_code == 200
    assert again.status_code == 403
    assert "replayed" in again.json()["detail"]
    assert [row.handled_as for row in told.inbound()] == ["ack"]


def test_without_a_signing_secret_every_slack_request_is_refused(
    service_factory: Callable[..., RunningService], providers: FakeProviders, database_url: str
) -> None:
    service = service_factory(database_url)
    body = urlencode({"payload": json.dumps(button_payload(1, ANA_SLACK))})

    answer = service.api.post(INTERACTIVITY, content=body, headers=slack_headers(body))

    assert answer.status_code == 403
    assert "SLACK_SIGNING_SECRET" in answer.json()["detail"]


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (None, "payload form field is missing"),
        ("{not json", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        (json.dumps({"type": "block_actions", "actions": "x"}), "actions is not a list"),
        (
            json.dumps(
                {
                    "type": "block_actions",
                    "user": {"id": ANA_SLACK},
                    "actions": [{"action_id": "outage_notify_ack", "value": "incident:1"}],
                }
            ),
            "value is not 'delivery:<id>'",
        ),
        (
            json.dumps(
                {
                    "type": "block_actions",
                    "actions": [{"action_id": "outage_notify_ack", "value": "delivery:1"}],
                }
            ),
            "user.id is missing",
        ),
    ],
)
def test_a_signed_but_malformed_payload_is_a_400_with_the_reason(
    told: Told, payload: str | None, reason: str
) -> None:
    form = {} if payload is None else {"payload": payload}
    body = urlencode(form)

    answer = told.service.api.post(INTERACTIVITY, content=body, headers=slack_headers(body))

    assert answer.status_code == 400
    assert reason in answer.json()["detail"]
    assert told.inbound() == []


def test_other_interactions_are_answered_and_ignored(told: Told) -> None:
    for payload in [
        {"type": "shortcut", "callback_id": "x", "user": {"id": ANA_SLACK}},
        {"type": "block_actions", "user": {"id": ANA_SLACK}, "actions": [{"action_id": "other"}]},
    ]:
        answer = press(told.service, payload)
        assert answer.status_code == 200
        assert answer.json()["result"] == "ignored"
    assert told.inbound() == []


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://hooks.slack.com/actions/T0/1/abc", True),
        ("http://hooks.slack.com/actions/T0/1/abc", False),
        ("https://hooks.slack.com.evil.example/actions", False),
        ("https://evil.example/?https://hooks.slack.com/", False),
        ("http://127.0.0.1:4010/_fake/slack/response/C1/1.2", True),
        ("http://127.0.0.1:4011/_fake/slack/response/C1/1.2", False),
        ("http://127.0.0.1:notaport/x", False),
    ],
)
def test_the_message_is_only_replaced_through_slacks_own_url(url: str, ok: bool) -> None:
    settings = build_settings(slack=SlackSettings(base_url="http://127.0.0.1:4010/api/"))
    assert allowed(url, settings) is ok


def test_the_replacement_keeps_the_message_and_drops_the_button() -> None:
    payload = button_payload(7, ANA_SLACK)
    at = datetime(2025, 5, 8, 17, 32, tzinfo=UTC)

    body = replacement(payload, user=ANA_SLACK, at=at, timezone="America/Sao_Paulo", locale="en")

    assert body["text"] == "Email is down"
    assert body["blocks"][0] == payload["message"]["blocks"][0]
    assert body["blocks"][1]["elements"][0]["text"] == f"Acknowledged by <@{ANA_SLACK}> at 14:32"


def test_a_response_url_elsewhere_is_not_posted_to(
    told: Told, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="outage_notify.integrations.slack.acknowledged")
    payload = button_payload(
        ana_delivery(told), ANA_SLACK, response_url="https://evil.example/collect"
    )

    answer = press(told.service, payload)

    assert answer.json()["result"] == "acknowledged"
    assert any("unexpected host" in r.getMessage() for r in caplog.records)
