"""Load and validate a contacts folder: audiences from YAML and CSV files, plus its routing.

A folder holds `*.yaml`, `*.yml` and `*.csv` contact files, an optional `routing.yaml` and an
optional `components.yaml` (the components catalogue, `outage_notify.contacts.components`).
A YAML file is one audience (`audience`, `deliver`, `timezone`, `broadcast`, `contacts`); a CSV
file has
the header `audience,id,name,phone,slack,fallback,locale,channels,tags` (and optionally
`email`, `timezone`, `quiet_hours`, `whatsapp`; channels as
`sms|slack`, tags as `site=rio;department=finance`, an empty cell means not set) and may hold
several audiences. Files for the same audience merge. Entries are named `contacts[3]`
(counting from 0, as in the YAML list) and rows `row 17` (the header is row 1).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from outage_notify.contacts.components import (
    EMPTY,
    ComponentCatalogue,
    components_file,
    load_catalogue,
)
from outage_notify.contacts.csv_files import read_csv_contacts
from outage_notify.contacts.fields import (
    DEFAULT_LOCALES,
    ContactEntry,
    check_fallback_url,
    check_keys,
    check_name,
    check_slack_channel,
    check_timezone,
    entry_where,
    read_contact,
    read_yaml,
    unknown_locale,
)
from outage_notify.contacts.routing import (
    DEFAULT_ROUTING,
    SUBSCRIBERS,
    Routing,
    load_routing,
    recipients,
)
from outage_notify.core.errors import ContactsError
from outage_notify.core.models import Audience, Broadcast, Contact, Recipient

ROUTING_FILES = ("routing.yaml", "routing.yml")
# Files of a folder that hold no contacts.
SETTINGS_FILES = (*ROUTING_FILES, "components.yaml")
CONTACT_SUFFIXES = (".yaml", ".yml", ".csv")
AUDIENCE_KEYS = ("audience", "deliver", "timezone", "broadcast", "contacts")
BROADCAST_KEYS = ("slack_channels", "fallback_urls", "locale")


@dataclass(frozen=True)
class Directory:
    """Every audience of one contacts folder, with the routing that selects them."""

    audiences: dict[str, Audience]
    routing: Routing
    source: Path
    # models.Broadcast has no locale, so the locale of each audience's broadcasts lives here.
    broadcast_locales: dict[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    # Contact id -> (file name, entry or row), so later checks can point at the line to fix.
    origins: dict[str, tuple[str, str]] = field(default_factory=dict)
    # The known components and their public names (`components.yaml`; empty without one).
    components: ComponentCatalogue = EMPTY

    def audience(self, name: str) -> Audience | None:
        """The audience with this name, if the folder defines it."""
        return self.audiences.get(name)

    @property
    def contact_count(self) -> int:
        """How many contacts all audiences hold together."""
        return sum(len(audience.contacts) for audience in self.audiences.values())

    def contact_zone(self, contact_id: str) -> str:
        """The zone a contact reads times in, as its audience gives it; "" the organisation's."""
        for audience in self.audiences.values():
            zone = audience.zones.get(contact_id)
            if zone is not None:
                return zone
            if audience.timezone and any(c.id == contact_id for c in audience.contacts):
                return audience.timezone
        return ""

    def contact_quiet_hours(self, contact_id: str) -> str:
        """A contact's `quiet_hours` (`22:00-07:00`, in their zone); "" when they have none."""
        return self._kept(contact_id, lambda audience: audience.quiet_hours)

    def contact_whatsapp(self, contact_id: str) -> str:
        """A contact's own `whatsapp` number; "" when WhatsApp uses their phone (or no one)."""
        return self._kept(contact_id, lambda audience: audience.whatsapp)

    def _kept(self, contact_id: str, kept: Callable[[Audience], dict[str, str]]) -> str:
        """What an audience keeps for a contact (`Audience.quiet_hours`, ...); "" if nothing."""
        for audience in self.audiences.values():
            value = kept(audience).get(contact_id)
            if value is not None:
                return value
        return ""

    def broadcast_locale(self, name: str) -> str:
        """The locale an audience's broadcasts are written in."""
        return self.broadcast_locales.get(name, "en")

    def recipients(
        self, selection: Mapping[str, tuple[dict[str, str], ...]]
    ) -> Iterator[Recipient]:
        """The recipients of a `select_audiences` result; unknown audiences yield nobody."""
        for name, tag_filters in selection.items():
            audience = self.audiences.get(name)
            if audience is not None:
                locale = self.broadcast_locale(name)
                yield from recipients(audience, tag_filters=tag_filters, broadcast_locale=locale)


