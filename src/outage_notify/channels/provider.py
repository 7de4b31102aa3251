"""The provider descriptor: everything the service needs to know about one provider's channel.

Each `integrations/<provider>/` package exports one `Provider` per channel it serves, and
`outage_notify.integrations.registry.PROVIDERS` lists them: that tuple is the only list of
providers. The code that builds channels (`channels.registry`) and takes rate-limit tokens
(`delivery.throttling`) reads the descriptors it is given, so the domain packages never import
a provider, and a test can hand them a provider of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from outage_notify.channels.base import Channel, ChannelLimits
from outage_notify.config.settings import Settings
from outage_notify.ratelimit.limiter import Bucket

if TYPE_CHECKING:
    from aiohttp import web


@dataclass(frozen=True)
class BuildOptions:
    """What the process, not the provider's settings, knows when channels are built."""

    # Where the provider should post delivery reports (Twilio's StatusCallback); None: nowhere.
    status_callback_url: str | None = None


# Builds the provider's real channel from configured settings. Called inside the event loop
# that will use it.
BuildChannel = Callable[[Settings, BuildOptions], Channel]
# Given the settings, the rate-limit buckets one message to an address takes a token from.
BucketsFor = Callable[[Settings], Callable[[str], tuple[Bucket, ...]]]


@dataclass(frozen=True)
class CredentialAnswer:
    """What a provider said when asked whether its settings work (`outage-notify doctor`)."""

    # ok: accepted; warn: accepted, but something will surprise on the day; fail: refused.
    status: Literal["ok", "warn", "fail"]
    # One sentence: what was asked and what the provider answered (never a secret).
    detail: str
    # One sentence an operator acts on; empty when nothing is to be done.
    fix: str = ""


# Asks the provider, within `timeout` seconds, whether the configured credentials are accepted
# (one cheap call each: Twilio's account fetch, Slack's auth.test); `addresses` are the
# contacts' and broadcasts' addresses on its channel, for a provider that can check them
# offline (Apprise URLs). Called only when the provider is configured.
CheckCredentials = Callable[[Settings, Sequence[str], float], CredentialAnswer]


def no_buckets(settings: Settings) -> Callable[[str], tuple[Bucket, ...]]:
    """A provider without shared rate limits: its messages are never throttled."""
    return lambda address: ()


def address_as_is(address: str) -> str:
    """An address that is safe to log whole (a Slack member id, say)."""
    return address


@dataclass(frozen=True)
class Provider:
    """One provider's channel: what it is called, what it carries, how it is built and limited."""

    # The provider, as operators know it ("twilio"); used in logs.
    name: str
    # The channel it serves (a `ChannelName` value for the built-in ones): the key of its
    # channel in `build_channels`, of its delivery jobs and of its rate limits.
    channel: str
    # What one message on it can carry (also the dry run's limits).
    limits: ChannelLimits
    # The settings an operator sets to make it real, named in the dry-run warning.
    missing_settings: str
    # Whether its settings are set; if not, the registry stands in a console dry run.
    configured: Callable[[Settings], bool]
    build: BuildChannel
    # The buckets a message takes from before it is sent; none means not throttled.
    buckets: BucketsFor = no_buckets
    # Error codes by which its channel says "the provider is rate limiting us" (see
    # `delivery.throttling.RATE_LIMITED_CODES`, which must hold them).
    rate_limited_codes: frozenset[str] = frozenset()
    # An address as the dry run may log it: phone numbers masked, URL tokens cut.
    redact_address: Callable[[str], str] = address_as_is
    # DEVELOPMENT FAKE: adds the routes of the provider's fake to the shared fake server
    # (`outage_notify.integrations.fake_server`), which speaks its wire format to the real SDK.
    add_fake_routes: Callable[[web.Application], None] | None = None
    # How `outage-notify doctor` asks the provider whether its settings work; None: it cannot.
    check_credentials: CheckCredentials | None = None
    # Modules `build` and a first send import (the SDK is heavy: ~0.1-0.2 s of CPU): a prefork
    # worker's parent imports them once, before it forks, instead of each child on its first
    # message (`channels.registry.preload_channels`).
    modules: tuple[str, ...] = ()


def by_channel(providers: Iterable[Provider]) -> Mapping[str, Provider]:
    """The providers keyed by the channel each serves; two for one channel is a mistake."""
    found: dict[str, Provider] = {}
    for provider in providers:
        if provider.channel in found:
            raise ValueError(
                f"channel {provider.channel!r} has two providers: "
                f"{found[provider.channel].name} and {provider.name}"
            )
        found[provider.channel] = provider
    return found
