"""Update, audiences and recipients → deliveries (pure).

Planning decides, for one update, which audiences hear it and with which kind (an audience that
was never told gets `opened`, whatever the update), then streams recipients while rendering each
(audience, channel, locale, time zone) body once: times are written in the reader's zone, so
readers in one zone share a body, and everyone in the organisation's zone shares one ("").
It never touches the database; the worker stores what it yields in batches.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace

from outage_notify.contacts.directory import Directory
from outage_notify.contacts.routing import Routing, recipients, select_audiences
from outage_notify.core.models import (
    Audience,
    ChannelName,
    Contact,
    Recipient,
    RenderedMessage,
    Route,
    Severity,
    UpdateKind,
)

TagFilters = tuple[dict[str, str], ...]
WHOLE: TagFilters = ({},)

# Managers hear first: their deliveries get the lowest ids and so the first dispatch batches.
AUDIENCE_PRIORITY = {"management": 0, "partners": 1}
# The organisation-wide fallback room (FALLBACK_URLS): told about every update anyone is told.
EVERYONE = "everyone"
# Contacts told directly, outside any audience (the incident lead's reminders).
STAFF = "staff"
# Kinds that only ever go to those already told of the incident.
ONLY_THOSE_TOLD = frozenset({UpdateKind.RESOLVED, UpdateKind.RETRACTED})


@dataclass(frozen=True)
class AudiencePlan:
    """One audience, the kind of message it gets, and which of its contacts."""

    audience: str
    kind: UpdateKind
    tag_filters: TagFilters


@dataclass(frozen=True)
class PlannedDelivery:
    audience: str
    recipient: Recipient
    # The recipient is asked to acknowledge and chased until they do (routing `acknowledge`).
    ack_required: bool = False


def asks_acknowledgement(routing: Routing, audience: str, kind: UpdateKind) -> bool:
    """Whether contacts of `audience` are asked to acknowledge an update of `kind`."""
    if audience in (STAFF, EVERYONE):
        return False
    rule = routing.ack_rule(audience)
    return rule is not None and kind in rule.kinds


def merge_filters(*groups: Iterable[Mapping[str, str]]) -> TagFilters:
    """Union of tag filters; an empty filter (the whole audience) absorbs the rest."""
    merged: list[dict[str, str]] = []
    for group in groups:
        for item in group:
            if not item:
                return WHOLE
            if dict(item) not in merged:
                merged.append(dict(item))
    return tuple(merged)


def plan_audiences(
    *,
    kind: UpdateKind,
    explicit: Iterable[str] | None,
    severity: Severity,
    components: Iterable[str],
    notified: Mapping[str, list[dict[str, str]]],
    directory: Directory,
    everyone: bool = False,
    security: bool = False,
) -> list[AudiencePlan]:
    """Which audiences hear this update, with what kind and for which of their contacts.

    With `everyone`, the organisation-wide fallback room hears whatever anyone hears. With
    `security` (the incident is in security mode), the audiences routed for security mode
    hear it too, even when staff named the audiences.
    """
    components = list(components)

    def routed(in_security: bool) -> dict[str, TagFilters]:
        return select_audiences(
            directory.routing,
            severity=severity,
            components=components,
            kind=kind,
            security=in_security,
        )

    if explicit is not None:
        selected: dict[str, TagFilters] = {name: WHOLE for name in explicit}
        if security:
            ordinary = routed(False)
            for name, filters in routed(True).items():
                if name not in ordinary:
                    selected.setdefault(name, filters)
    else:
        selected = routed(security)
    plans: dict[str, AudiencePlan] = {}
    if kind in ONLY_THOSE_TOLD and explicit is None:
        # Resolution and retraction go to everyone who heard about the outage, and only to them.
        for audience, told in notified.items():
            plans[audience] = AudiencePlan(audience, kind, merge_filters(told))
    else:
        for audience, filters in selected.items():
            told_before = audience in notified
            first_time = kind in (UpdateKind.UPDATE, UpdateKind.ETA_CHANGED) and not told_before
            plans[audience] = AudiencePlan(
                audience,
                UpdateKind.OPENED if first_time else kind,
                merge_filters(filters, notified.get(audience, [])),
            )
        if kind != UpdateKind.OPENED and explicit is None:
            # Whoever was told keeps hearing about it, even if routing no longer selects them.
            for audience, told in notified.items():
                plans.setdefault(audience, AudiencePlan(audience, kind, merge_filters(told)))
    known = [plan for plan in plans.values() if directory.audiences.get(plan.audience)]
    if everyone and known and (kind not in ONLY_THOSE_TOLD or EVERYONE in notified):
        first_time = EVERYONE not in notified and kind in (
            UpdateKind.UPDATE,
            UpdateKind.ETA_CHANGED,
        )
        known.append(AudiencePlan(EVERYONE, UpdateKind.OPENED if first_time else kind, WHOLE))
    return sorted(known, key=lambda plan: (AUDIENCE_PRIORITY.get(plan.audience, 9), plan.audience))


def notified_after(
    notified: Mapping[str, list[dict[str, str]]], plans: Iterable[AudiencePlan]
) -> dict[str, list[dict[str, str]]]:
    """The notified-audiences record once `plans` have been sent."""
    result = {audience: list(filters) for audience, filters in notified.items()}
    for plan in plans:
        result[plan.audience] = list(merge_filters(result.get(plan.audience, []), plan.tag_filters))
    return result


# Renders one body: (audience, kind, channel, locale, zone), the zone "" for the organisation's.
Render = Callable[[str, UpdateKind, ChannelName, str, str], RenderedMessage]


class Renderings:
    """Renders each (audience, channel, locale, zone) body once, on first need."""

    def __init__(self, render: Render):
        self._render = render
        self._cache: dict[tuple[str, ChannelName, str, str], RenderedMessage] = {}

    def need(
        self, audience: str, kind: UpdateKind, channel: ChannelName, locale: str, zone: str = ""
    ) -> None:
        key = (audience, channel, locale, zone)
        if key not in self._cache:
            rendered = self._render(audience, kind, channel, locale, zone)
            self._cache[key] = replace(rendered, timezone=zone)

    @property
    def messages(self) -> list[RenderedMessage]:
        return list(self._cache.values())


def everyone_recipients(urls: Iterable[str], *, locale: str) -> Iterator[Recipient]:
    """The organisation-wide fallback targets, one broadcast recipient each."""
    for url in urls:
        scheme = url.partition("://")[0]
        # The name is shown to operators; Apprise URLs often carry tokens, so only the scheme.
        yield Recipient(
            key=f"fallback:{url}",
            name=f"{scheme}:// organisation-wide room",
            audience=EVERYONE,
            locale=locale,
            routes=(Route(ChannelName.FALLBACK, url),),
            kind="broadcast",
        )


def iter_deliveries(
    plans: Iterable[AudiencePlan],
    *,
    directory: Directory,
    renderings: Renderings,
    everyone_urls: tuple[str, ...] = (),
    everyone_locale: str = "en",
    staff: Sequence[Contact] = (),
    organisation_zone: str = "",
) -> Iterator[PlannedDelivery]:
    """Every recipient of the planned audiences once, rendering bodies as routes need them.

    A recipient in `organisation_zone` is planned with the zone "" (the organisation's), so
    it shares its body with every reader who has no zone of their own.
    """
    seen: set[str] = set()
    for plan in plans:
        if plan.audience == EVERYONE:
            targets = everyone_recipients(everyone_urls, locale=everyone_locale)
        elif plan.audience == STAFF:
            # Keys of their own: a reminder must not supersede (coalesce with) a stakeholder
            # message still on its way to the same person.
            # Each in the zone their own audience gives them.
            zones = {c.id: zone for c in staff if (zone := directory.contact_zone(c.id))}
            numbers = {c.id: n for c in staff if (n := directory.contact_whatsapp(c.id))}
            staff_audience = Audience(
                name=STAFF, contacts=list(staff), zones=zones, whatsapp=numbers
            )
            targets = (replace(r, key=f"staff:{r.key}") for r in recipients(staff_audience))
        else:
            targets = recipients(
                directory.audiences[plan.audience],
                tag_filters=plan.tag_filters,
                broadcast_locale=directory.broadcast_locale(plan.audience),
            )
        asks = asks_acknowledgement(directory.routing, plan.audience, plan.kind)
        # (channel, locale, zone) already asked for in this audience: most recipients add none.
        needed: set[tuple[ChannelName, str, str]] = set()
        for recipient in targets:
            if recipient.key in seen:
                # A broadcast target shared by two audiences gets one post, not two.
                continue
            seen.add(recipient.key)
            if recipient.timezone and recipient.timezone == organisation_zone:
                recipient = replace(recipient, timezone="")
            zone = recipient.timezone
            for route in recipient.routes:
                if (route.channel, recipient.locale, zone) not in needed:
                    needed.add((route.channel, recipient.locale, zone))
                    renderings.need(plan.audience, plan.kind, route.channel, recipient.locale, zone)
            # A broadcast reaches a room, not a person who could answer.
            ack_required = asks and recipient.kind == "contact"
            yield PlannedDelivery(plan.audience, recipient, ack_required)


def find_contact(directory: Directory, contact_id: str) -> Contact | None:
    """A contact by id, in whichever audience it is listed."""
    for audience in directory.audiences.values():
        for contact in audience.contacts:
            if contact.id == contact_id:
                return contact
    return None