@dataclass
class _AudienceParts:
    """One audience as it is gathered from several files."""

    files: list[str] = field(default_factory=list)
    deliver: tuple[str, str] | None = None
    timezone: tuple[str, str] | None = None
    locale: tuple[str, str] | None = None
    slack_channels: list[str] = field(default_factory=list)
    fallback_urls: list[str] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    zones: dict[str, str] = field(default_factory=dict)
    quiet_hours: dict[str, str] = field(default_factory=dict)
    whatsapp: dict[str, str] = field(default_factory=dict)


@dataclass
class _Loader:
    """The audiences and contact ids seen so far while reading one folder."""

    locales: frozenset[str]
    region: str | None = None
    # None: the first problem is raised; a list: every problem is kept and loading goes on.
    problems: list[ContactsError] | None = None
    on_contact: Callable[[Contact], None] | None = None
    parts: dict[str, _AudienceParts] = field(default_factory=dict)
    # Also how a repeated id is found: a second map of every id would only grow the heap.
    origins: dict[str, tuple[str, str]] = field(default_factory=dict)

    def add(self, entry: ContactEntry, *, path: Path, where: str) -> None:
        """Keep one contact (and what its audience keeps for it), refusing an id some other
        entry uses."""
        contact = entry.contact
        first = self.origins.get(contact.id)
        if first is not None:
            problem = f"id '{contact.id}' is already used by {' '.join(first)}; ids are unique."
            raise ContactsError(path, where, "id", problem)
        self.origins[contact.id] = (path.name, where)
        part = self.part(contact.audience, path)
        part.contacts.append(contact)
        if entry.zone is not None:
            part.zones[contact.id] = entry.zone
        if entry.quiet_hours is not None:
            part.quiet_hours[contact.id] = entry.quiet_hours
        if entry.whatsapp is not None:
            part.whatsapp[contact.id] = entry.whatsapp
        if self.on_contact is not None:
            self.on_contact(contact)

    @contextmanager
    def entry(self) -> Iterator[None]:
        """Raise a problem at once or, when collecting, keep it and go on with the next entry."""
        try:
            yield
        except ContactsError as problem:
            if self.problems is None:
                raise
            self.problems.append(problem)

    def part(self, audience: str, path: Path) -> _AudienceParts:
        """The gathered audience, noting that this file contributes to it."""
        part = self.parts.setdefault(audience, _AudienceParts())
        if path.name not in part.files:
            part.files.append(path.name)
        return part


def contact_files(path: Path) -> list[Path]:
    """The contact files of a folder, in the order they are read (routing and catalogue aside)."""
    return sorted(
        file
        for file in path.iterdir()
        if file.is_file()
        and file.suffix in CONTACT_SUFFIXES
        and file.name not in SETTINGS_FILES
        and not file.name.startswith(".")
    )


def routing_file(path: Path) -> Path | None:
    """The folder's routing file, if it has one."""
    return next((path / n for n in ROUTING_FILES if (path / n).is_file()), None)


def load_directory(
    path: Path,
    *,
    locales: frozenset[str] = DEFAULT_LOCALES,
    region: str | None = None,
    on_contact: Callable[[Contact], None] | None = None,
) -> Directory:
    """Load every contact file and the routing of one folder, validating all of it."""
    return _read_directory(path, _Loader(locales, region, on_contact=on_contact))


def collect_directory(
    path: Path,
    *,
    locales: frozenset[str] = DEFAULT_LOCALES,
    region: str | None = None,
    on_contact: Callable[[Contact], None] | None = None,
) -> tuple[Directory | None, list[ContactsError]]:
    """Like `load_directory`, but every problem of every entry, not only the first.

    The directory holds the entries that did validate; it is None when the folder itself is
    unusable (missing, or without contact files).
    """
    problems: list[ContactsError] = []
    loader = _Loader(locales, region, problems, on_contact)
    try:
        return _read_directory(path, loader), problems
    except ContactsError as problem:
        return None, [*problems, problem]


