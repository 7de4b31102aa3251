"""Field rules shared by contact and routing files: YAML reading, keys, addresses, one contact.

Every check raises ContactsError naming the file, the entry or row, and the field, so an
operator editing a file during an outage can fix it without reading code.
"""

from __future__ import annotations

import difflib
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import phonenumbers
import yaml

from outage_notify.contacts.quiet_hours import parse_quiet_hours
from outage_notify.contacts.zones import zone_for_phone, zone_problem
from outage_notify.core.errors import ContactsError
from outage_notify.core.models import ChannelName, Contact
from outage_notify.core.yaml_files import SafeLoader

# No locale list to check against (no templates folder at hand): any locale is taken. Loaders
# that have templates pass their locale folders (`Renderer.locales`), so a locale is whatever
# has templates, never a list fixed in code.
DEFAULT_LOCALES: frozenset[str] = frozenset()
CONTACT_KEYS = (
    "id", "name", "phone", "slack", "fallback", "email", "locale", "channels", "tags", "timezone",
    "quiet_hours", "whatsapp",
)  # fmt: skip
NEWLINE = b"\n"
# Only for the catch-up summary once mail works again; never a channel.
EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

PHONE_RE = re.compile(r"\+[1-9]\d{7,14}")
SLACK_USER_RE = re.compile(r"[UW][A-Z0-9]{2,}")
SLACK_CHANNEL_RE = re.compile(r"[CG][A-Z0-9]{2,}")
URL_RE = re.compile(r"([a-z][a-z0-9+.-]*)://\S+", re.IGNORECASE)
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
# Apprise schemes that deliver by email; none of them works while the mail service is down.
# fmt: off
EMAIL_SCHEMES = frozenset({
    "mailto", "mailtos", "email", "smtp", "smtps", "ses", "sendgrid", "mailgun", "sparkpost",
    "resend", "smtp2go", "sendpulse", "brevo", "postmark", "mailersend", "groundmail", "o365",
    "azure", "acs", "deltachat", "deltachats",
})
# fmt: on
# Built once: `channels` is read for every row of a 100,000-row CSV.
CHANNELS_BY_NAME = {channel.value: channel for channel in ChannelName}
USE_CHANNELS = "use sms, whatsapp, slack or fallback."
# The field(s) a channel's address comes from, as an error about a missing one names them.
ADDRESS_FIELDS = {
    ChannelName.SMS: "'phone'",
    ChannelName.SLACK: "'slack'",
    ChannelName.FALLBACK: "'fallback'",
    ChannelName.WHATSAPP: "'phone' or 'whatsapp'",
}
# Twilio writes a WhatsApp address `whatsapp:+E164`; the field takes the number with or without it.
WHATSAPP_PREFIX = "whatsapp:"
EMAIL_NEVER = "email is never a channel, because outage_notify speaks while email is down"
# Every process keeps every contact of the folder (100,000 and more), so a value many rows share
# is stored once. read_contact sets every field, so all contacts can share one fields-set; no
# code adds to it, as a frozen model refuses assignment and model_copy copies it first.
_ALL_CONTACT_FIELDS = set(Contact.model_fields)
# At most 15 orders exist (1 to 3 of the 3 channels), so this never grows beyond that.
_CHANNEL_ORDERS: dict[tuple[ChannelName, ...], tuple[ChannelName, ...]] = {}


