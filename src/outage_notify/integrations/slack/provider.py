"""Slack's provider descriptor: messages through the Web API with a bot token."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from outage_notify.channels.base import Channel
from outage_notify.channels.capacity import LIMITS
from outage_notify.channels.provider import BuildOptions, CredentialAnswer, Provider
from outage_notify.config.settings import Settings
from outage_notify.core.models import ChannelName
from outage_notify.ratelimit.limiter import Bucket, slack_channel, slack_workspace

if TYPE_CHECKING:
    from aiohttp import web


def build(settings: Settings, options: BuildOptions) -> Channel:
    """The Slack channel (configured: a bot token)."""
    from outage_notify.integrations.slack.channel import SlackChannel

    return SlackChannel(settings.slack)


def buckets(settings: Settings) -> Callable[[str], tuple[Bucket, ...]]:
    """A message takes from its conversation's bucket and from the workspace's."""
    limits = settings.ratelimit

    def taken(address: str) -> tuple[Bucket, ...]:
        # A DM is its own conversation, so a user id stands for its channel here.
        return (
            slack_channel(address, limits.slack_channel_per_second),
            slack_workspace(limits.slack_workspace_per_second),
        )

    return taken


def check_credentials(
    settings: Settings, addresses: Sequence[str], timeout: float
) -> CredentialAnswer:
    """`outage-notify doctor`: Slack's auth.test with the bot token."""
    from outage_notify.integrations.slack.credentials import check_token

    return check_token(settings, addresses, timeout)


def add_fake_routes(app: web.Application) -> None:
    """DEVELOPMENT FAKE: the Slack Web API methods the channel and the API call."""
    from outage_notify.integrations.slack import fake

    fake.add_routes(app)


SLACK = Provider(
    name="slack",
    channel=ChannelName.SLACK,
    limits=LIMITS[ChannelName.SLACK],
    missing_settings="OUTAGE_NOTIFY_SLACK_BOT_TOKEN",
    configured=lambda settings: settings.slack.configured,
    build=build,
    modules=("outage_notify.integrations.slack.channel",),
    buckets=buckets,
    rate_limited_codes=frozenset({"429", "ratelimited"}),
    add_fake_routes=add_fake_routes,
    check_credentials=check_credentials,
)
