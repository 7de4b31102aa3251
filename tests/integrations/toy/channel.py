"""The toy pager channel: one message per send into an in-memory outbox.

Like a real channel it keeps the contract (`outage_notify.channels.base.Channel`): one send,
one receipt or exactly one of the three errors, no loops and no retries. Two addresses play a
provider's failures: "busy" is rate limited, "nobody" does not exist.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime

from outage_notify.channels.base import ChannelLimits, Receipt
from outage_notify.core.errors import PermanentError, TransientError
from outage_notify.core.models import OutboundMessage

NAME = "pager"
LIMITS = ChannelLimits(max_body_chars=500, has_title=False)


@dataclass(frozen=True)
class Page:
    """One message the pager accepted."""

    page_id: str
    address: str
    body: str
    at: datetime


class PagerChannel:
    """Pages one address per send; `outbox` is what the pager accepted, in order."""

    name = NAME
    limits = LIMITS

    def __init__(self, *, prefix: str) -> None:
        self._prefix = prefix
        self._ids = itertools.count(1)
        self.outbox: list[Page] = []

    async def send(self, message: OutboundMessage) -> Receipt:
        if message.address == "busy":
            # Reported as "429", one of the codes delivery treats as "slow down".
            raise TransientError("the pager is rate limiting us", code="429", retry_after=5.0)
        if message.address == "nobody":
            raise PermanentError("no such pager", code="unknown_pager")
        page = Page(
            f"{self._prefix}-{next(self._ids)}", message.address, message.body, datetime.now(UTC)
        )
        self.outbox.append(page)
        return Receipt(provider_id=page.page_id, status="paged")

    async def find_sent(self, message: OutboundMessage, since: datetime) -> Receipt | None:
        """The page already sent to this address with this body since `since`, if any."""
        for page in reversed(self.outbox):
            if page.address == message.address and page.body == message.body and page.at >= since:
                return Receipt(provider_id=page.page_id, status="paged")
        return None

    async def aclose(self) -> None:
        """Nothing pooled."""
