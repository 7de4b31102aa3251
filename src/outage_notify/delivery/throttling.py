"""Which provider limits a message is subject to, and waiting for its turn under them."""

from __future__ import annotations

from outage_notify.config.settings import Settings
from outage_notify.core.models import ChannelName
from outage_notify.ratelimit.limiter import (
    Bucket,
    Limiter,
    slack_channel,
    slack_workspace,
    twilio_sender,
)

# Error codes by which channels say "the provider is rate limiting us".
RATE_LIMITED_CODES = frozenset({"20429", "429", "ratelimited"})


class Throttle:
    """Takes a message's tokens from the shared buckets before it is sent."""

    def __init__(self, limiter: Limiter, settings: Settings) -> None:
        self.limiter = limiter
        self.limits = settings.ratelimit
        twilio = settings.twilio
        self._sender = twilio.messaging_service_sid or twilio.from_number or "default"

    def buckets(self, channel: ChannelName, address: str) -> tuple[Bucket, ...]:
        """The buckets one message to `address` on `channel` takes a token from."""
        if channel == ChannelName.SMS:
            return (twilio_sender(self._sender, self.limits.twilio_per_second),)
        if channel == ChannelName.SLACK:
            # A DM is its own conversation, so a user id stands for its channel here.
            return (
                slack_channel(address, self.limits.slack_channel_per_second),
                slack_workspace(self.limits.slack_workspace_per_second),
            )
        return ()

    async def turn(self, channel: ChannelName, address: str) -> float:
        """0 when the message may go now; else the seconds until it may (reschedule it)."""
        buckets = self.buckets(channel, address)
        if not buckets:
            return 0.0
        return await self.limiter.acquire_all(buckets, max_wait=self.limits.max_wait_seconds)

    async def provider_said_slow_down(
        self, channel: ChannelName, address: str, retry_after: float
    ) -> None:
        """A provider 429: nobody takes from that bucket until its Retry-After has passed."""
        buckets = self.buckets(channel, address)
        if buckets and retry_after > 0:
            await self.limiter.pause(buckets[0], retry_after)
