"""The dry-run channel: stands in for a channel whose credentials are not set.

Like Django's console e-mail backend, it only logs what it would have sent (at WARNING, marked
DRY RUN, phone numbers masked, fallback URLs cut to scheme and host because they carry tokens)
and returns a receipt flagged `dry_run` so nobody mistakes it for a delivery.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlsplit

from outage_notify.channels.base import ChannelLimits, Receipt
from outage_notify.channels.capacity import LIMITS
from outage_notify.core.models import ChannelName, OutboundMessage
from outage_notify.core.redaction import mask_phone, mask_phones

logger = logging.getLogger(__name__)


def mask_url(address: str) -> str:
    """A URL cut to its scheme and host: the rest may carry a token."""
    parts = urlsplit(address)
    return f"{parts.scheme}://{parts.hostname or ''}/…" if parts.scheme else "…"


def mask_address(channel: str, address: str) -> str:
    """An address of a built-in channel as a log may show it."""
    if channel == ChannelName.SMS:
        return mask_phone(address)
    if channel == ChannelName.FALLBACK:
        return mask_url(address)
    return address


class ConsoleChannel:
    """Logs each message instead of sending it, standing in for channel `name`.

    `redact_address` is how the provider's addresses may be logged; without it, a built-in
    channel's rule (`mask_address`).
    """

    def __init__(
        self,
        name: str,
        limits: ChannelLimits | None = None,
        *,
        redact_address: Callable[[str], str] | None = None,
    ) -> None:
        self.name = name
        self.limits = limits or LIMITS[ChannelName(name)]
        self._redact = redact_address or (lambda address: mask_address(name, address))

    async def send(self, message: OutboundMessage) -> Receipt:
        title = f"[{message.title}] " if message.title else ""
        logger.warning(
            "DRY RUN %s (not configured, nothing sent) to %s: %s%s",
            self.name,
            self._redact(message.address),
            title,
            # The body may quote a number (an alternative, a recipient's own); mask those too.
            mask_phones(message.body),
        )
        return Receipt(provider_id=f"dry-run-{uuid.uuid4().hex}", status="dry-run", dry_run=True)

    async def find_sent(self, message: OutboundMessage, since: datetime) -> Receipt | None:
        """Always None: a dry run sends nothing to find."""
        return None

    async def aclose(self) -> None:
        """Nothing to release."""
