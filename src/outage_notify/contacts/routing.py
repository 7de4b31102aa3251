"""Routing as data: which audiences hear about an incident, and who exactly that is (pure).

`contacts/routing.yaml` holds a list of rules. A rule names an audience; it applies when any of
its `when` conditions holds (no `when`: always), and only for its `kinds` of update (default:
all). Keys inside one condition AND together. `tags` narrows the audience to the contacts whose
tags all match, e.g. `{site: sao-paulo}` for a site relay that only Sao Paulo uses.

An optional `acknowledge` list names audiences whose contacts are asked to confirm they got
the news (SMS: "reply OK", Slack: a button) for some kinds of update, and are re-notified on
their next channel when they stay silent (`outage_notify.incidents.chasing`).

Components are free strings, compared case-insensitively. The common vocabulary:

    inbound       receiving mail from the internet (MX, SMTP in)
    outbound      sending mail to the internet (submission, relay out)
    webmail       the browser client            imap / pop   desktop client access
    mobile_sync   phones (ActiveSync, EWS)      calendar     calendars and meeting invitations
    directory     address book, authentication  spam_filter  filtering gateway
    archive       journaling and retention      site_relay_<site>  one site's local relay
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from outage_notify.contacts.fields import check_keys, entry_where, read_yaml, unknown_key
from outage_notify.core.errors import ContactsError
from outage_notify.core.models import (
    STAFF_KINDS,
    Audience,
    ChannelName,
    Recipient,
    Route,
    Severity,
    UpdateKind,
)

USER_FACING = ("inbound", "outbound", "webmail", "imap", "pop", "mobile_sync", "calendar")
EXTERNAL_MAIL_FLOW = ("inbound", "outbound")


# The audience filled from the database (people who subscribed on the status page), not from
# a contact file: `outage_notify.contacts.subscribers`.
SUBSCRIBERS = "subscribers"


def _not_empty(why: str) -> AfterValidator:
    """A field validator that rejects an empty tuple with `why` (what it would mean)."""

    def check(values: tuple[Any, ...]) -> tuple[Any, ...]:
        if not values:
            raise ValueError(why)
        return values

    return AfterValidator(check)


class Condition(BaseModel):
    """One way a rule can apply; every key that is set must hold."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    components_any: tuple[str, ...] = ()
    severity_at_least: Severity | None = None
    # True: only while the incident is in security mode (docs/concepts/security-mode.md).
    security: Literal[True] | None = None

    @field_validator("components_any")
    @classmethod
    def _normalise(cls, components: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(component.strip().casefold() for component in components)

    @model_validator(mode="after")
    def _not_empty(self) -> Condition:
        if not self.components_any and self.severity_at_least is None and not self.security:
            raise ValueError("a condition needs components_any, severity_at_least or security")
        return self

    def holds(
        self, *, severity: Severity, components: frozenset[str], security: bool = False
    ) -> bool:
        """True when the incident meets every key this condition sets."""
        if self.security and not security:
            return False
        if self.components_any and components.isdisjoint(self.components_any):
            return False
        return self.severity_at_least is None or severity.rank >= self.severity_at_least.rank


class RoutingRule(BaseModel):
    """An audience, optionally narrowed by tags, told when a condition holds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    audience: str
    when: tuple[Condition, ...] | None = None
    tags: dict[str, str] = {}
    kinds: Annotated[
        tuple[UpdateKind, ...],
        _not_empty("an empty 'kinds' never applies; leave it out for all kinds"),
    ] = tuple(UpdateKind)

    @field_validator("when", mode="before")
    @classmethod
    def _when_not_empty(cls, when: object) -> object:
        # Only a `when` that is written down gets here; `when:` with nothing under it is a slip.
        if when is None or when == []:
            raise ValueError("an empty 'when' never matches; leave it out to always apply")
        return when

    def applies(
        self,
        *,
        severity: Severity,
        components: frozenset[str],
        kind: UpdateKind,
        security: bool = False,
    ) -> bool:
        """True when this rule selects its audience for this update."""
        if kind not in self.kinds:
            return False
        return self.when is None or any(
            condition.holds(severity=severity, components=components, security=security)
            for condition in self.when
        )


class AckRule(BaseModel):
    """An audience asked to acknowledge some kinds of update, and chased until it does."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    audience: str
    kinds: Annotated[
        tuple[UpdateKind, ...],
        _not_empty("an empty 'kinds' never asks; leave it out for opened and reopened"),
    ] = (UpdateKind.OPENED, UpdateKind.REOPENED)
    # No acknowledgement this long after a message went out: the contact's next channel.
    renotify_after_minutes: float = Field(default=5.0, gt=0, allow_inf_nan=False)
    # Reported as met or missed ("every manager within 10 minutes"); changes no sending.
    deadline_minutes: float | None = Field(default=None, gt=0, allow_inf_nan=False)

    @field_validator("kinds")
    @classmethod
    def _stakeholder_kinds(cls, kinds: tuple[UpdateKind, ...]) -> tuple[UpdateKind, ...]:
        for kind in kinds:
            if kind in STAFF_KINDS:
                raise ValueError(f"'{kind}' goes to the incident lead, never to an audience")
        return kinds

    @property
    def renotify_after(self) -> timedelta:
        return timedelta(minutes=self.renotify_after_minutes)


class Routing(BaseModel):
    """The ordered routing rules of one contacts folder, and its acknowledgement rules."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rules: Annotated[
        tuple[RoutingRule, ...], _not_empty("with no rules no audience would ever be told")
    ]
    acknowledge: tuple[AckRule, ...] = ()
    # Audience -> the most segments one of its SMS may take (else OUTAGE_NOTIFY_SMS_MAX_SEGMENTS).
    sms_max_segments: dict[str, Annotated[int, Field(ge=1, le=10)]] = Field(default_factory=dict)
    # Audience -> whether its SMS are written in GSM-7 (else OUTAGE_NOTIFY_SMS_TRANSLITERATE).
    sms_transliterate: dict[str, bool] = Field(default_factory=dict)
    # Audience -> locale -> how its readers reach IT meanwhile (`contacts.alternatives`);
    # an audience listed here never gets OUTAGE_NOTIFY_ALTERNATIVES.
    alternatives: dict[
        str, dict[str, tuple[Annotated[str, Field(min_length=1, max_length=200)], ...]]
    ] = Field(default_factory=dict)
    # Audience -> the audience whose templates it reads when it has none of its own (the
    # `subscribers` audience reads the partners' or the users' words).
    worded_like: dict[str, str] = Field(default_factory=dict)

    @field_validator("acknowledge")
    @classmethod
    def _one_rule_per_audience(cls, rules: tuple[AckRule, ...]) -> tuple[AckRule, ...]:
        seen: set[str] = set()
        for rule in rules:
            if rule.audience in seen:
                # Two timers for one person would leave which one counts to chance.
                raise ValueError(f"'{rule.audience}' has two acknowledge rules; keep one")
            seen.add(rule.audience)
        return rules

    def ack_rule(self, audience: str) -> AckRule | None:
        """The acknowledgement rule of `audience`, if it has one."""
        return next((rule for rule in self.acknowledge if rule.audience == audience), None)

    @property
    def audiences(self) -> frozenset[str]:
        """Every audience some rule can select."""
        return frozenset(rule.audience for rule in self.rules)


DEFAULT_ROUTING = Routing(
    rules=(
        RoutingRule(audience="management"),
        RoutingRule(audience="users", when=(Condition(components_any=USER_FACING),)),
        RoutingRule(
            audience="partners",
            when=(
                Condition(components_any=EXTERNAL_MAIL_FLOW),
                Condition(severity_at_least=Severity.CRITICAL),
            ),
        ),
    ),
    # Partners never get the organisation-wide alternatives: those name internal routes.
    alternatives={"partners": {}},
)


def load_routing(path: Path) -> Routing:
    """Read and validate one routing file."""
    data, lines = read_yaml(path)
    if not isinstance(data, dict):
        raise ContactsError(path, "top level", "rules", "the file must be a mapping with 'rules'.")
    check_keys(data, Routing.model_fields, path=path, where="top level")
    try:
        return Routing.model_validate(data)
    except ValidationError as error:
        raise _routing_error(path, error, data, lines) from None


def select_audiences(
    routing: Routing,
    *,
    severity: Severity,
    components: Iterable[str],
    kind: UpdateKind,
    security: bool = False,
) -> dict[str, tuple[dict[str, str], ...]]:
    """Audience name to its tag filters; `({},)` means the whole audience. With `security`
    (the incident is in security mode), rules with `security: true` apply too."""
    affected = frozenset(component.strip().casefold() for component in components)
    selected: dict[str, list[dict[str, str]]] = {}
    for rule in routing.rules:
        if rule.applies(severity=severity, components=affected, kind=kind, security=security):
            filters = selected.setdefault(rule.audience, [])
            if rule.tags not in filters:
                filters.append(dict(rule.tags))
    # Telling the whole audience already tells every narrowed part of it.
    return {name: ({},) if {} in filters else tuple(filters) for name, filters in selected.items()}


def recipients(
    audience: Audience,
    *,
    tag_filters: tuple[dict[str, str], ...] = ({},),
    broadcast_locale: str = "en",
) -> Iterator[Recipient]:
    """The recipients of one audience under some tag filters, contacts first, then broadcasts."""
    whole = {} in tag_filters
    # A contact without a zone of its own reads the audience file's, else the organisation's.
    audience_zone = audience.timezone or ""
    for contact in audience.contacts:
        if not whole and not any(tags.items() <= contact.tags.items() for tags in tag_filters):
            continue
        routes = [
            Route(channel, address)
            for channel in contact.channels
            if (address := audience.address(contact, channel))
        ]
        zone = audience.zones.get(contact.id) or audience_zone
        if audience.deliver == "first" and routes:
            yield Recipient(
                f"contact:{contact.id}",
                contact.name,
                audience.name,
                contact.locale,
                tuple(routes),
                timezone=zone,
            )
        elif audience.deliver == "all":
            for route in routes:
                yield Recipient(
                    f"contact:{contact.id}:{route.channel}",
                    contact.name,
                    audience.name,
                    contact.locale,
                    (route,),
                    timezone=zone,
                )
    # A broadcast reaches everyone in the channel, so a message meant for one site or
    # department would also reach the people the routing deliberately left out.
    if not whole:
        return
    broadcasts = [
        (f"slack:{channel_id}", f"#{channel_id} broadcast", Route(ChannelName.SLACK, channel_id))
        for channel_id in audience.broadcast.slack_channels
    ] + [
        # Apprise URLs often carry tokens, so the display name shows only the scheme.
        (
            f"fallback:{url}",
            f"{url.split('://', 1)[0]}:// broadcast",
            Route(ChannelName.FALLBACK, url),
        )
        for url in audience.broadcast.fallback_urls
    ]
    for key, name, route in broadcasts:
        yield Recipient(
            key, name, audience.name, broadcast_locale, (route,), "broadcast", audience_zone
        )


def _routing_error(
    path: Path, error: ValidationError, data: dict[str, Any], lines: dict[str, list[int]]
) -> ContactsError:
    """The first validation problem as a ContactsError naming the entry and field."""
    problems = error.errors()
    # A misspelt key also shows up as a missing one; the spelling is the useful half.
    first = next((p for p in problems if p["type"] == "extra_forbidden"), problems[0])
    location = list(first["loc"])
    where = "top level"
    section = str(location[0]) if location else "rules"
    if len(location) >= 2 and section in ("rules", "acknowledge") and isinstance(location[1], int):
        index = location[1]
        entries = data[section] if isinstance(data.get(section), list) else []
        entry = entries[index] if index < len(entries) else None
        section_lines = lines.get(section, [])
        where = entry_where(section, index, entry, name_key="audience", lines=section_lines)
        location = location[2:]
    field = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in location)
    field = field.lstrip(".") or section
    kind, message = first["type"], str(first["msg"]).removeprefix("Value error, ")
    # Operators write YAML lists and mappings, not Python tuples and dictionaries.
    message = message.replace("valid tuple", "list").replace("valid dictionary", "mapping")
    if kind == "extra_forbidden":
        model: type[BaseModel] = RoutingRule
        if "when" in location:
            model = Condition
        elif section == "acknowledge":
            model = AckRule
        problem = unknown_key(location[-1], model.model_fields)
    elif kind == "missing":
        problem = f"'{location[-1]}' is required."
    else:
        problem = f"{message[0].upper()}{message[1:]} (got {first['input']!r})."
    return ContactsError(path, where, field, problem)