def _read_directory(path: Path, loader: _Loader) -> Directory:
    """Read a folder with `loader`, which decides whether a bad entry stops the reading."""
    if not path.is_dir():
        raise ContactsError(path, "folder", "path", "the contacts folder does not exist.")
    files = contact_files(path)
    if not files:
        raise ContactsError(path, "folder", "path", "the folder holds no *.yaml or *.csv files.")
    for file in files:
        with loader.entry():
            if file.suffix == ".csv":
                problems = loader.problems
                rows = read_csv_contacts(
                    file, locales=loader.locales, region=loader.region, problems=problems
                )
                for entry, where in rows:
                    with loader.entry():
                        loader.add(entry, path=file, where=where)
            else:
                _load_yaml(file, loader)
    routing_path = routing_file(path)
    routing = DEFAULT_ROUTING
    if routing_path is not None:
        with loader.entry():
            routing = load_routing(routing_path)
    audiences = {
        name: Audience(
            name=name,
            deliver="all" if part.deliver and part.deliver[0] == "all" else "first",
            broadcast=Broadcast(
                slack_channels=tuple(part.slack_channels), fallback_urls=tuple(part.fallback_urls)
            ),
            contacts=part.contacts,
            timezone=part.timezone[0] if part.timezone else None,
            zones=part.zones,
            quiet_hours=part.quiet_hours,
            whatsapp=part.whatsapp,
        )
        for name, part in loader.parts.items()
    }
    if routing_path is not None:
        for problem in _ack_problems(routing, routing_path, loader.parts):
            with loader.entry():
                raise problem
    components = EMPTY
    catalogue_path = components_file(path)
    if catalogue_path is not None:
        with loader.entry():
            components = load_catalogue(catalogue_path)
    locales_by_audience = {name: p.locale[0] for name, p in loader.parts.items() if p.locale}
    routing_name = routing_path.name if routing_path else "default routing"
    warnings = _warnings(audiences, routing, routing_name, loader.parts)
    return Directory(
        audiences,
        routing,
        path,
        locales_by_audience,
        tuple(warnings),
        dict(loader.origins),
        components,
    )


def _ack_problems(
    routing: Routing, path: Path, parts: Mapping[str, _AudienceParts]
) -> Iterator[ContactsError]:
    """Acknowledgement rules on `deliver: all` audiences, which cannot be chased.

    Such a contact is one recipient per channel, all sent at once: there is no next channel to
    re-notify on, and an OK by SMS would leave the Slack message owing an answer.
    """
    for index, ack in enumerate(routing.acknowledge):
        part = parts.get(ack.audience)
        if part is None or part.deliver is None or part.deliver[0] != "all":
            continue
        yield ContactsError(
            path,
            f"acknowledge[{index}] (audience={ack.audience})",
            "audience",
            f"'{ack.audience}' has 'deliver: all' ({part.deliver[1]}): every channel is already"
            " used at once, so there is no next channel to re-notify on and an answer on one"
            " channel would leave the others unanswered; acknowledgement needs 'deliver: first'.",
        )


