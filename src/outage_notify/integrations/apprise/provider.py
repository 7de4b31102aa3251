"""Apprise's provider descriptor: the fallback channel, any Apprise URL but e-mail."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from outage_notify.channels.base import Channel
from outage_notify.channels.capacity import LIMITS
from outage_notify.channels.console import mask_url
from outage_notify.channels.provider import BuildOptions, CredentialAnswer, Provider
from outage_notify.config.settings import Settings
from outage_notify.core.models import ChannelName

if TYPE_CHECKING:
    from aiohttp import web


def build(settings: Settings, options: BuildOptions) -> Channel:
    """The fallback channel (live unless FALLBACK_DRY_RUN): every target's URL as given."""
    from outage_notify.integrations.apprise.channel import FallbackChannel

    return FallbackChannel(settings.fallback)


def check_credentials(
    settings: Settings, addresses: Sequence[str], timeout: float
) -> CredentialAnswer:
    """`outage-notify doctor`: every target URL parsed by Apprise, e-mail refused."""
    from outage_notify.integrations.apprise.targets import check_targets

    return check_targets(settings, addresses, timeout)


def add_fake_routes(app: web.Application) -> None:
    """DEVELOPMENT FAKE: an Apprise `json://` target."""
    from outage_notify.integrations.apprise import fake

    fake.add_routes(app)


# No shared rate limits: each target is its own service with its own limits.
FALLBACK = Provider(
    name="apprise",
    channel=ChannelName.FALLBACK,
    limits=LIMITS[ChannelName.FALLBACK],
    missing_settings="OUTAGE_NOTIFY_FALLBACK_DRY_RUN=false",
    configured=lambda settings: settings.fallback.live(settings.environment),
    build=build,
    modules=("outage_notify.integrations.apprise.channel",),
    redact_address=mask_url,
    add_fake_routes=add_fake_routes,
    check_credentials=check_credentials,
)
