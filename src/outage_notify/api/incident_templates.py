"""Incident templates for staff (`incident_templates/`): what the console and the CLI offer to
declare from. Read from the folder on each request, so an edited file counts at once."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import HTTPException, Path, Query, Request, status
from pydantic import BaseModel, Field

from outage_notify.api.deps import Staff, directory_of, settings_of, staff_router
from outage_notify.core.errors import IncidentTemplateError
from outage_notify.core.models import CauseCategory, Severity
from outage_notify.incidents.declare_templates import IncidentTemplate, load_incident_templates
from outage_notify.messages.catalogs import locales

router = staff_router("/api/v1/incident-templates", "incident templates")


class TemplateTextsOut(BaseModel):
    title: str = Field(description="The internal title (timeline, staff messages).")
    public_title: str = Field(description="The status page's title; set it with PATCH.")
    first_message: str = Field(description="The staff text of the `opened` message.")


class IncidentTemplateOut(BaseModel):
    name: str
    severity: Severity
    components: list[str]
    cause_category: CauseCategory
    eta_hint_minutes: int | None = Field(description="A typical time to fix, to offer as ETA.")
    texts: dict[str, TemplateTextsOut] = Field(description="By locale.")
    locale: str = Field(description="The locale of `declare`.")
    declare: dict[str, Any] = Field(
        description="A body for POST /api/v1/incidents in `locale`; edit it before sending."
    )


def templates_of(request: Request) -> dict[str, IncidentTemplate]:
    """The templates, checked against the components and locales in force (503 naming the file
    and field when one does not validate: it is configuration, not the caller's input)."""
    settings = settings_of(request)
    try:
        return load_incident_templates(
            settings.incident_templates_dir,
            locales=locales(settings.templates_dir),
            components=directory_of(request).components.ids,
        )
    except IncidentTemplateError as error:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, f"incident templates are misconfigured: {error}"
        ) from None


def template_out(template: IncidentTemplate, locale: str) -> IncidentTemplateOut:
    return IncidentTemplateOut(
        name=template.name,
        severity=template.severity,
        components=list(template.components),
        cause_category=template.cause_category,
        eta_hint_minutes=template.eta_hint_minutes,
        texts={
            key: TemplateTextsOut(**texts.model_dump()) for key, texts in template.texts.items()
        },
        locale=locale,
        declare=template.declare_body(locale),
    )


Locale = Annotated[
    str | None,
    Query(max_length=35, description="Locale of `declare`; default: DEFAULT_LOCALE."),
]


@router.get("", response_model=list[IncidentTemplateOut])
def list_templates(
    request: Request, principal: Staff, locale: Locale = None
) -> list[IncidentTemplateOut]:
    """Every incident template, by name."""
    chosen = locale or settings_of(request).default_locale
    return [template_out(t, chosen) for t in templates_of(request).values()]


@router.get("/{name}", response_model=IncidentTemplateOut)
def get_template(
    request: Request,
    principal: Staff,
    name: Annotated[str, Path(max_length=64, description="The template's file name.")],
    locale: Locale = None,
) -> IncidentTemplateOut:
    """One incident template; 404 naming the known ones."""
    templates = templates_of(request)
    template = templates.get(name)
    if template is None:
        known = ", ".join(templates) or "none (the folder is empty or missing)"
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"no incident template {name!r}; known: {known}"
        )
    return template_out(template, locale or settings_of(request).default_locale)
