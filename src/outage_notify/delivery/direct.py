"""One SMS to one number outside any incident (a subscription's code and confirmation).

The same path as every delivery: the SMS provider's channel, built as the workers build it,
through `send_jobs`; nothing is retried here, the person asks again.
"""

from __future__ import annotations

from collections.abc import Iterable

from outage_notify.channels.provider import Provider
from outage_notify.channels.registry import build_channels, close_channels
from outage_notify.config.settings import Settings
from outage_notify.core.models import ChannelName, OutboundMessage
from outage_notify.delivery.send import Job, Outcome, send_jobs


async def send_one_sms(
    settings: Settings,
    providers: Iterable[Provider],
    *,
    phone: str,
    body: str,
    reference: str,
) -> Outcome:
    """Send `body` to `phone` once; the outcome says whether it left (`sent`, `dry_run`)."""
    sms = [provider for provider in providers if provider.channel == ChannelName.SMS]
    channels = await build_channels(settings, sms, status_callback_url=None)
    try:
        job = Job(
            delivery_id=0,
            channel=ChannelName.SMS,
            message=OutboundMessage(phone, body, "", reference=reference),
        )
        [outcome] = await send_jobs([job], channels, concurrency=1)
    finally:
        await close_channels(channels)
    return outcome
