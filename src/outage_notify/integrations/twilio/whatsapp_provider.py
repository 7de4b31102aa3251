"""Twilio's WhatsApp descriptor: the Messages API with `whatsapp:` addresses.

The account, token, fake routes and credential check are SMS's (`provider.py`); only the
sender, its rate-limit bucket and the channel differ.
"""

from __future__ import annotations

from collections.abc import Callable

from outage_notify.channels.base import Channel
from outage_notify.channels.capacity import LIMITS
from outage_notify.channels.provider import BuildOptions, Provider
from outage_notify.config.settings import Settings
from outage_notify.core.models import ChannelName
from outage_notify.core.redaction import mask_phone
from outage_notify.integrations.twilio.provider import check_credentials
from outage_notify.ratelimit.limiter import Bucket, twilio_sender

# The codes of `whatsapp.RATE_LIMITED_CODES`, here so the descriptor needs no SDK import.
RATE_LIMITED = frozenset({"20429", "63018"})


def build(settings: Settings, options: BuildOptions) -> Channel:
    """The WhatsApp channel (configured: an account, a token and a WhatsApp sender)."""
    # Imported here: the SDK is heavy and only a process that sends needs it.
    from outage_notify.integrations.twilio.whatsapp import WhatsAppChannel

    return WhatsAppChannel(settings.twilio, status_callback_url=options.status_callback_url)


def buckets(settings: Settings) -> Callable[[str], tuple[Bucket, ...]]:
    """Every WhatsApp message goes through the one WhatsApp sender and shares its rate."""
    sender = f"whatsapp:{settings.twilio.whatsapp_from or 'default'}"
    taken = (twilio_sender(sender, settings.ratelimit.twilio_per_second),)
    return lambda address: taken


WHATSAPP = Provider(
    name="twilio-whatsapp",
    channel=ChannelName.WHATSAPP,
    limits=LIMITS[ChannelName.WHATSAPP],
    missing_settings="OUTAGE_NOTIFY_TWILIO_ACCOUNT_SID, _AUTH_TOKEN and _WHATSAPP_FROM",
    configured=lambda settings: settings.twilio.whatsapp_configured,
    build=build,
    modules=("outage_notify.integrations.twilio.whatsapp", "twilio.rest.api.v2010.account.message"),
    buckets=buckets,
    rate_limited_codes=RATE_LIMITED,
    redact_address=mask_phone,
    # The fake's routes are SMS's: one fake Twilio serves both (fake_whatsapp.py).
    check_credentials=check_credentials,
)