def _load_yaml(path: Path, loader: _Loader) -> None:
    """Read one YAML audience file into the loader."""
    data, lines = read_yaml(path)
    if not isinstance(data, dict):
        raise ContactsError(path, "top level", "audience", "the file must be a mapping.")
    check_keys(data, AUDIENCE_KEYS, path=path, where="top level")
    audience = check_name(data.get("audience"), path=path, where="top level", field="audience")
    part = loader.part(audience, path)
    if data.get("deliver") is not None:
        if data["deliver"] not in ("first", "all"):
            problem = f"'{data['deliver']}' is not a deliver mode; use first or all."
            raise ContactsError(path, "top level", "deliver", problem)
        part.deliver = _agree(part.deliver, str(data["deliver"]), path=path, field="deliver")
    timezone = check_timezone(data.get("timezone"), path=path, where="top level")
    if timezone is not None:
        part.timezone = _agree(part.timezone, timezone, path=path, field="timezone")
    _load_broadcast(data.get("broadcast"), path=path, part=part, locales=loader.locales)
    entries = data.get("contacts") or []
    if not isinstance(entries, list):
        raise ContactsError(path, "top level", "contacts", "'contacts' must be a list.")
    entry_lines = lines.get("contacts", [])
    for index, entry in enumerate(entries):
        where = entry_where("contacts", index, entry, name_key="id", lines=entry_lines)
        with loader.entry():
            if not isinstance(entry, dict):
                raise ContactsError(path, where, "id", "each contact must be a mapping of fields.")
            read = read_contact(
                entry,
                audience=audience,
                path=path,
                where=where,
                locales=loader.locales,
                region=loader.region,
            )
            loader.add(read, path=path, where=where)


def _load_broadcast(
    value: object, *, path: Path, part: _AudienceParts, locales: frozenset[str]
) -> None:
    """Add one file's broadcast targets to an audience, without repeating any."""
    if value is None:
        return
    if not isinstance(value, dict):
        raise ContactsError(path, "broadcast", "broadcast", "'broadcast' must be a mapping.")
    check_keys(value, BROADCAST_KEYS, path=path, where="broadcast")
    for key, check, targets in (
        ("slack_channels", check_slack_channel, part.slack_channels),
        ("fallback_urls", check_fallback_url, part.fallback_urls),
    ):
        items = value.get(key) or []
        if not isinstance(items, list):
            raise ContactsError(path, "broadcast", key, f"'{key}' must be a list.")
        for index, item in enumerate(items):
            target = check(item, path=path, where="broadcast", field=f"{key}[{index}]")
            if target not in targets:
                targets.append(target)
    if value.get("locale") is not None:
        locale = str(value["locale"])
        if locales and locale not in locales:
            raise ContactsError(path, "broadcast", "locale", unknown_locale(locale, locales))
        part.locale = _agree(part.locale, locale, path=path, field="broadcast.locale")


def _agree(
    earlier: tuple[str, str] | None, value: str, *, path: Path, field: str
) -> tuple[str, str]:
    """A setting two files of one audience may both give, as long as they agree."""
    if earlier is not None and earlier[0] != value:
        problem = f"'{value}' disagrees with '{earlier[0]}' in {earlier[1]} for the same audience."
        raise ContactsError(path, "top level", field, problem)
    return earlier or (value, path.name)


def _warnings(
    audiences: dict[str, Audience],
    routing: Routing,
    routing_name: str,
    parts: dict[str, _AudienceParts],
) -> list[str]:
    """Problems worth telling an operator that do not stop the service."""
    warnings: list[str] = []
    for index, rule in enumerate(routing.rules):
        audience = audiences.get(rule.audience)
        if audience is None and rule.audience == SUBSCRIBERS:
            # Filled from the database when a plan is made, never from a contact file.
            continue
        if audience is None:
            warnings.append(
                f"{routing_name}: rules[{index}] names audience '{rule.audience}', "
                "which no contact file defines, so that rule tells nobody."
            )
        elif rule.tags and not any(rule.tags.items() <= c.tags.items() for c in audience.contacts):
            warnings.append(
                f"{routing_name}: rules[{index}] narrows '{rule.audience}' to tags {rule.tags}, "
                "which no contact has."
            )
    for index, ack in enumerate(routing.acknowledge):
        if ack.audience not in audiences:
            warnings.append(
                f"{routing_name}: acknowledge[{index}] names audience '{ack.audience}', "
                "which no contact file defines, so nobody is asked to acknowledge."
            )
    for name, audience in audiences.items():
        files = ", ".join(parts[name].files)
        if name not in routing.audiences:
            warnings.append(f"audience '{name}' ({files}) is never selected by {routing_name}.")
        if not audience.contacts and not (
            audience.broadcast.slack_channels or audience.broadcast.fallback_urls
        ):
            warnings.append(f"audience '{name}' ({files}) has no contacts and no broadcasts.")
    return warnings
