"""Reading the console's forms: `application/x-www-form-urlencoded` fields, checked against the
same length limits as the API's bodies, and local times read in the organisation's zone.

Every mistake is a `FormError` whose text the page shows (400), never a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import TypeVar
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

from outage_notify.core.timestamps import checked_utc

E = TypeVar("E", bound=StrEnum)
# No console form comes near this; a larger body is refused before it is parsed.
MAX_FORM_BYTES = 64 * 1024


class FormError(ValueError):
    """A form field staff filled in wrongly; the message says which and why."""


class Form:
    """The fields of one submitted form."""

    def __init__(self, body: bytes) -> None:
        if len(body) > MAX_FORM_BYTES:
            raise FormError(f"the form is larger than {MAX_FORM_BYTES // 1024} KB")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as error:
            raise FormError("the form is not UTF-8") from error
        self._fields = parse_qs(text, keep_blank_values=True, max_num_fields=200)

    def pairs(self, *, leaving: tuple[str, ...] = ("csrf", "intent")) -> list[tuple[str, str]]:
        """Every field as sent (but `leaving`), to carry a previewed form to its sending."""
        return [
            (name, value)
            for name, values in self._fields.items()
            if name not in leaving
            for value in values
        ]

    def raw(self, name: str) -> str:
        """A field's first value as sent (a token to compare), or ""."""
        return self._fields.get(name, [""])[0]

    def text(self, name: str, *, label: str, limit: int, required: bool = False) -> str:
        """A text field, NUL characters dropped, trimmed; FormError when missing or too long."""
        value = self._fields.get(name, [""])[0].replace("\x00", "").strip()
        if required and not value:
            raise FormError(f"{label}: please fill this in")
        if len(value) > limit:
            raise FormError(f"{label}: at most {limit} characters (this has {len(value)})")
        return value

    def values(self, name: str, *, label: str, limit: int, most: int) -> list[str]:
        """Every value of a repeated field (checkboxes), or a comma-separated text field."""
        values = [
            part.strip()
            for value in self._fields.get(name, [])
            for part in value.replace("\x00", "").split(",")
            if part.strip()
        ]
        if len(values) > most:
            raise FormError(f"{label}: at most {most}")
        too_long = [value for value in values if len(value) > limit]
        if too_long:
            raise FormError(f"{label}: {too_long[0][:40]!r} is longer than {limit} characters")
        return list(dict.fromkeys(values))

    def checked(self, name: str) -> bool:
        """Whether a checkbox was ticked."""
        return self._fields.get(name, [""])[0] in {"on", "true", "1", "yes"}

    def choice(self, name: str, kind: type[E], *, label: str) -> E | None:
        """One of an enumeration's values, or None when left empty."""
        value = self._fields.get(name, [""])[0].strip()
        if not value:
            return None
        try:
            return kind(value)
        except ValueError as error:
            known = ", ".join(member.value for member in kind)
            raise FormError(f"{label}: {value[:40]!r} is not one of {known}") from error

    def local_time(self, name: str, *, label: str, timezone: str) -> datetime | None:
        """A `datetime-local` value read in the organisation's zone, as UTC; None when empty."""
        value = self._fields.get(name, [""])[0].strip()
        if not value:
            return None
        try:
            naive = datetime.fromisoformat(value)
        except ValueError as error:
            raise FormError(f"{label}: {value[:40]!r} is not a date and time") from error
        if naive.tzinfo is not None:
            raise FormError(f"{label}: give a local time, without a zone")
        try:
            return checked_utc(naive.replace(tzinfo=ZoneInfo(timezone)))
        except ValueError as error:
            raise FormError(f"{label}: {error}") from error


def unknown_among(given: Sequence[str], known: Sequence[str], *, label: str) -> None:
    """FormError naming the values of `given` that `known` does not hold."""
    unknown = [value for value in given if value not in known]
    if unknown:
        shown = ", ".join(known[:20]) + (", …" if len(known) > 20 else "")
        raise FormError(f"{label}: unknown {', '.join(unknown)[:200]}; known: {shown}")
