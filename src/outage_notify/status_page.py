"""What the public status page shows, built from stored rows; pure.

Public: whether email works, the open incident's title, phase, affected components, since when,
its ETA and promised next-update time, the newest update sent to everyone (kind, time, staff
message), the alternatives, and past incidents with their duration.

Internal, never here: timeline entries (notes, findings, alerts, who did what), deliveries and
recipients, staff names (`created_by`), the incident summary (alert descriptions carry host
names and runbook links), notified audiences, and severity (a triage label that only
management's messages mention; the public sees impact as components and phase). Updates sent to
chosen audiences only (staff set `audiences`) are not public either.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, Field

from outage_notify.models import STAFF_KINDS, Phase, UpdateKind
from outage_notify.store.tables import IncidentRow, UpdateRow
from outage_notify.template_filters import component_name

LOCALES = ("en", "pt-BR")
PAST_LIMIT = 5
FEED_LIMIT = 50


class Component(BaseModel):
    id: str = Field(description="The component id, as in alert labels: inbound, webmail…")
    name: str = Field(description="Its name in the page's language.")


class PublicUpdate(BaseModel):
    """An update that went to everyone."""

    at: datetime
    kind: UpdateKind
    message: str = Field(description="What staff wrote; may be empty (the kind says it all).")


class CurrentIncident(BaseModel):
    id: int
    title: str
    phase: Phase
    components: list[Component]
    since: datetime
    eta: datetime | None = Field(description="When email is expected to work again.")
    next_update_at: datetime | None = Field(description="When the next update is promised.")
    latest_update: PublicUpdate | None


class PastIncident(BaseModel):
    id: int
    title: str
    components: list[Component]
    since: datetime
    resolved_at: datetime
    duration_seconds: int


class StatusView(BaseModel):
    """The public status of email: the body of GET /status.json and what /status shows."""

    organisation: str
    lang: str = Field(description="Language of the component names: en or pt-BR.")
    email_ok: bool = Field(description="True when no incident is open.")
    current: CurrentIncident | None
    alternatives: list[str] = Field(description="Ways to reach IT while email is down.")
    past: list[PastIncident] = Field(description="Recently resolved incidents, newest first.")
    generated_at: datetime


@dataclass(frozen=True)
class FeedEntry:
    """One public update for the Atom feed."""

    update_id: int
    incident_id: int
    incident_title: str
    kind: UpdateKind
    message: str
    phase: Phase
    eta: datetime | None
    next_update_at: datetime | None
    at: datetime


def page_locale(lang: str | None, *, default: str = "en") -> str:
    """The supported language closest to `lang` (pt, pt-PT → pt-BR); else `default`, else en."""
    for wanted in (lang, default):
        if wanted:
            for locale in LOCALES:
                if wanted.lower().split("-")[0] == locale.lower().split("-")[0]:
                    return locale
    return "en"


def is_public(update: UpdateRow) -> bool:
    """Only updates routing sent to everyone: not those aimed at chosen audiences, and never
    a note to the incident lead (a reminder, the unreached list)."""
    return (
        update.audiences is None
        and update.recipients is None
        and update.kind not in {kind.value for kind in STAFF_KINDS}
    )


def _components(ids: Iterable[str], locale: str) -> list[Component]:
    return [Component(id=c, name=component_name(c, locale=locale)) for c in ids]


def _latest_public(updates: Iterable[UpdateRow]) -> PublicUpdate | None:
    public = [u for u in updates if is_public(u)]
    if not public:
        return None
    newest = max(public, key=lambda u: (u.created_at, u.id))
    return PublicUpdate(at=newest.created_at, kind=UpdateKind(newest.kind), message=newest.message)


def build_view(
    *,
    open_incidents: Sequence[IncidentRow],
    updates: Sequence[UpdateRow],
    resolved: Sequence[IncidentRow],
    organisation: str,
    alternatives: Sequence[str],
    locale: str,
    now: datetime,
) -> StatusView:
    """The status page's content: the newest open incident with its newest public update."""
    current = None
    if open_incidents:
        row = max(open_incidents, key=lambda r: (r.opened_at, r.id))
        current = CurrentIncident(
            id=row.id,
            title=row.title,
            phase=Phase(row.phase),
            components=_components(row.components, locale),
            since=row.opened_at,
            eta=row.eta,
            next_update_at=row.next_update_at,
            latest_update=_latest_public(u for u in updates if u.incident_id == row.id),
        )
    past = [
        PastIncident(
            id=row.id,
            title=row.title,
            components=_components(row.components, locale),
            since=row.opened_at,
            resolved_at=row.resolved_at,
            duration_seconds=max(0, int((row.resolved_at - row.opened_at).total_seconds())),
        )
        for row in sorted(resolved, key=lambda r: (r.resolved_at, r.id), reverse=True)
        if row.resolved_at is not None
    ]
    return StatusView(
        organisation=organisation,
        lang=locale,
        email_ok=current is None,
        current=current,
        alternatives=list(alternatives),
        past=past[:PAST_LIMIT],
        generated_at=now,
    )


def feed_entries(
    rows: Iterable[tuple[UpdateRow, IncidentRow]], *, limit: int = FEED_LIMIT
) -> list[FeedEntry]:
    """Public updates with their incident's title, newest first, at most `limit`."""
    entries = [
        FeedEntry(
            update_id=update.id,
            incident_id=incident.id,
            incident_title=incident.title,
            kind=UpdateKind(update.kind),
            message=update.message,
            phase=Phase(update.phase),
            eta=update.eta,
            next_update_at=update.next_update_at,
            at=update.created_at,
        )
        for update, incident in rows
        if is_public(update)
    ]
    entries.sort(key=lambda e: (e.at, e.update_id), reverse=True)
    return entries[:limit]
