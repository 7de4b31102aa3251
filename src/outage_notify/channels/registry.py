"""The channels a process uses: real where configured, a console dry run where not.

Which providers exist is not decided here: the caller passes the registered descriptors
(`outage_notify.integrations.registry.PROVIDERS`), one channel is built per descriptor.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Iterable, Mapping

from outage_notify.channels.base import Channel
from outage_notify.channels.console import ConsoleChannel
from outage_notify.channels.provider import BuildOptions, Provider, by_channel
from outage_notify.config.settings import Settings

logger = logging.getLogger(__name__)


def _dry_run(provider: Provider) -> ConsoleChannel:
    logger.warning(
        "DRY RUN: channel %s is not configured (set %s); its messages will only be logged",
        provider.channel,
        provider.missing_settings,
    )
    return ConsoleChannel(provider.channel, provider.limits, redact_address=provider.redact_address)


async def build_channels(
    settings: Settings,
    providers: Iterable[Provider],
    *,
    status_callback_url: str | None = None,
) -> dict[str, Channel]:
    """One channel per provider, keyed by its channel; call inside the loop that will use them."""
    options = BuildOptions(status_callback_url=status_callback_url)
    channels: dict[str, Channel] = {}
    for name, provider in by_channel(providers).items():
        configured = provider.configured(settings)
        channels[name] = provider.build(settings, options) if configured else _dry_run(provider)
    return channels


def preload_channels(settings: Settings, providers: Iterable[Provider]) -> None:
    """Import the modules the configured providers' channels need (a prefork parent, once)."""
    for provider in providers:
        if provider.configured(settings):
            for module in provider.modules:
                importlib.import_module(module)


async def close_channels(channels: Mapping[str, Channel]) -> None:
    """Close every channel, even if one fails to close (failures are logged)."""
    results = await asyncio.gather(
        *(channel.aclose() for channel in channels.values()), return_exceptions=True
    )
    for name, result in zip(channels, results, strict=True):
        if isinstance(result, BaseException):
            logger.warning("closing channel %s failed: %r", name, result)
