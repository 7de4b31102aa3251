"""The contract every channel keeps.

A channel sends one message to one address and returns a receipt, or raises exactly one of
`TransientError`, `PermanentError` or `UnknownOutcomeError` (see `outage_notify.core.errors`).
No loops and no retries inside a channel: the delivery module decides what happens next.
Channels are async so a batch can send concurrently over one pooled client; they are built
inside the event loop that will use them and closed with `aclose()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from outage_notify.core.models import OutboundMessage


@dataclass(frozen=True)
class ChannelLimits:
    """What a channel can carry."""

    max_body_chars: int
    has_title: bool


@dataclass(frozen=True)
class Receipt:
    """The provider accepted the message."""

    provider_id: str
    # The provider's own word for the state, e.g. Twilio's "queued"; informational.
    status: str = "sent"
    # Set by channels that only pretend (console dry run) so operators can tell.
    dry_run: bool = False


class Channel(Protocol):
    """One way to reach people."""

    # Read-only in the contract so a channel may declare a `ChannelName` member or, for one
    # that is not built in, a plain string.
    @property
    def name(self) -> str:
        """The channel this sends on (its `Provider.channel`)."""
        ...

    @property
    def limits(self) -> ChannelLimits:
        """What one message on it can carry."""
        ...

    async def send(self, message: OutboundMessage) -> Receipt:
        """Send one message to one address; raise a ChannelError subclass on failure."""
        ...

    async def find_sent(self, message: OutboundMessage, since: datetime) -> Receipt | None:
        """Look up at the provider whether `message` already went out after `since`."""
        ...

    async def aclose(self) -> None:
        """Release pooled connections."""
        ...
