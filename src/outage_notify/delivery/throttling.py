"""Which provider limits a message is subject to, and waiting for its turn under them."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from outage_notify.channels.provider import Provider
from outage_notify.config.settings import Settings
from outage_notify.ratelimit.limiter import Bucket, Limiter

# Error codes by which channels say "the provider is rate limiting us": the registered
# providers' `rate_limited_codes` (a test keeps the two equal). A constant, not read from the
# providers, because `next_step` is pure and the metrics count these codes in stored attempts.
RATE_LIMITED_CODES = frozenset({"20429", "429", "ratelimited", "63018"})


class Throttle:
    """Takes a message's tokens from the shared buckets before it is sent."""

    def __init__(self, limiter: Limiter, settings: Settings, providers: Iterable[Provider]) -> None:
        self.limiter = limiter
        self.limits = settings.ratelimit
        self._buckets: dict[str, Callable[[str], tuple[Bucket, ...]]] = {
            provider.channel: provider.buckets(settings) for provider in providers
        }

    def buckets(self, channel: str, address: str) -> tuple[Bucket, ...]:
        """The buckets one message to `address` on `channel` takes a token from."""
        buckets_for = self._buckets.get(channel)
        return buckets_for(address) if buckets_for is not None else ()

    async def turn(self, channel: str, address: str) -> float:
        """0 when the message may go now; else the seconds until it may (reschedule it)."""
        buckets = self.buckets(channel, address)
        if not buckets:
            return 0.0
        return await self.limiter.acquire_all(buckets, max_wait=self.limits.max_wait_seconds)

    async def provider_said_slow_down(self, channel: str, address: str, retry_after: float) -> None:
        """A provider 429: nobody takes from that bucket until its Retry-After has passed."""
        buckets = self.buckets(channel, address)
        if buckets and retry_after > 0:
            await self.limiter.pause(buckets[0], retry_after)
