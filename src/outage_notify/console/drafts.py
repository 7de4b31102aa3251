"""The declare form's starting point: empty, or an incident template staff picked and edit.

Templates are read as `GET /api/v1/incident-templates` reads them (on each request, checked
against the components and locales in force); a misconfigured folder is shown as a sentence,
and the form stays usable without templates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from outage_notify.config.settings import Settings
from outage_notify.contacts.directory import Directory
from outage_notify.core.errors import IncidentTemplateError
from outage_notify.incidents.declare_templates import IncidentTemplate, load_incident_templates
from outage_notify.messages.catalogs import locales


@dataclass
class Draft:
    """What the declare form is filled with."""

    template: str = ""
    locale: str = ""
    title: str = ""
    public_title: str = ""
    severity: str = "major"
    components: list[str] = field(default_factory=list)
    message: str = ""
    cause_category: str = "unknown"
    # Local time for the `datetime-local` input, from the template's typical time to fix.
    eta: datetime | None = None


@dataclass
class Templates:
    names: list[str]
    locales: list[str]
    problem: str = ""


def templates_of(
    settings: Settings, directory: Directory
) -> tuple[dict[str, IncidentTemplate], Templates]:
    """The incident templates in force, and what the picker lists (or why it cannot)."""
    known = locales(settings.templates_dir)
    try:
        found = load_incident_templates(
            settings.incident_templates_dir, locales=known, components=directory.components.ids
        )
    except IncidentTemplateError as error:
        return {}, Templates([], list(known), f"Incident templates are misconfigured: {error}")
    return found, Templates(sorted(found), list(known))


def draft_from(
    templates: dict[str, IncidentTemplate], name: str, locale: str, *, now: datetime
) -> Draft:
    """The form filled from template `name` in `locale`; an empty form for no or an unknown
    name."""
    template = templates.get(name)
    if template is None:
        return Draft()
    texts = template.texts_for(locale)
    return Draft(
        template=template.name,
        locale=locale,
        title=texts.title,
        public_title=texts.public_title,
        severity=template.severity.value,
        components=list(template.components),
        message=texts.first_message,
        cause_category=template.cause_category.value,
        eta=now + timedelta(minutes=template.eta_hint_minutes)
        if template.eta_hint_minutes
        else None,
    )
