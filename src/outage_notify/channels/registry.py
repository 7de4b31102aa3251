"""The channels a process uses: real where configured, a console dry run where not."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from outage_notify.channels.base import Channel
from outage_notify.channels.console import ConsoleChannel
from outage_notify.config.settings import Settings
from outage_notify.core.models import ChannelName
from outage_notify.integrations.apprise.channel import FallbackChannel
from outage_notify.integrations.slack.channel import SlackChannel
from outage_notify.integrations.twilio.sms import SmsChannel

logger = logging.getLogger(__name__)

MISSING_SETTINGS = {
    ChannelName.SMS: "OUTAGE_NOTIFY_TWILIO_ACCOUNT_SID, _AUTH_TOKEN and _FROM_NUMBER "
    "(or _MESSAGING_SERVICE_SID)",
    ChannelName.SLACK: "OUTAGE_NOTIFY_SLACK_BOT_TOKEN",
    ChannelName.FALLBACK: "OUTAGE_NOTIFY_FALLBACK_URLS",
}


def _dry_run(name: ChannelName) -> ConsoleChannel:
    logger.warning(
        "DRY RUN: channel %s is not configured (set %s); its messages will only be logged",
        name.value,
        MISSING_SETTINGS[name],
    )
    return ConsoleChannel(name)


async def build_channels(
    settings: Settings, *, status_callback_url: str | None = None
) -> dict[ChannelName, Channel]:
    """One channel per ChannelName; call inside the event loop that will use them."""
    sms: Channel = (
        SmsChannel(settings.twilio, status_callback_url=status_callback_url)
        if settings.twilio.configured
        else _dry_run(ChannelName.SMS)
    )
    slack: Channel = (
        SlackChannel(settings.slack) if settings.slack.configured else _dry_run(ChannelName.SLACK)
    )
    fallback: Channel = (
        FallbackChannel(settings.fallback)
        if settings.fallback.configured
        else _dry_run(ChannelName.FALLBACK)
    )
    return {ChannelName.SMS: sms, ChannelName.SLACK: slack, ChannelName.FALLBACK: fallback}


async def close_channels(channels: Mapping[ChannelName, Channel]) -> None:
    """Close every channel, even if one fails to close (failures are logged)."""
    results = await asyncio.gather(
        *(channel.aclose() for channel in channels.values()), return_exceptions=True
    )
    for name, result in zip(channels, results, strict=True):
        if isinstance(result, BaseException):
            logger.warning("closing channel %s failed: %r", name.value, result)
