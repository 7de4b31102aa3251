"""Apprise's provider descriptor: the fallback channel, any Apprise URL but e-mail."""

from __future__ import annotations

from outage_notify.channels.base import Channel
from outage_notify.channels.console import mask_url
from outage_notify.channels.limits import LIMITS
from outage_notify.channels.provider import BuildOptions, Provider
from outage_notify.config.settings import Settings
from outage_notify.core.models import ChannelName


def build(settings: Settings, options: BuildOptions) -> Channel | None:
    """The fallback channel, or None without fallback URLs."""
    if not settings.fallback.configured:
        return None
    from outage_notify.integrations.apprise.channel import FallbackChannel

    return FallbackChannel(settings.fallback)


# No shared rate limits: each target is its own service with its own limits.
FALLBACK = Provider(
    name="apprise",
    channel=ChannelName.FALLBACK,
    limits=LIMITS[ChannelName.FALLBACK],
    missing_settings="OUTAGE_NOTIFY_FALLBACK_URLS",
    build=build,
    redact_address=mask_url,
)
