"""Scheduled maintenance on the status page and in the feed (pure).

A window is shown while it is upcoming or in progress; the feed carries one entry per window
and state (scheduled, in progress, completed), so a reader of the feed hears of it when it is
scheduled, when it starts and when it ends. The window's public text is staff's, written for
everyone; its components are named by the catalogue, never by their ids.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from outage_notify.contacts.components import ComponentCatalogue
from outage_notify.messages.catalogs import Words
from outage_notify.messages.filters import clean_text, format_time
from outage_notify.messages.public_words import PHRASES, TEMPLATES
from outage_notify.status.page import Component, PlannedWork

# Completed windows stay in the feed this long after they end.
FEED_WINDOWS = 20


class WindowRecord(Protocol):
    """What the page reads of a stored window (store/maintenance_tables.py)."""

    @property
    def id(self) -> int: ...
    @property
    def state(self) -> str: ...
    @property
    def components(self) -> list[str]: ...
    @property
    def starts_at(self) -> datetime: ...
    @property
    def ends_at(self) -> datetime: ...
    @property
    def planned_end(self) -> datetime: ...
    @property
    def public_text(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def started_at(self) -> datetime | None: ...
    @property
    def closed_at(self) -> datetime | None: ...


STATES = {
    "scheduled": "upcoming",
    "active": "in_progress",
    "verifying": "in_progress",
    "completed": "completed",
}


def planned_work(
    rows: Iterable[WindowRecord], *, catalogue: ComponentCatalogue, locale: str
) -> list[PlannedWork]:
    """The windows the public may see (cancelled ones are not), earliest start first."""
    found = []
    for row in rows:
        state = STATES.get(row.state)
        if state is None:
            continue
        components = [
            Component(id=c, name=clean_text(name))
            for c in row.components or []
            if (name := catalogue.name(c, locale=locale)) is not None
        ]
        changed = {
            "upcoming": row.created_at,
            "in_progress": row.started_at or row.starts_at,
            "completed": row.closed_at or row.ends_at,
        }[state]
        found.append(
            PlannedWork(
                id=row.id,
                state=state,
                start=row.starts_at,
                end=row.ends_at,
                planned_end=row.planned_end,
                text=clean_text(row.public_text),
                components=components,
                changed_at=changed,
            )
        )
    return sorted(found, key=lambda item: (item.start, item.id))


@dataclass(frozen=True)
class PlannedText:
    """One window as the page prints it."""

    title: str
    when: str
    text: str


def planned_texts(
    items: Sequence[PlannedWork],
    *,
    zone: ZoneInfo,
    now: datetime,
    locale: str,
    templates_dir: Path = TEMPLATES,
) -> tuple[PlannedText, ...]:
    """The page's lines for each window: what, when (in the organisation's zone), the text."""
    words = Words.of(templates_dir, locale)
    texts = []
    for item in items:
        when = describe_times(item, words=words, zone=zone, now=now, locale=locale)
        parts = ", ".join(c.name for c in item.components)
        title = words(PHRASES["maintenance"]) + (f" ({parts})" if parts else "")
        texts.append(PlannedText(title=title, when=when, text=item.text))
    return tuple(texts)


def describe_times(
    item: PlannedWork, *, words: Words, zone: ZoneInfo, now: datetime, locale: str
) -> str:
    """The window's times as one sentence: planned from/to, in progress until, completed at."""

    def at(moment: datetime) -> str:
        return format_time(moment, zone=zone, now=now, locale=locale)

    if item.state == "upcoming":
        return words(PHRASES["maintenance_upcoming"], start=at(item.start), end=at(item.end))
    if item.state == "in_progress":
        return words(PHRASES["maintenance_active"], end=at(item.end))
    return words(PHRASES["maintenance_completed"], time=at(item.changed_at))
