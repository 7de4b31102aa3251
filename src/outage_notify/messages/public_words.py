"""The public words for services and components: `{templates}/{locale}/public.yaml`.

The status page, /status.json and the feed never show alert text (summaries and labels carry
host names, addresses and runbook links); they title an incident with staff's `public_title`
or with these words. Messages use `name` for a component label the catalogue does not list
(`contacts/components.yaml`, which names the known ones), so a reader sees "email" where the
alert said `db-primary-10.0.0.7`.

Data, not code, so operators word it as they word their templates. A locale without the file
uses `en`'s; without any file, the status page's own generic words (`status_words`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from jinja2 import pass_context
from jinja2.runtime import Context
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from outage_notify.contacts.components import ComponentCatalogue
from outage_notify.core.errors import ConfigError
from outage_notify.core.locales import locale_chain
from outage_notify.core.yaml_files import safe_load
from outage_notify.messages.catalogs import N_, Words

FILE = "public.yaml"
FALLBACK_LOCALE = "en"
# Component names a `component` filter remembers before it starts again.
NAMED_AT_MOST = 4096

# The shipped templates folder, relative to the working directory like Settings' default;
# the API passes settings.templates_dir.
TEMPLATES = Path("templates")

# The status page's and feed's phrases (`status.translations` words the rest): the English
# msgids; each locale's words are in its catalog (`outage_notify.messages.catalogs`).
PHRASES: dict[str, str] = {
    "page_title": N_("%(organisation)s email status"),
    "ok": N_("Email is working"),
    "ok_detail": N_("No known problems with email."),
    "down": N_("Email is not working properly"),
    "verifying": N_("Email should work again: we are checking the fix"),
    "phase": N_("Status"),
    "since": N_("Since"),
    "all_email": N_("email"),
    "latest": N_("Latest update"),
    "history": N_("Updates"),
    "eta": N_("Expected to work again by %(time)s."),
    "eta_passed": N_("We expected a fix by %(time)s; it is taking longer."),
    "next": N_("No fix time yet; next update by %(time)s."),
    "next_soon": N_("Next update by %(time)s."),
    "no_time": N_("No fix time yet; we will post an update as soon as we know more."),
    "reach": N_("How to reach IT meanwhile"),
    "past": N_("Past incidents"),
    "no_past": N_("No incidents recently."),
    "lasted": N_("lasted %(duration)s"),
    "resolved_at": N_("resolved %(time)s"),
    "footer": N_(
        "Times are %(timezone)s time (%(offset)s). This page refreshes every minute; "
        "updated %(time)s."
    ),
    "feed": N_("Follow updates (Atom feed)"),
    "subscribe": N_("Get a text message when email is down"),
    "feed_title": N_("%(organisation)s: email status updates"),
    "maintenance": N_("Planned maintenance"),
    "maintenance_upcoming": N_("Planned: %(start)s to %(end)s."),
    "maintenance_active": N_("In progress; expected to end by %(end)s."),
    "maintenance_completed": N_("Completed %(time)s."),
}


def phrase(locale: str, key: str, *, templates_dir: Path = TEMPLATES, **values: str) -> str:
    """One phrase of the page in `locale` (English where its catalog has none)."""
    return Words.of(templates_dir, locale)(PHRASES[key], **values)


# When no public.yaml gives the security words: still nothing that names a cause or component.
SECURITY_TITLE = "Email is unavailable while we investigate"


class PublicEntry(BaseModel):
    """How the public sees one service or component."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(default="", max_length=100)
    title: str = Field(default="", max_length=300)
    description: str = Field(default="", max_length=1000)


