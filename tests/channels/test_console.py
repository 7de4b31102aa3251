"""The dry-run channel and the registry that falls back to it."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from outage_notify.channels.base import Channel
from outage_notify.channels.capacity import LIMITS
from outage_notify.channels.console import ConsoleChannel, mask_address
from outage_notify.channels.registry import build_channels, close_channels
from outage_notify.config.settings import (
    FallbackSettings,
    SlackSettings,
    TwilioSettings,
)
from outage_notify.core.models import ChannelName, OutboundMessage
from outage_notify.integrations.apprise.channel import FallbackChannel
from outage_notify.integrations.fake_server import FakeProviders
from outage_notify.integrations.registry import PROVIDERS
from outage_notify.integrations.slack.channel import SlackChannel
from outage_notify.integrations.twilio.sms import SmsChannel
from tests.fixtures.settings import build_settings


def test_dry_run_logs_masked_and_returns_a_flagged_receipt(
    caplog: pytest.LogCaptureFixture,
) -> None:
    channel = ConsoleChannel(ChannelName.SMS)

    with caplog.at_level(logging.WARNING, logger="outage_notify.channels.console"):
        receipt = asyncio.run(channel.send(OutboundMessage("+5511999990001", "Mail is down")))

    assert receipt.dry_run
    assert receipt.provider_id.startswith("dry-run-")
    [log] = caplog.records
    assert log.levelno == logging.WARNING
    assert "DRY RUN" in log.getMessage()
    assert "+55******0001" in log.getMessage()
    assert "+5511999990001" not in log.getMessage()
    assert "Mail is down" in log.getMessage()
    assert channel.limits == LIMITS[ChannelName.SMS]
    assert asyncio.run(channel.find_sent(OutboundMessage("+1", "x"), datetime.now(UTC))) is None


@pytest.mark.parametrize(
    ("channel", "address", "shown"),
    [
        (ChannelName.SMS, "+5511999990001", "+55******0001"),
        (ChannelName.SLACK, "U0ANA", "U0ANA"),
        (ChannelName.FALLBACK, "tgram://123456:SECRET-TOKEN/-100123", "tgram://123456/…"),
    ],
)
def test_addresses_are_masked(channel: ChannelName, address: str, shown: str) -> None:
    assert mask_address(channel, address) == shown
    if channel is ChannelName.FALLBACK:
        assert "SECRET" not in mask_address(channel, address)


def test_unconfigured_channels_are_dry_runs_and_say_so(caplog: pytest.LogCaptureFixture) -> None:
    settings = build_settings()

    async def build() -> dict[str, Channel]:
        channels = await build_channels(settings, PROVIDERS)
        await close_channels(channels)
        return channels

    with caplog.at_level(logging.WARNING, logger="outage_notify.channels.registry"):
        channels = asyncio.run(build())

    assert set(channels) == set(ChannelName)
    assert all(isinstance(channel, ConsoleChannel) for channel in channels.values())
    assert {name: channel.name for name, channel in channels.items()} == {n: n for n in ChannelName}
    warnings = [record.getMessage() for record in caplog.records]
    assert len(warnings) == len(ChannelName)
    assert all("DRY RUN" in warning for warning in warnings)


def test_configured_channels_are_real(providers: FakeProviders) -> None:
    settings = build_settings(
        twilio=TwilioSettings(
            account_sid="AC" + "0" * 32, auth_token=SecretStr("t"), from_number="+15005550006"
        ),
        slack=SlackSettings(bot_token=SecretStr("xoxb-1")),
        fallback=FallbackSettings(urls=[providers.fallback_url("everyone")], dry_run=False),
    )

    async def build() -> dict[str, Channel]:
        channels = await build_channels(
            settings, PROVIDERS, status_callback_url="https://x.example/cb"
        )
        await close_channels(channels)
        return channels

    channels = asyncio.run(build())

    assert isinstance(channels[ChannelName.SMS], SmsChannel)
    assert isinstance(channels[ChannelName.SLACK], SlackChannel)
    assert isinstance(channels[ChannelName.FALLBACK], FallbackChannel)
