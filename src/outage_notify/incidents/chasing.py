"""Re-notify until reached: what to do about one recipient who has not acknowledged (pure).

A recipient of an audience with an `acknowledge` rule (routing.yaml) stays "open" until they
acknowledge or are given up on. Each check looks at their newest delivery in the incident (it
carries the current news) and decides:

    still on its way (planned, sending, unknown)          wait
    sent or delivered, and `renotify_after` has passed    the next channel a person can answer
                                                           on (SMS: reply OK; Slack: the button);
                                                           none, but another channel left: the
                                                           news goes there without the request
                                                           and they are unreached; none: unreached
    failed on every channel, or a dry run (channel not     unreached
    configured: nobody was told)

Asking on a channel nobody can answer on (an ntfy topic, a webhook) would only make the lead
wait another `renotify_after` for an acknowledgement that cannot come.

Unreached people are listed to the incident lead ("call them by phone"), once each. The
database side is `worker/chase_steps.py`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from outage_notify.core.models import ChannelName, DeliveryState

# Channels a person can acknowledge on: a reply "OK" to an SMS or a WhatsApp message, Slack's
# Acknowledge button.
ANSWERABLE = frozenset({ChannelName.SMS, ChannelName.SLACK, ChannelName.WHATSAPP})


class Chase(StrEnum):
    WAIT = "wait"
    # Ask again on the next channel that takes an answer (`next_answerable`).
    RENOTIFY = "renotify"
    # Send the news on the next channel, which takes no answer, and list them as unreached.
    INFORM = "inform"
    UNREACHED = "unreached"


@dataclass(frozen=True)
class Latest:
    """The recipient's newest delivery in the incident, as the chase sees it."""

    state: DeliveryState
    route_index: int
    # The channel of each of the delivery's routes, in order.
    channels: tuple[str, ...]
    # When it last went out (on its current channel); None if it never did.
    sent_at: datetime | None
    ack_required: bool

    @property
    def route_count(self) -> int:
        return len(self.channels)


def next_answerable(latest: Latest) -> int | None:
    """The index of the first later route a person can answer on; None if there is none."""
    for index in range(latest.route_index + 1, latest.route_count):
        if latest.channels[index] in ANSWERABLE:
            return index
    return None


@dataclass(frozen=True)
class Unreached:
    """One person the lead should call."""

    name: str
    audience: str
    phone: str = ""


WAITING_STATES = frozenset({DeliveryState.PLANNED, DeliveryState.SENDING, DeliveryState.UNKNOWN})
OUT_STATES = frozenset({DeliveryState.SENT, DeliveryState.DELIVERED})


def decide(
    latest: Latest | None, *, renotify_after: timedelta, now: datetime, resolved: bool
) -> Chase:
    """What to do now about a recipient whose acknowledgement is still owed."""
    if latest is None or latest.state in WAITING_STATES:
        # Nothing newer to judge (every delivery superseded), or a send still in progress.
        return Chase.WAIT
    if resolved and not latest.ack_required:
        # The outage is over and its last message did not ask: nobody needs chasing any more.
        return Chase.WAIT
    if latest.state in (DeliveryState.FAILED, DeliveryState.DRY_RUN):
        return Chase.UNREACHED
    if latest.state not in OUT_STATES:
        return Chase.WAIT
    if latest.sent_at is not None and latest.sent_at + renotify_after > now:
        return Chase.WAIT
    if next_answerable(latest) is not None:
        return Chase.RENOTIFY
    if latest.route_index + 1 < latest.route_count:
        return Chase.INFORM
    return Chase.UNREACHED


def unreached_message(people: Iterable[Unreached]) -> str:
    """The lead's list, one line per person: `Name (audience) phone`."""
    return "\n".join(
        f"{person.name} ({person.audience}) {person.phone}".rstrip() for person in people
    )
