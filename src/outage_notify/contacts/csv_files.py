"""CSV contact files, for lists too long to keep in YAML; read row by row.

Header: `audience,id,name,phone,slack,fallback,locale,channels,tags` (only the first three are
required; `email`, `timezone` (an IANA zone), `quiet_hours` (`22:00-07:00`) and `whatsapp` (an
E.164 number for WhatsApp, when not the phone) may be added). Channels are separated by `|`,
tags written `site=rio;department=finance`, and an empty cell means not set. Rows are counted
as a spreadsheet shows them: the header is row 1.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from outage_notify.contacts.fields import (
    ContactEntry,
    check_name,
    not_utf8,
    read_contact,
    unknown_key,
)
from outage_notify.core.errors import ContactsError

CSV_COLUMNS = (
    "audience", "id", "name", "phone", "slack", "fallback", "email", "locale", "channels", "tags",
    "timezone", "quiet_hours", "whatsapp",
)  # fmt: skip
CSV_REQUIRED = ("audience", "id", "name")


def read_csv_contacts(
    path: Path,
    *,
    locales: frozenset[str],
    region: str | None = None,
    problems: list[ContactsError] | None = None,
) -> Iterator[tuple[ContactEntry, str]]:
    """Each valid row as a contact entry, with where it was found (`row 17`).

    A bad row raises, unless `problems` is given: then it is added there and skipped.
    """
    try:
        # utf-8-sig: spreadsheet exports often start with a byte order mark.
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            columns = [cell.strip() for cell in next(reader, [])]
            _check_header(columns, path=path)
            for number, row in enumerate(reader, start=2):
                if not any(cell.strip() for cell in row):
                    continue
                where = f"row {number}"
                try:
                    entry = _row_contact(
                        columns, row, path=path, where=where, locales=locales, region=region
                    )
                except ContactsError as problem:
                    if problems is None:
                        raise
                    problems.append(problem)
                    continue
                yield entry, where
    except UnicodeDecodeError:
        # Decoded as it streams: the error can come at any row, after rows were yielded.
        raise not_utf8(path) from None


def _row_contact(
    columns: list[str],
    row: list[str],
    *,
    path: Path,
    where: str,
    locales: frozenset[str],
    region: str | None,
) -> ContactEntry:
    """One data row as a contact entry."""
    if len(row) != len(columns):
        problem = f"the row has {len(row)} cells but the header has {len(columns)}."
        raise ContactsError(path, where, "(row)", problem)
    cells = {column: cell.strip() for column, cell in zip(columns, row, strict=True)}
    audience = check_name(cells.pop("audience"), path=path, where=where, field="audience")
    raw: dict[str, object] = {key: value for key, value in cells.items() if value}
    if "channels" in raw:
        raw["channels"] = [c.strip() for c in cells["channels"].split("|") if c.strip()]
    if "tags" in raw:
        raw["tags"] = _tags(cells["tags"], path=path, where=where)
    return read_contact(
        raw, audience=audience, path=path, where=where, locales=locales, region=region
    )


def _check_header(columns: list[str], *, path: Path) -> None:
    """Refuse a header with unknown, repeated or missing required columns."""
    for index, column in enumerate(columns):
        if column not in CSV_COLUMNS:
            raise ContactsError(path, "row 1", column, unknown_key(column, CSV_COLUMNS))
        if column in columns[:index]:
            raise ContactsError(path, "row 1", column, f"the column '{column}' appears twice.")
    for column in CSV_REQUIRED:
        if column not in columns:
            raise ContactsError(path, "row 1", column, f"the header has no '{column}' column.")


def _tags(text: str, *, path: Path, where: str) -> dict[str, str]:
    """Tags written as `key=value;key=value`."""
    tags: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(";"))):
        key, sign, value = (piece.strip() for piece in item.partition("="))
        if not sign or not key or not value:
            problem = f"'{item}' is not key=value; write tags like site=rio;department=finance."
            raise ContactsError(path, where, "tags", problem)
        tags[key] = value
    return tags