def read_yaml(path: Path) -> tuple[object, dict[str, list[int]]]:
    """Parse one YAML file; return its data and the line of each item of top-level lists."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise not_utf8(path) from None
    loader = SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "file"
        context = error.context_mark
        # The parser notices late (often at the end); where the construct began helps more.
        started = f" ({error.context} that starts on line {context.line + 1})" if context else ""
        problem = f"YAML syntax error: {error.problem}{started}."
        raise ContactsError(path, where, "(syntax)", problem) from None
    finally:
        loader.dispose()
    _refuse_repeated_keys(node, path=path)
    lines: dict[str, list[int]] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(value_node, yaml.SequenceNode):
                lines[str(key_node.value)] = [item.start_mark.line + 1 for item in value_node.value]
    return data, lines


def not_utf8(path: Path) -> ContactsError:
    """The problem of a file that is not UTF-8, naming its first line that is not."""
    data = path.read_bytes()
    try:
        data.decode("utf-8-sig")
        where = "file"
    except UnicodeDecodeError as error:
        where = f"line {data.count(NEWLINE, 0, error.start) + 1}"
    problem = "the file is not UTF-8; save it as UTF-8 (a spreadsheet calls it 'CSV UTF-8')."
    return ContactsError(path, where, "(encoding)", problem)


def _refuse_repeated_keys(node: yaml.Node | None, *, path: Path) -> None:
    """Refuse a key given twice in one mapping, which YAML would resolve by keeping the last."""
    if isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _refuse_repeated_keys(item, path=path)
    elif isinstance(node, yaml.MappingNode):
        seen: set[object] = set()
        for key_node, value_node in node.value:
            if key_node.value in seen:
                where = f"line {key_node.start_mark.line + 1}"
                problem = f"'{key_node.value}' is given twice; only the last one would count."
                raise ContactsError(path, where, str(key_node.value), problem)
            seen.add(key_node.value)
            _refuse_repeated_keys(value_node, path=path)


def entry_where(section: str, index: int, entry: object, *, name_key: str, lines: list[int]) -> str:
    """How an operator finds one list entry, e.g. `contacts[3] (id=ana.souza, line 27)`."""
    named = isinstance(entry, dict) and entry.get(name_key)
    details = [f"{name_key}={entry[name_key]}"] if named and isinstance(entry, dict) else []
    details += [f"line {lines[index]}"] if index < len(lines) else []
    return f"{section}[{index}] ({', '.join(details)})" if details else f"{section}[{index}]"


def unknown_locale(locale: str, locales: frozenset[str]) -> str:
    """The sentence for a locale outside the known set, catching a wrong letter case."""
    same = [known for known in sorted(locales) if known.casefold() == locale.casefold()]
    hint = f"did you mean '{same[0]}'?" if same else f"use one of {', '.join(sorted(locales))}."
    return f"'{locale}' is not a known locale; {hint}"


def check_keys(
    raw: Mapping[str, object], allowed: Iterable[str], *, path: Path, where: str
) -> None:
    """Refuse keys outside `allowed`, suggesting the closest known key for a typo."""
    known = list(allowed)
    for key in raw:
        if key not in known:
            raise ContactsError(path, where, str(key), unknown_key(key, known))


def unknown_key(key: object, known: Iterable[str]) -> str:
    """The sentence for an unknown key, suggesting the closest known key for a typo."""
    names = list(known)
    close = difflib.get_close_matches(str(key), names, n=1)
    hint = f"did you mean '{close[0]}'?" if close else f"known keys: {', '.join(names)}."
    return f"unknown key '{key}'; {hint}"


def check_name(value: object, *, path: Path, where: str, field: str) -> str:
    """An id or audience name: letters, digits, '.', '_' and '-', so keys stay unambiguous."""
    if value is None or value == "":
        raise ContactsError(path, where, field, f"'{field}' is required.")
    text = str(value)
    if not NAME_RE.fullmatch(text):
        problem = (
            f"'{text}' must be letters, digits, '.', '_' or '-', starting with a letter or digit."
        )
        raise ContactsError(path, where, field, problem)
    return text


def check_fallback_url(value: object, *, path: Path, where: str, field: str) -> str:
    """An Apprise URL (`scheme://...`) whose scheme does not deliver by email."""
    text = str(value)
    match = URL_RE.fullmatch(text)
    if match is None:
        raise ContactsError(
            path, where, field, f"'{text}' is not an Apprise URL of the form scheme://target."
        )
    if match.group(1).lower() in EMAIL_SCHEMES:
        raise ContactsError(
            path, where, field, f"'{match.group(1)}://' sends email, and {EMAIL_NEVER}."
        )
    return text


def check_slack_channel(value: object, *, path: Path, where: str, field: str) -> str:
    """A Slack channel id (C... or G...), not a #name, since names change and ids do not."""
    text = str(value)
    if not SLACK_CHANNEL_RE.fullmatch(text):
        problem = (
            f"'{text}' is not a Slack channel id (C or G then upper-case letters and digits); "
            "copy the id from the channel details, not its #name."
        )
        raise ContactsError(path, where, field, problem)
    return text


@dataclass(frozen=True)
class ContactEntry:
    """One validated contact entry or row: the contact, and what its audience keeps for it.

    Zone, quiet hours and WhatsApp number live in the audience's maps (`Audience.zones` ...)
    rather than on Contact: an eleventh field would double every contact's `__dict__`.
    """

    contact: Contact
    zone: str | None = None
    quiet_hours: str | None = None
    whatsapp: str | None = None


