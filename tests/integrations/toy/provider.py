"""The toy pager's provider descriptor: what the service needs to know to use it."""

from __future__ import annotations

from collections.abc import Callable

from outage_notify.channels.base import Channel
from outage_notify.channels.provider import BuildOptions, Provider
from outage_notify.config.settings import Settings
from outage_notify.ratelimit.limiter import Bucket
from tests.integrations.toy.channel import LIMITS, NAME, PagerChannel


def configured(settings: Settings) -> bool:
    """The toy needs no settings; a real provider checks its section of `Settings` here."""
    return True


def build(settings: Settings, options: BuildOptions) -> Channel:
    """The pager channel, once `configured` said its settings are there."""
    return PagerChannel(prefix=settings.organisation_name.lower().replace(" ", "-"))


def buckets(settings: Settings) -> Callable[[str], tuple[Bucket, ...]]:
    """Every page shares one bucket of 50 a second (a real one takes the rate from settings)."""
    taken = (Bucket("pager:account", 50.0),)
    return lambda address: taken


PAGER = Provider(
    name="toy-pager",
    channel=NAME,
    limits=LIMITS,
    missing_settings="(nothing: the toy pager needs no settings)",
    configured=configured,
    build=build,
    buckets=buckets,
    rate_limited_codes=frozenset({"429"}),
)
