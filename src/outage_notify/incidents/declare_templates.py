"""Incident templates: ready-made declarations staff pick and edit (`incident_templates/`).

One YAML file per template, its stem the template's name. A template holds what a declaration
needs (severity, components, cause category) and, per locale, the texts: an internal title,
the status page's public title and the first message (the staff text of `opened`). Loading is
pure and strict: unknown keys, a missing locale, a component the catalogue does not list are
refused with an `IncidentTemplateError` naming the file and the field, so a typo is found by
`outage-notify doctor` rather than on the day.

    templates = load_incident_templates(settings.incident_templates_dir,
                                        locales={"en", "es"}, components={"inbound"})
    body = templates["webmail-down"].declare_body("en")   # for POST /api/v1/incidents
"""

from __future__ import annotations

import re
from collections.abc import Collection
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from outage_notify.core import field_limits as limits
from outage_notify.core.errors import IncidentTemplateError
from outage_notify.core.locales import locale_chain
from outage_notify.core.models import CauseCategory, Severity, has_lone_surrogate
from outage_notify.core.yaml_files import safe_load

# A template's name is its file stem, used in URLs and on the command line.
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
# The locale every template must have: the source language of the message templates.
SOURCE_LOCALE = "en"
# A template file larger than this is not a template (and would be slow to parse).
MAX_FILE_BYTES = 64 * 1024
# A week: an ETA hint further out is a typo, and the API refuses such ETAs anyway.
MAX_ETA_HINT_MINUTES = 7 * 24 * 60


class TemplateTexts(BaseModel):
    """The words of a template in one locale."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(min_length=1, max_length=limits.TITLE)
    public_title: str = Field(min_length=1, max_length=limits.TITLE)
    first_message: str = Field(min_length=1, max_length=limits.DESCRIPTION)

    @field_validator("title", "public_title", "first_message")
    @classmethod
    def _text(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be blank")
        if "\x00" in value or has_lone_surrogate(value):
            raise ValueError("contains a NUL character or a lone surrogate, which is not text")
        return value


class IncidentTemplate(BaseModel):
    """A ready-made declaration: what is broken, how badly, and its words per locale."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    severity: Severity
    components: tuple[str, ...] = Field(min_length=1, max_length=limits.COMPONENTS)
    cause_category: CauseCategory = CauseCategory.UNKNOWN
    eta_hint_minutes: int | None = Field(default=None, ge=1, le=MAX_ETA_HINT_MINUTES)
    texts: dict[str, TemplateTexts]

    @field_validator("components")
    @classmethod
    def _component_ids(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for component in value:
            if not component or len(component) > limits.COMPONENT:
                raise ValueError(f"component {component!r} is empty or too long")
        return value

    @field_validator("texts")
    @classmethod
    def _has_source_locale(cls, value: dict[str, TemplateTexts]) -> dict[str, TemplateTexts]:
        if SOURCE_LOCALE not in value:
            raise ValueError(f"needs the {SOURCE_LOCALE!r} texts (every locale falls back to them)")
        return value

    def texts_for(self, locale: str) -> TemplateTexts:
        """The texts of `locale`, else of its language (`pt` for `pt-BR`), else English."""
        # The bare language (`pt`) before its other variants, each in the file's order.
        known = sorted(self.texts, key=lambda key: "-" in key)
        return self.texts[locale_chain(known, locale, SOURCE_LOCALE)[0]]

    def declare_body(self, locale: str = SOURCE_LOCALE) -> dict[str, Any]:
        """The body of `POST /api/v1/incidents` declaring this template in `locale` (the
        public title is not part of a declaration: set it after with `PATCH`)."""
        texts = self.texts_for(locale)
        body: dict[str, Any] = {
            "title": texts.title,
            "summary": texts.first_message,
            "severity": self.severity.value,
            "components": list(self.components),
        }
        if self.cause_category is not CauseCategory.UNKNOWN:
            body["cause_category"] = self.cause_category.value
        return body


def load_incident_template(
    path: Path,
    *,
    locales: Collection[str] | None = None,
    components: Collection[str] | None = None,
) -> IncidentTemplate:
    """One template file; `locales` and `components`, when given, are what it must cover and
    may name (an empty `components`, no catalogue, allows any, as the API does; texts of a
    locale the service does not speak are kept, unused). Raises `IncidentTemplateError`
    naming the file and the field."""
    name = path.stem
    if not NAME.match(name):
        raise IncidentTemplateError(
            path, "", "the file name must be lower case letters, digits, '-' or '_' (≤ 64)"
        )
    data = _read_yaml(path)
    try:
        template = IncidentTemplate.model_validate({**data, "name": name})
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        raise IncidentTemplateError(path, field, first["msg"]) from None
    if locales is not None:
        missing = sorted(set(locales) - set(template.texts))
        if missing:
            raise IncidentTemplateError(
                path, "texts", f"missing the texts of locale(s) {', '.join(missing)}"
            )
    if components:
        unknown = [c for c in template.components if c not in components]
        if unknown:
            raise IncidentTemplateError(
                path,
                "components",
                f"unknown component(s) {', '.join(unknown)}; "
                f"known: {', '.join(sorted(components))}",
            )
    return template


def load_incident_templates(
    folder: Path,
    *,
    locales: Collection[str] | None = None,
    components: Collection[str] | None = None,
) -> dict[str, IncidentTemplate]:
    """Every `*.yaml` of `folder` by name, sorted; `{}` when the folder does not exist (the
    templates are optional). Raises `IncidentTemplateError` at the first bad file."""
    folder = Path(folder)
    if not folder.is_dir():
        return {}
    return {
        path.stem: load_incident_template(path, locales=locales, components=components)
        for path in sorted(folder.glob("*.yaml"))
    }


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise IncidentTemplateError(path, "", f"cannot be read: {error.strerror}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise IncidentTemplateError(path, "", f"is larger than {MAX_FILE_BYTES} bytes")
    try:
        data = safe_load(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise IncidentTemplateError(path, "", "is not UTF-8 text") from None
    except RecursionError:
        raise IncidentTemplateError(path, "", "is nested too deeply to be a template") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise IncidentTemplateError(path, "", f"is not valid YAML{where}") from None
    if not isinstance(data, dict):
        raise IncidentTemplateError(path, "", "must be a mapping (severity, components, texts)")
    if "name" in data:
        raise IncidentTemplateError(path, "name", "the name is the file's name; remove this key")
    return {str(key): value for key, value in data.items()}