def read_contact(
    raw: Mapping[str, object],
    *,
    audience: str,
    path: Path,
    where: str,
    locales: frozenset[str],
    region: str | None = None,
) -> ContactEntry:
    """Validate one contact entry or row (already split into lists and dicts).

    `region` (e.g. BR) only improves the advice for a number not written in E.164.
    """
    check_keys(raw, CONTACT_KEYS, path=path, where=where)
    contact_id = check_name(raw.get("id"), path=path, where=where, field="id")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ContactsError(path, where, "name", "'name' is required.")
    phone, slack, fallback, email = _addresses(raw, path=path, where=where, region=region)
    whatsapp = check_whatsapp(raw.get("whatsapp"), path=path, where=where, region=region)
    locale = _optional(raw.get("locale")) or "en"
    if locales and locale not in locales:
        raise ContactsError(path, where, "locale", unknown_locale(locale, locales))
    addresses = {
        ChannelName.SMS: phone,
        ChannelName.SLACK: slack,
        ChannelName.FALLBACK: fallback,
        ChannelName.WHATSAPP: whatsapp or phone,
    }
    channels = _channels(raw.get("channels"), addresses, path=path, where=where)
    channels = _CHANNEL_ORDERS.setdefault(channels, channels)
    tags = _shared_tags(tuple(_tags(raw.get("tags"), path=path, where=where).items()))
    # Every value is checked above; pydantic's validation would copy the shared tuple and tags
    # mapping again and build a fields-set for each contact.
    contact = Contact.model_construct(
        _ALL_CONTACT_FIELDS,
        id=contact_id, name=name.strip(), audience=sys.intern(audience), phone=phone,
        slack=slack, fallback=fallback, email=email, locale=sys.intern(locale),
        channels=channels, tags=tags,
    )  # fmt: skip
    quiet = check_quiet_hours(raw.get("quiet_hours"), path=path, where=where)
    return ContactEntry(
        contact,
        contact_zone(raw, contact, path=path, where=where),
        sys.intern(quiet) if quiet is not None else None,
        # Kept only when it differs: the phone already serves WhatsApp.
        whatsapp if whatsapp != phone else None,
    )


def _addresses(
    raw: Mapping[str, object], *, path: Path, where: str, region: str | None
) -> tuple[str | None, str | None, str | None, str | None]:
    """A contact's phone, Slack id, fallback URL and email, each checked."""
    phone = _phone(raw.get("phone"), path=path, where=where, region=region)
    slack = _optional(raw.get("slack"))
    if slack is not None and not SLACK_USER_RE.fullmatch(slack):
        problem = (
            f"'{slack}' is not a Slack user id (U or W then upper-case letters and digits); "
            "copy the member id from the profile, not the display name."
        )
        raise ContactsError(path, where, "slack", problem)
    fallback = _optional(raw.get("fallback"))
    if fallback is not None:
        check_fallback_url(fallback, path=path, where=where, field="fallback")
    email = _optional(raw.get("email"))
    if email is not None and not EMAIL_RE.fullmatch(email):
        raise ContactsError(path, where, "email", f"'{email}' is not an email address.")
    return phone, slack, fallback, email


def contact_zone(
    raw: Mapping[str, object], contact: Contact, *, path: Path, where: str
) -> str | None:
    """The zone a contact reads times in: its `timezone`, else the one zone of its phone
    number; None when neither says (the audience's or the organisation's zone applies)."""
    zone = check_timezone(raw.get("timezone"), path=path, where=where)
    zone = zone or zone_for_phone(contact.phone)
    # Interned: 100,000 contacts share a handful of zone names.
    return sys.intern(zone) if zone else None


def check_quiet_hours(value: object, *, path: Path, where: str) -> str | None:
    """A contact's `quiet_hours` as written (`22:00-07:00`), or None when not set."""
    if value is None or value == "":
        return None
    try:
        return str(parse_quiet_hours(value))
    except ValueError as error:
        raise ContactsError(path, where, "quiet_hours", f"{error}.") from None


def check_timezone(value: object, *, path: Path, where: str, field: str = "timezone") -> str | None:
    """An IANA zone name (`America/Sao_Paulo`), or None when not set."""
    if value is None or value == "":
        return None
    problem = zone_problem(value)
    if problem is not None:
        raise ContactsError(path, where, field, problem)
    return str(value)


