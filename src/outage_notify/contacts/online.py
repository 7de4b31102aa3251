"""`contacts check --online`: what the providers' answers become, whoever asks them.

Each provider asks in its own package (`integrations/slack/lookup.py`,
`integrations/twilio/lookup.py`; `integrations/lookups.py` runs them). A provider without
credentials is skipped with a note. Vendor exceptions stay in those modules: each becomes a
Finding, and an answer that proves nothing (timeout, 5xx, rate limit after retries) is a
warning, not an error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from outage_notify.contacts.check import Finding
from outage_notify.contacts.directory import Directory
from outage_notify.core.models import Contact

Advance = Callable[[], None]


@dataclass(frozen=True)
class OnlineResult:
    """What the providers said, and which providers were not asked (and why)."""

    findings: tuple[Finding, ...]
    skipped: tuple[str, ...]


def lookups_needed(directory: Directory, *, slack: bool, twilio: bool) -> int:
    """How many provider calls a check will make (for a progress bar)."""
    contacts = list(contacts_of(directory))
    calls = sum(bool(c.slack) for c in contacts) if slack else 0
    numbers = sum(len(numbers_of(directory, c)) for c in contacts) if twilio else 0
    return calls + numbers


def numbers_of(directory: Directory, contact: Contact) -> list[tuple[str, str]]:
    """A contact's phone numbers by field: `phone`, and its own `whatsapp` one if set."""
    numbers = [("phone", contact.phone)] if contact.phone else []
    whatsapp = directory.contact_whatsapp(contact.id)
    return [*numbers, ("whatsapp", whatsapp)] if whatsapp else numbers


def contacts_of(directory: Directory) -> Iterable[Contact]:
    """Every contact, audience by audience in name order (the order findings are listed)."""
    for name in sorted(directory.audiences):
        yield from directory.audiences[name].contacts


def finding_for(
    directory: Directory, contact: Contact, level: str, field: str, problem: str
) -> Finding:
    """A provider's word on one contact's `field`, located in its contacts file."""
    file, entry = directory.origins.get(contact.id, ("", contact.id))
    return Finding("error" if level == "error" else "warning", file, entry, field, problem)


def cannot_check(error: Exception) -> str:
    """Why an address could not be checked, when the provider did not answer."""
    return f"could not be checked: {type(error).__name__}: {error}"


def unreachable(provider: str, error: Exception) -> Finding:
    """The finding for a provider that could not be reached at all."""
    problem = f"{provider} could not be reached ({type(error).__name__}); nothing was checked."
    return Finding("warning", "settings", provider, "base_url", problem)