class LocaleWords(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    default: PublicEntry = PublicEntry()
    # An incident in security mode: neutral words, no cause, no component.
    security: PublicEntry = PublicEntry()
    services: dict[str, PublicEntry] = Field(default_factory=dict)
    components: dict[str, PublicEntry] = Field(default_factory=dict)


@dataclass(frozen=True)
class PublicText:
    """An incident as the public sees it."""

    title: str
    description: str


@dataclass(frozen=True)
class PublicWords:
    """Every locale's public words; build once with `load` and share."""

    by_locale: Mapping[str, LocaleWords]
    # Where the catalogs are, for the words no public.yaml gives (`status_words`).
    templates_dir: Path = TEMPLATES
    # `_chain` by locale: every component named in every message looks its words up.
    _chains: dict[str, list[LocaleWords]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @classmethod
    def load(cls, templates_dir: Path) -> PublicWords:
        """Read every `{locale}/public.yaml` under `templates_dir`; ConfigError if one is bad."""
        found: dict[str, LocaleWords] = {}
        for path in sorted(Path(templates_dir).glob(f"*/{FILE}")):
            try:
                data = safe_load(path.read_text(encoding="utf-8")) or {}
                found[path.parent.name] = LocaleWords.model_validate(data)
            except (OSError, yaml.YAMLError, ValidationError) as error:
                raise ConfigError(f"{path}: {error}") from error
        return cls(found, Path(templates_dir))

    def _chain(self, locale: str) -> list[LocaleWords]:
        """The files serving `locale`, best first: exact, same language, then `en`."""
        if locale not in self._chains:
            order = locale_chain(self.by_locale, locale, FALLBACK_LOCALE)
            self._chains[locale] = [self.by_locale[k] for k in order if k in self.by_locale]
        return self._chains[locale]

    def _entry(self, locale: str, kind: str, key: str, field: str) -> str:
        for words in self._chain(locale):
            entry = (words.services if kind == "service" else words.components).get(key)
            if entry is not None and getattr(entry, field):
                return str(getattr(entry, field))
        return ""

    def _default(self, locale: str, field: str) -> str:
        for words in self._chain(locale):
            if getattr(words.default, field):
                return str(getattr(words.default, field))
        return ""

    def security(self, *, locale: str) -> PublicText:
        """The neutral title and description of an incident in security mode."""
        for words in self._chain(locale):
            if words.security.title:
                return PublicText(words.security.title, words.security.description)
        return PublicText(SECURITY_TITLE, "")

    def service_name(self, service: str, *, locale: str) -> str:
        """'email': how an unknown component of `service` is named; never the raw label."""
        return (
            self._entry(locale, "service", service, "name")
            or self._default(locale, "name")
            or phrase(locale, "all_email", templates_dir=self.templates_dir)
        )

    def incident(self, service: str, components: Iterable[str], *, locale: str) -> PublicText:
        """The public title and description of an incident of `service` on `components`."""
        parts = list(dict.fromkeys(components))
        # One component, and a known one: its words say more than the service's. With an
        # unknown one beside it, the component's title would understate what is broken.
        if len(parts) == 1 and self._entry(locale, "component", parts[0], "title"):
            return PublicText(
                self._entry(locale, "component", parts[0], "title"),
                self._entry(locale, "component", parts[0], "description"),
            )
        title = self._entry(locale, "service", service, "title")
        if title:
            return PublicText(title, self._entry(locale, "service", service, "description"))
        return PublicText(
            self._default(locale, "title")
            or phrase(locale, "down", templates_dir=self.templates_dir),
            self._default(locale, "description"),
        )

    def component(
        self, component: str, *, service: str, locale: str, catalogue: ComponentCatalogue
    ) -> str:
        """A component's public name (the catalogue's); an unknown label is named as its
        service."""
        name = catalogue.name(component, locale=locale)
        return name if name is not None else self.service_name(service, locale=locale)

    def component_filter(self, locale: str, catalogue: ComponentCatalogue) -> Callable[..., str]:
        """The templates' `component` filter for `locale`: an unknown label is named as the
        service of the incident being rendered, as the status page names it."""

        # Names already given, per service: a message names each component several times (the
        # scope, what was added and restored) and the template check renders ~4,600 messages.
        # Bounded: component labels come from alerts.
        named: dict[tuple[str, str], str] = {}

        @pass_context
        def component(context: Context, name: str) -> str:
            service = str(getattr(context.get("incident"), "service", "email"))
            if not isinstance(name, str):
                return self.component(name, service=service, locale=locale, catalogue=catalogue)
            found = named.get((service, name))
            if found is None:
                if len(named) >= NAMED_AT_MOST:
                    named.clear()
                found = self.component(name, service=service, locale=locale, catalogue=catalogue)
                named[(service, name)] = found
            return found

        return component
