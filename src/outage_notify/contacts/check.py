"""`contacts check`: everything the loader validates, every problem at once, and deeper rules.

On top of `load_directory` (read here in collecting mode, so one run names every bad entry):
phone and whatsapp numbers must be valid for `phonenumbers` (E.164; national forms are read in
the default region to say what to write), fallback URLs must be accepted by Apprise itself, and
no phone number, WhatsApp number or Slack id may belong to two contacts. Warnings: a
stakeholder with a single channel (nothing to fall back to), an audience never selected by
routing, and a routing rule that reaches nobody. An acknowledgement rule for an audience no
file defines is an error (it would silently chase nobody), as is one for a `deliver: all`
audience (the loader refuses it).
Pure: reads files, never the network (`contacts_online` does that).
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import phonenumbers

from outage_notify.contacts.directory import Directory, collect_directory, routing_file
from outage_notify.contacts.fields import DEFAULT_LOCALES, EMAIL_NEVER, EMAIL_SCHEMES
from outage_notify.contacts.routing import SUBSCRIBERS, recipients
from outage_notify.core.models import Contact

Level = Literal["error", "warning"]
# Accepts a URL the way the fallback channel will: True when Apprise can build a notifier.
UrlCheck = Callable[[str], bool]


@dataclass(frozen=True)
class Finding:
    """One problem, located the way an operator finds it: file, entry or row, field."""

    level: Level
    file: str
    entry: str
    field: str
    problem: str


@dataclass(frozen=True)
class CheckReport:
    """What `contacts check` found in one folder."""

    findings: tuple[Finding, ...]
    directory: Directory | None

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "warning"]

    @property
    def ok(self) -> bool:
        """True when nothing stops the folder from being used."""
        return not self.errors


def apprise_accepts(url: str) -> bool:
    """Whether Apprise builds a notifier from this URL (no message is sent)."""
    import apprise

    return bool(apprise.Apprise().add(url))


def check_contacts(
    path: Path,
    *,
    locales: frozenset[str] = DEFAULT_LOCALES,
    region: str = "BR",
    accepts_url: UrlCheck = apprise_accepts,
) -> CheckReport:
    """Check one contacts folder; every problem found, not just the first."""
    directory, problems = collect_directory(path, locales=locales, region=region)
    findings = [Finding("error", Path(p.path).name, p.where, p.field, p.problem) for p in problems]
    if directory is not None:
        findings += _contact_findings(directory, region=region, accepts_url=accepts_url)
        findings += _broadcast_findings(directory, accepts_url=accepts_url)
        findings += _routing_findings(directory)
    return CheckReport(tuple(sorted(findings, key=_position)), directory)


def phone_problem(phone: str, *, region: str) -> str | None:
    """Why `phonenumbers` refuses a number, or None when it is a valid number."""
    try:
        number = phonenumbers.parse(phone, region)
    except phonenumbers.NumberParseException as error:
        why = {
            phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: "unknown country code",
            phonenumbers.NumberParseException.TOO_SHORT_NSN: "too short",
            phonenumbers.NumberParseException.TOO_LONG: "too long",
        }.get(error.error_type, "not a number")
        return f"'{phone}' cannot be read as a phone number ({why})."
    if not phonenumbers.is_possible_number(number):
        reason = phonenumbers.is_possible_number_with_reason(number)
        why = {
            phonenumbers.ValidationResult.TOO_SHORT: "too short",
            phonenumbers.ValidationResult.TOO_LONG: "too long",
            phonenumbers.ValidationResult.INVALID_COUNTRY_CODE: "unknown country code",
        }.get(reason, "wrong length")
        return f"'{phone}' is not a possible phone number ({why})."
    if not phonenumbers.is_valid_number(number):
        code = number.country_code or 0
        country = phonenumbers.region_code_for_country_code(code)
        return (
            f"'{phone}' is not a valid number in +{code} ({country}): "
            "no such range is allocated, so SMS to it will fail."
        )
    return None


def _contact_findings(
    directory: Directory, *, region: str, accepts_url: UrlCheck
) -> Iterable[Finding]:
    """Per-contact rules: valid numbers, accepted URLs, no shared addresses, a fallback channel."""
    owners: dict[tuple[str, str], list[Contact]] = defaultdict(list)
    for contact in _contacts(directory):
        file, entry = directory.origins.get(contact.id, ("", contact.id))
        if contact.phone:
            problem = phone_problem(contact.phone, region=region)
            if problem is not None:
                yield Finding("error", file, entry, "phone", problem)
            else:
                owners[("phone", _e164(contact.phone, region))].append(contact)
        whatsapp = directory.contact_whatsapp(contact.id)
        if whatsapp:
            problem = phone_problem(whatsapp, region=region)
            if problem is not None:
                yield Finding("error", file, entry, "whatsapp", problem)
            else:
                owners[("whatsapp", _e164(whatsapp, region))].append(contact)
        if contact.slack:
            owners[("slack", contact.slack)].append(contact)
        if contact.fallback and not accepts_url(contact.fallback):
            yield Finding("error", file, entry, "fallback", _refused_url(contact.fallback))
        if len(contact.channels) == 1:
            only = contact.channels[0].value
            yield Finding(
                "warning",
                file,
                entry,
                "channels",
                f"{contact.name} has only {only}: if it fails there is nothing to fall back to.",
            )
    for (field, address), contacts in owners.items():
        for later in contacts[1:]:
            first = contacts[0]
            file, entry = directory.origins.get(later.id, ("", later.id))
            where = " ".join(directory.origins.get(first.id, ("", first.id)))
            yield Finding(
                "error",
                file,
                entry,
                field,
                f"{address} is also {first.id}'s ({where}); one person would be told twice, "
                "or the wrong person told.",
            )


def _broadcast_findings(directory: Directory, *, accepts_url: UrlCheck) -> Iterable[Finding]:
    """Broadcast fallback URLs that Apprise would not send to."""
    for name, audience in sorted(directory.audiences.items()):
        for index, url in enumerate(audience.broadcast.fallback_urls):
            if not accepts_url(url):
                yield Finding(
                    "error",
                    f"audience {name}",
                    "broadcast",
                    f"fallback_urls[{index}]",
                    _refused_url(url),
                )


def _routing_findings(directory: Directory) -> Iterable[Finding]:
    """Routing rules that reach nobody, and audiences no rule selects."""
    path = routing_file(directory.source)
    file = path.name if path else "(default routing)"
    for index, rule in enumerate(directory.routing.rules):
        audience = directory.audience(rule.audience)
        entry = f"rules[{index}] (audience={rule.audience})"
        if audience is None and rule.audience == SUBSCRIBERS:
            # Filled from the database when an update is planned (self-subscription).
            continue
        if audience is None:
            yield Finding(
                "warning",
                file,
                entry,
                "audience",
                f"no contact file defines '{rule.audience}', so this rule reaches nobody.",
            )
            continue
        reached = recipients(audience, tag_filters=(rule.tags,))
        if next(reached, None) is None:
            narrowed = f" with tags {rule.tags}" if rule.tags else ""
            yield Finding(
                "warning",
                file,
                entry,
                "tags" if rule.tags else "audience",
                f"'{rule.audience}'{narrowed} has nobody reachable: no contact and no broadcast.",
            )
    selected = directory.routing.audiences
    for name in sorted(set(directory.audiences) - selected):
        yield Finding(
            "warning", file, f"audience {name}", "audience", "no routing rule ever selects it."
        )
    for index, ack in enumerate(directory.routing.acknowledge):
        if directory.audience(ack.audience) is None:
            # An error, not a warning: a misspelt name silently turns the chasing off.
            close = difflib.get_close_matches(ack.audience, sorted(directory.audiences), n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            yield Finding(
                "error",
                file,
                f"acknowledge[{index}] (audience={ack.audience})",
                "audience",
                f"no contact file defines '{ack.audience}', so nobody is asked to acknowledge "
                f"or chased.{hint}",
            )


def _contacts(directory: Directory) -> list[Contact]:
    """Every contact in the order the files were read, so "first" means first in the files."""
    order = {contact_id: index for index, contact_id in enumerate(directory.origins)}
    everyone = [c for audience in directory.audiences.values() for c in audience.contacts]
    return sorted(everyone, key=lambda contact: order.get(contact.id, len(order)))


def _position(finding: Finding) -> tuple[str, int]:
    """File, then entry or row number: the order an operator reads the files in."""
    number = re.search(r"\d+", finding.entry)
    return finding.file, int(number.group()) if number else -1


def _e164(phone: str, region: str) -> str:
    number = phonenumbers.parse(phone, region)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _refused_url(url: str) -> str:
    scheme = url.split("://", 1)[0]
    if scheme.lower() in EMAIL_SCHEMES:
        return f"'{scheme}://' sends email, and {EMAIL_NEVER}."
    # Never echo the whole URL: Apprise URLs often carry tokens.
    return f"Apprise does not accept this '{scheme}://' URL (unknown scheme or missing parts)."
