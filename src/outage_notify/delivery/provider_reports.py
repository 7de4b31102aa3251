"""What a provider's delivery report (a Twilio status callback) does to a delivery. Pure.

A report names a message we sent and the provider's status for it. Reports arrive late, twice
and out of order (`delivered` before `sent`, a late `sent` after `delivered`), so `effect_of`
only ever moves a delivery forward: from `sent` to `delivered`, or from `sent` to "the handset
was not reached" (recorded as an `undelivered` note, then the contact's next channel).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from outage_notify.core.models import DeliveryState

# Provider statuses that only say the message is on its way: nothing to record.
IN_TRANSIT = frozenset({"accepted", "scheduled", "queued", "sending", "sent"})
# `read` is WhatsApp's "delivered, and seen".
DELIVERED = frozenset({"delivered", "read"})
NOT_DELIVERED = frozenset({"undelivered", "failed"})


class Effect(StrEnum):
    """What a report changes."""

    NONE = "none"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"


@dataclass(frozen=True)
class DeliveryReport:
    """One delivery report, in provider-neutral words."""

    provider_id: str
    status: str
    error_code: str = ""
    error_text: str = ""


@dataclass(frozen=True)
class Fallback:
    """Where a delivery goes after its message was not delivered."""

    state: DeliveryState
    route_index: int


def effect_of(state: DeliveryState, status: str) -> Effect:
    """The change `status` makes to a delivery in `state`; never a step backwards."""
    # Only a delivery whose send was recorded as `sent` waits for a report. Any other state
    # means the report is stale: already delivered, already moved to the next channel
    # (planned/sending on it), failed, or superseded.
    if state != DeliveryState.SENT:
        return Effect.NONE
    if status in DELIVERED:
        return Effect.DELIVERED
    if status in NOT_DELIVERED:
        return Effect.UNDELIVERED
    # In transit (or a status we do not act on, such as `canceled`): keep `sent`.
    return Effect.NONE


def fallback_after_undelivered(*, route_index: int, route_count: int) -> Fallback:
    """The contact's next channel, right away; none left means the contact is unreached."""
    if route_index + 1 < route_count:
        return Fallback(DeliveryState.PLANNED, route_index + 1)
    return Fallback(DeliveryState.FAILED, route_index)
