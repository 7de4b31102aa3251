"""WhatsApp Content Templates: which approved template carries which update kind and locale.

Outside the 24-hour customer-service window (the contact has not written to us over WhatsApp
in the last 24 hours) WhatsApp takes only a Meta-approved template: Twilio refuses a free-form
`Body` there with error 63016, and since April 2025 a template's text sent in `Body` too. So
each update kind x locale names the Content Template (`ContentSid`, `HX` + 32 hex digits) the
operator created and had approved, in `templates/whatsapp/content.yaml`:

    variables:            # what each {{n}} carries; the same for every template
      "1": body
    text:                 # the template body to submit for approval, per locale
      en: "Service notice: {{1}} (automatic message from the IT status service)"
    templates:
      opened:
        en: HX...

`variables` maps a placeholder key (digits) to a source: `organisation` (OUTAGE_NOTIFY_
ORGANISATION_NAME), `body` (the message as our templates rendered it for WhatsApp) or `title`.
The file is outside input: every problem is a `ContentError` naming the file and the field.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from outage_notify.core.errors import ConfigError
from outage_notify.core.yaml_files import safe_load

CONTENT_FILE = Path("whatsapp") / "content.yaml"
CONTENT_SID = re.compile(r"^HX[0-9a-fA-F]{32}$")
# Twilio: a variable key has at most 16 characters and a template at most 100 variables.
VARIABLE_KEY = re.compile(r"^[1-9][0-9]{0,15}$")
MAX_VARIABLES = 100
# Twilio: a variable's value may be up to 1,600 characters.
MAX_VALUE_CHARS = 1_600
SOURCES = ("organisation", "body", "title")
DEFAULT_VARIABLES: Mapping[str, str] = {"1": "organisation", "2": "body"}
KEYS = ("variables", "text", "templates")


class ContentError(ConfigError):
    """content.yaml is wrong: which file, which field, and why."""

    def __init__(self, path: Path, where: str, problem: str) -> None:
        super().__init__(f"{path}: {where}: {problem}")
        self.path, self.where, self.problem = path, where, problem


@dataclass(frozen=True)
class ContentTemplates:
    """The parsed content.yaml."""

    path: Path
    # Placeholder key -> source, in key order.
    variables: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_VARIABLES))
    # Locale -> the template body submitted for approval.
    text: Mapping[str, str] = field(default_factory=dict)
    # (kind, locale) -> ContentSid.
    sids: Mapping[tuple[str, str], str] = field(default_factory=dict)

    def sid(self, kind: str, locale: str) -> str | None:
        """The Content Template for one kind and locale, if configured."""
        return self.sids.get((kind, locale))

    def content_variables(self, *, organisation: str, body: str, title: str = "") -> str:
        """Twilio's `ContentVariables`: a JSON object of each placeholder's value."""
        values = {"organisation": organisation, "body": body, "title": title}
        return json.dumps(
            {key: _value(values[source]) for key, source in self.variables.items()},
            ensure_ascii=False,
            separators=(",", ":"),
        )

    def missing(self, kinds: list[str], locales: list[str]) -> list[tuple[str, str]]:
        """The (kind, locale) pairs without a Content Template."""
        return [(k, loc) for k in kinds for loc in locales if (k, loc) not in self.sids]


# A line that ends in one of these reads on into the next after a space; any other ending
# ("Slack #it-help", a URL) is followed by " · ", or the next line would seem to continue it.
_SENTENCE_ENDS = tuple(".!?:;…")


def _value(text: str) -> str:
    # WhatsApp refuses a variable with newlines, tabs or more than four spaces in a row
    # (error 63021 "invalid parameter"), and Twilio a value over 1,600 characters.
    lines = [" ".join(line.split()) for line in text.splitlines()]
    flat = ""
    for line in filter(None, lines):
        if flat:
            flat += " " if flat.endswith(_SENTENCE_ENDS) else " · "
        flat += line
    return (flat or "-")[:MAX_VALUE_CHARS]


def content_path(templates_dir: Path) -> Path:
    return templates_dir / CONTENT_FILE


def load_content(templates_dir: Path) -> ContentTemplates:
    """Read `templates/whatsapp/content.yaml`; a missing file is no templates at all."""
    path = content_path(templates_dir)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ContentTemplates(path)
    except (OSError, UnicodeDecodeError) as error:
        raise ContentError(path, "file", f"cannot be read ({error})") from error
    return parse_content(text, path)


def parse_content(text: str, path: Path) -> ContentTemplates:
    """Parse content.yaml's text; `ContentError` names the field that is wrong."""
    try:
        raw = safe_load(text)
    except yaml.YAMLError as error:
        raise ContentError(path, "file", f"is not valid YAML ({error})") from error
    if raw is None:
        return ContentTemplates(path)
    if not isinstance(raw, dict):
        raise ContentError(path, "file", "must be a mapping with variables, text and templates.")
    for key in raw:
        if key not in KEYS:
            raise ContentError(path, str(key), f"unknown key; use {', '.join(KEYS)}.")
    variables = _variables(raw.get("variables"), path)
    texts = _texts(raw.get("text"), variables, path)
    return ContentTemplates(path, variables, texts, _sids(raw.get("templates"), path))


def _variables(value: object, path: Path) -> dict[str, str]:
    if value is None:
        return dict(DEFAULT_VARIABLES)
    if not isinstance(value, dict) or not value:
        raise ContentError(path, "variables", 'must map placeholder keys to sources: "1": body.')
    if len(value) > MAX_VARIABLES:
        raise ContentError(path, "variables", f"at most {MAX_VARIABLES} (Twilio's limit).")
    found: dict[str, str] = {}
    for key, source in value.items():
        name = str(key)
        if not VARIABLE_KEY.fullmatch(name):
            problem = f"{name!r} is not a placeholder key (1 to 16 digits, not starting with 0)."
            raise ContentError(path, f"variables.{name}", problem)
        if source not in SOURCES:
            problem = f"{source!r} is not a source; use {', '.join(SOURCES)}."
            raise ContentError(path, f"variables.{name}", problem)
        found[name] = str(source)
    if "body" not in found.values():
        raise ContentError(path, "variables", "no placeholder carries the body.")
    return dict(sorted(found.items(), key=lambda item: int(item[0])))


def _texts(value: object, variables: Mapping[str, str], path: Path) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ContentError(path, "text", "must map locales to the template body to submit.")
    texts: dict[str, str] = {}
    for locale, body in value.items():
        where = f"text.{locale}"
        if not isinstance(body, str) or not body.strip():
            raise ContentError(path, where, "must be the template body, as text.")
        for key in variables:
            if "{{" + key + "}}" not in body:
                raise ContentError(path, where, f"does not use the placeholder {{{{{key}}}}}.")
        texts[str(locale)] = body
    return texts


def _sids(value: object, path: Path) -> dict[tuple[str, str], str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ContentError(path, "templates", "must map update kinds to locales to ContentSids.")
    sids: dict[tuple[str, str], str] = {}
    for kind, locales in value.items():
        if not isinstance(locales, dict):
            problem = "must map locales to ContentSids (HX and 32 hex digits)."
            raise ContentError(path, f"templates.{kind}", problem)
        for locale, sid in locales.items():
            where = f"templates.{kind}.{locale}"
            if not isinstance(sid, str) or not CONTENT_SID.fullmatch(sid):
                problem = f"{sid!r} is not a ContentSid (HX and 32 hex digits)."
                raise ContentError(path, where, problem)
            sids[(str(kind), str(locale))] = sid
    return sids
