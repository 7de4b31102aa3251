"""Twilio's provider descriptor: SMS through the Messages API."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from outage_notify.channels.base import Channel
from outage_notify.channels.capacity import LIMITS
from outage_notify.channels.provider import BuildOptions, CredentialAnswer, Provider
from outage_notify.config.settings import Settings
from outage_notify.core.models import ChannelName
from outage_notify.core.redaction import mask_phone
from outage_notify.ratelimit.limiter import Bucket, twilio_sender

if TYPE_CHECKING:
    from aiohttp import web


def build(settings: Settings, options: BuildOptions) -> Channel:
    """The SMS channel (configured: an account, a token and a sender)."""
    # Imported here: the SDK is heavy and only a process that sends needs it.
    from outage_notify.integrations.twilio.sms import SmsChannel

    return SmsChannel(settings.twilio, status_callback_url=options.status_callback_url)


def buckets(settings: Settings) -> Callable[[str], tuple[Bucket, ...]]:
    """Every text goes through one sender (number or messaging service) and shares its rate."""
    twilio = settings.twilio
    sender = twilio.messaging_service_sid or twilio.from_number or "default"
    taken = (twilio_sender(sender, settings.ratelimit.twilio_per_second),)
    return lambda address: taken


def check_credentials(
    settings: Settings, addresses: Sequence[str], timeout: float
) -> CredentialAnswer:
    """`outage-notify doctor`: Twilio's account fetch with the configured credentials."""
    from outage_notify.integrations.twilio.account import check_account

    return check_account(settings, addresses, timeout)


def add_fake_routes(app: web.Application) -> None:
    """DEVELOPMENT FAKE: Twilio's Messages API with its status callbacks, the Account resource,
    Lookup v2, and the control route that posts an incoming text."""
    # Imported here: only the fake server needs aiohttp's server side and the fakes' state.
    from outage_notify.integrations.twilio import (
        fake,
        fake_account,
        fake_calls,
        fake_inbound,
        fake_lookup,
    )

    fake.add_routes(app)
    fake_account.add_routes(app)
    fake_lookup.add_routes(app)
    fake_inbound.add_routes(app)
    fake_calls.add_routes(app)


SMS = Provider(
    name="twilio",
    channel=ChannelName.SMS,
    limits=LIMITS[ChannelName.SMS],
    missing_settings="OUTAGE_NOTIFY_TWILIO_ACCOUNT_SID, _AUTH_TOKEN and _FROM_NUMBER "
    "(or _MESSAGING_SERVICE_SID)",
    configured=lambda settings: settings.twilio.configured,
    build=build,
    modules=("outage_notify.integrations.twilio.sms", "twilio.rest.api.v2010.account.message"),
    buckets=buckets,
    rate_limited_codes=frozenset({"20429"}),
    redact_address=mask_phone,
    add_fake_routes=add_fake_routes,
    check_credentials=check_credentials,
)
