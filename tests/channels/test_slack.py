"""SlackChannel against the fake Slack Web API, through the real slack_sdk AsyncWebClient."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import SecretStr

from outage_notify.channels.base import Receipt
from outage_notify.channels.capacity import split_sections
from outage_notify.config.settings import SlackSettings
from outage_notify.core.errors import (
    ChannelError,
    PermanentError,
    TransientError,
    UnknownOutcomeError,
)
from outage_notify.core.models import OutboundMessage
from outage_notify.integrations.fake_server import FakeProviders
from outage_notify.integrations.slack.channel import SlackChannel, build_blocks

USER = "U0ANA"
CHANNEL = "C0ITHELP"


async def send_all(settings: SlackSettings, *messages: OutboundMessage) -> list[Receipt]:
    channel = SlackChannel(settings)
    try:
        return [await channel.send(message) for message in messages]
    finally:
        await channel.aclose()


def send_error(settings: SlackSettings, message: OutboundMessage) -> ChannelError:
    with pytest.raises(ChannelError) as caught:
        asyncio.run(send_all(settings, message))
    return caught.value


def test_dm_opens_once_and_posts_title_and_body_as_blocks(
    providers: FakeProviders, slack_settings: SlackSettings
) -> None:
    body = "E-mail is down &amp; we are on it. &lt;!channel&gt; stays text."
    first = OutboundMessage(USER, body, title="E-mail outage")
    second = OutboundMessage(USER, "Update: ETA 14:00")

    receipts = asyncio.run(send_all(slack_settings, first, second))

    records = providers.records("slack")
    assert [(r.to, r.body) for r in records] == [(USER, body), (USER, "Update: ETA 14:00")]
    assert records[0].raw["blocks"] == [
        {"type": "section", "text": {"type": "mrkdwn", "text": "*E-mail outage*"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": body}},
    ]
    assert records[0].raw["channel"].startswith("D")
    assert [r.provider_id for r in receipts] == [r.provider_id for r in records]
    # conversations.open once (cached per user), then two posts.
    assert providers.stats().requests["slack"] == 3
    params = records[0].raw["params"]
    assert "link_names" not in params and "parse" not in params


def test_an_ack_required_message_carries_one_acknowledge_button_after_the_text(
    providers: FakeProviders, slack_settings: SlackSettings
) -> None:
    message = OutboundMessage(
        USER, "E-mail is down.", title="Outage", ack_value="delivery:42", ack_label="Ciente"
    )

    asyncio.run(send_all(slack_settings, message, OutboundMessage(USER, "No button here")))

    asked, plain = providers.records("slack")
    assert asked.raw["blocks"][-1] == {
        "type": "actions",
        "block_id": "outage_notify_ack",
        "elements": [
            {
                "type": "button",
                "action_id": "outage_notify_ack",
                "text": {"type": "plain_text", "text": "Ciente"},
                "value": "delivery:42",
                "style": "primary",
            }
        ],
    }
    assert [b["type"] for b in asked.raw["blocks"]] == ["section", "section", "actions"]
    assert asked.body == "E-mail is down."
    assert all(b["type"] == "section" for b in plain.raw["blocks"])


def test_channel_ids_are_posted_directly(
    providers: FakeProviders, slack_settings: SlackSettings
) -> None:
    asyncio.run(send_all(slack_settings, OutboundMessage(CHANNEL, "Mail is down")))

    [record] = providers.records("slack")
    assert (record.to, record.raw["channel"], record.body) == (CHANNEL, CHANNEL, "Mail is down")
    assert providers.stats().requests["slack"] == 1


def test_long_body_is_split_into_sections_and_kept_whole_in_text(
    providers: FakeProviders, slack_settings: SlackSettings
) -> None:
    body = "\n".join(f"line {n:04d} " + "x" * 90 for n in range(70))

    asyncio.run(send_all(slack_settings, OutboundMessage(CHANNEL, body)))

    [record] = providers.records("slack")
    sections = [block["text"]["text"] for block in record.raw["blocks"]]
    assert record.body == body
    assert len(sections) == 3
    assert all(len(section) <= 3000 for section in sections)
    assert "\n".join(sections) == body


def test_split_never_cuts_an_escape() -> None:
    body = "a" * 2997 + "&amp;" + "b" * 10

    pieces = split_sections(body)

    assert pieces == ["a" * 2997, "&amp;" + "b" * 10]
    assert len(build_blocks("", "x" * 6001)) == 3


ERROR_CASES: list[tuple[dict[str, Any], type[ChannelError], str, float | None]] = [
    *(
        ({"slack_error": error}, PermanentError, error, None)
        for error in (
            "channel_not_found",
            "not_in_channel",
            "is_archived",
            "invalid_auth",
            "account_inactive",
            "token_revoked",
            "no_permission",
            "missing_scope",
            "msg_too_long",
            "cannot_dm_bot",
            "some_new_error",
        )
    ),
    *(
        ({"slack_error": error}, TransientError, error, None)
        for error in ("internal_error", "fatal_error", "service_unavailable", "request_timeout")
    ),
    ({"slack_error": "ratelimited", "retry_after": 3}, TransientError, "ratelimited", 3.0),
    ({"http_status": 429, "retry_after": 3}, TransientError, "ratelimited", 3.0),
    ({"http_status": 500}, TransientError, "500", None),
    ({"http_status": 503}, TransientError, "503", None),
    ({"drop": True}, UnknownOutcomeError, "disconnected", None),
]


@pytest.mark.parametrize(("fault", "kind", "code", "retry_after"), ERROR_CASES)
def test_errors_map_to_the_three_kinds(
    providers: FakeProviders,
    slack_settings: SlackSettings,
    fault: dict[str, Any],
    kind: type[ChannelError],
    code: str,
    retry_after: float | None,
) -> None:
    providers.add_fault("slack", **fault)

    error = send_error(slack_settings, OutboundMessage(USER, "x"))

    assert type(error) is kind
    assert error.code == code
    if retry_after is not None:
        assert isinstance(error, TransientError)
        assert error.retry_after == retry_after
    # The SDK must not have retried behind our back.
    assert providers.stats().requests["slack"] == 2


@pytest.mark.parametrize(
    ("fault", "kind", "code"),
    [
        ({"slack_error": "user_not_found"}, PermanentError, "user_not_found"),
        ({"slack_error": "users_not_found"}, PermanentError, "users_not_found"),
        # Nothing is posted before the DM exists, so a lost answer is safe to retry.
        ({"drop": True}, TransientError, "disconnected"),
    ],
)
def test_errors_while_opening_the_dm(
    providers: FakeProviders,
    slack_settings: SlackSettings,
    fault: dict[str, Any],
    kind: type[ChannelError],
    code: str,
) -> None:
    providers.add_fault("slack", method="conversations.open", **fault)

    error = send_error(slack_settings, OutboundMessage(USER, "x"))

    assert (type(error), error.code) == (kind, code)
    assert providers.records() == []


@pytest.mark.parametrize(
    ("address", "body", "code"),
    [
        ("#general", "x", "invalid_address"),
        ("ana@example.com", "x", "invalid_address"),
        (CHANNEL, "x" * 40_001, "msg_too_long"),
    ],
)
def test_refused_before_any_request(
    providers: FakeProviders, slack_settings: SlackSettings, address: str, body: str, code: str
) -> None:
    error = send_error(slack_settings, OutboundMessage(address, body))

    assert (type(error), error.code) == (PermanentError, code)
    assert providers.stats().requests == {}


def test_a_bad_token_is_permanent(providers: FakeProviders, slack_settings: SlackSettings) -> None:
    settings = slack_settings.model_copy(update={"bot_token": SecretStr("wrong")})

    error = send_error(settings, OutboundMessage(CHANNEL, "x"))

    assert (type(error), error.code) == (PermanentError, "invalid_auth")


@pytest.mark.parametrize("address", [USER, CHANNEL])
def test_dropped_post_is_found_by_reconciliation(
    providers: FakeProviders, slack_settings: SlackSettings, address: str
) -> None:
    since = datetime.now(UTC) - timedelta(seconds=1)
    providers.add_fault("slack", to=address, drop=True, times=1)
    dropped = OutboundMessage(address, "Mail restored.")

    async def scenario() -> tuple[Receipt | None, Receipt | None]:
        channel = SlackChannel(slack_settings)
        try:
            with pytest.raises(UnknownOutcomeError):
                await channel.send(dropped)
            found = await channel.find_sent(dropped, since)
            missing = await channel.find_sent(OutboundMessage(address, "never sent"), since)
            return found, missing
        finally:
            await channel.aclose()

    found, missing = asyncio.run(scenario())

    assert found is not None
    assert found.provider_id == providers.records("slack")[0].provider_id
    assert missing is None


def test_slow_answer_is_unknown_outcome(
    providers: FakeProviders, slack_settings: SlackSettings
) -> None:
    providers.add_fault("slack", delay=1.5, times=1)
    settings = slack_settings.model_copy(update={"timeout_seconds": 0.5})

    error = send_error(settings, OutboundMessage(CHANNEL, "slow"))

    assert (type(error), error.code) == (UnknownOutcomeError, "timeout")
    assert [r.body for r in providers.records("slack")] == ["slow"]
