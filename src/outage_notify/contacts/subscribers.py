"""The `subscribers` audience: people who subscribed on the status page, joined to the
contacts folder's audiences when an update is planned (pure).

Subscribers live in the database (`store/subscribers.py`), not in `contacts/`; the worker
loads those whose components match the incident and `with_subscribers` adds them to the
directory it plans with, so routing, rendering, coverage and the report treat them as one
more audience. Each is reached by SMS only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from outage_notify.contacts.directory import Directory
from outage_notify.contacts.routing import SUBSCRIBERS as SUBSCRIBERS
from outage_notify.contacts.zones import zone_for_phone
from outage_notify.core.models import Audience, ChannelName, Contact


@dataclass(frozen=True)
class Subscriber:
    """One confirmed subscription: a number, its language and the components it follows."""

    id: int
    phone: str
    locale: str
    # Empty: every component.
    components: tuple[str, ...] = ()

    def follows(self, affected: Iterable[str]) -> bool:
        """Whether an incident affecting `affected` concerns this subscriber."""
        if not self.components:
            return True
        wanted = {c.casefold() for c in self.components}
        return any(component.casefold() in wanted for component in affected)


def subscriber_audience(subscribers: Iterable[Subscriber]) -> Audience:
    """The audience of `subscribers`: one SMS contact each, in its number's zone."""
    contacts: list[Contact] = []
    zones: dict[str, str] = {}
    for subscriber in subscribers:
        contact_id = f"subscriber-{subscriber.id}"
        contacts.append(
            Contact(
                id=contact_id,
                name=f"subscriber {subscriber.id}",
                audience=SUBSCRIBERS,
                phone=subscriber.phone,
                locale=subscriber.locale,
                channels=(ChannelName.SMS,),
            )
        )
        if zone := zone_for_phone(subscriber.phone):
            zones[contact_id] = zone
    return Audience(name=SUBSCRIBERS, contacts=contacts, zones=zones)


def with_subscribers(directory: Directory, subscribers: Iterable[Subscriber]) -> Directory:
    """`directory` with the `subscribers` audience filled from `subscribers` (replacing any
    audience of that name in the folder: the database is where subscribers live)."""
    audiences = dict(directory.audiences)
    audience = subscriber_audience(subscribers)
    if audience.contacts:
        audiences[SUBSCRIBERS] = audience
    else:
        audiences.pop(SUBSCRIBERS, None)
    return replace(directory, audiences=audiences)