def _optional(value: object) -> str | None:
    """A set value as text; None and empty cells mean not set."""
    return None if value is None or value == "" else str(value)


def check_whatsapp(value: object, *, path: Path, where: str, region: str | None) -> str | None:
    """A contact's `whatsapp` number in E.164 form (`whatsapp:+5511...` taken too), or None."""
    if isinstance(value, str) and value.strip().lower().startswith(WHATSAPP_PREFIX):
        value = value.strip()[len(WHATSAPP_PREFIX) :].strip()
        if not value:
            problem = "'whatsapp:' holds no number; write the number, e.g. +5511990000001."
            raise ContactsError(path, where, "whatsapp", problem)
    return _phone(value, path=path, where=where, region=region, field="whatsapp")


def _phone(
    value: object, *, path: Path, where: str, region: str | None, field: str = "phone"
) -> str | None:
    """A phone number in E.164 form, or None."""
    if isinstance(value, int) and not isinstance(value, bool):
        # YAML reads an unquoted +5511... as an integer and silently drops the '+'.
        raise ContactsError(
            path, where, field, f'{value} was read as a number; quote it, e.g. "+{value}".'
        )
    text = _optional(value)
    if text is not None and not PHONE_RE.fullmatch(text):
        problem = f"'{text}' is not E.164: '+' then 8 to 15 digits, no spaces (+5511990000001)."
        normalised = e164(text, region)
        if normalised is not None:
            problem += f" Write it as {normalised}."
        raise ContactsError(path, where, field, problem)
    return text


def e164(text: str, region: str | None) -> str | None:
    """The number in E.164 if `phonenumbers` finds it valid (national forms read in `region`)."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _channels(
    value: object,
    addresses: Mapping[ChannelName, str | None],
    *,
    path: Path,
    where: str,
) -> tuple[ChannelName, ...]:
    """The preference order; when not set, every channel the contact has an address for
    (WhatsApp only when listed: it needs approved templates and the person's consent)."""
    if value is None or value == "" or value == []:
        derived = tuple(
            channel
            for channel, address in addresses.items()
            if address and channel is not ChannelName.WHATSAPP
        )
        if not derived:
            problem = (
                "the contact has no phone, slack or fallback address, so nothing reaches them."
            )
            raise ContactsError(path, where, "channels", problem)
        return derived
    if not isinstance(value, list):
        raise ContactsError(
            path, where, "channels", "'channels' must be a list, e.g. [sms, slack]."
        )
    channels: list[ChannelName] = []
    for item in value:
        text = str(item).strip().lower()
        if text in {"email", "e-mail", "mail"}:
            problem = f"'{item}' is not allowed: {EMAIL_NEVER}; {USE_CHANNELS}"
            raise ContactsError(path, where, "channels", problem)
        channel = CHANNELS_BY_NAME.get(text)
        if channel is None:
            raise ContactsError(
                path, where, "channels", f"'{item}' is not a channel; {USE_CHANNELS}"
            )
        if channel in channels:
            raise ContactsError(path, where, "channels", f"'{text}' is listed twice.")
        if not addresses[channel]:
            missing = ADDRESS_FIELDS[channel]
            problem = f"'{text}' is listed but the contact has no {missing} address."
            raise ContactsError(path, where, "channels", problem)
        channels.append(channel)
    return tuple(channels)


def _tags(value: object, *, path: Path, where: str) -> dict[str, str]:
    """Tags as a flat mapping of text to text."""
    if value is None or value == "":
        return {}
    if not isinstance(value, dict):
        raise ContactsError(path, where, "tags", "'tags' must be a mapping, e.g. {site: rio}.")
    tags: dict[str, str] = {}
    for key, item in value.items():
        if isinstance(item, bool) or not isinstance(item, str | int) or not str(key):
            raise ContactsError(
                path, where, "tags", f"tag '{key}' must have a plain text value, not {item!r}."
            )
        tags[str(key)] = str(item)
    return tags


@lru_cache(maxsize=1024)
def _shared_tags(items: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """One mapping for all contacts with the same tags (and for all without any).

    Shared, so never to be changed in place: Contact is frozen and nothing writes to its tags.
    Bounded, so tags unique to each contact keep at most 1,024 spare mappings alive.
    """
    return dict(items)
