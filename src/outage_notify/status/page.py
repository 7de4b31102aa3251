"""What the public status page shows, built from stored rows; pure.

Public: whether email works, every open incident (several services may be down at once) with
its public title and description, phase, affected components, since when, its ETA and promised
next-update time, and the history of updates sent to everyone, newest first (kind, time, and
staff's message when it is public); the alternatives while something is down; and past
incidents with their public title, duration and update history.

Public text is only: staff's `public_title`, the templates' public words for the service and
its components (`public_words`, `{templates}/{locale}/public.yaml`), and messages staff wrote
for everyone (`UpdateRecord.public`). Alert text never is: the incident's title and summary (from
alert summaries and descriptions, which carry host names and runbook links), labels, the
service label and component labels the templates do not know (shown as the service's public
name), and automatic update text ("now also affected: <labels>").

Internal, never here either: timeline entries (notes, findings, alerts, who did what),
deliveries and recipients, staff names (`created_by`), notified audiences, and severity (a
triage label that only management's messages mention). Updates sent to chosen audiences only
(staff set `audiences`) and notes to the incident lead are not public at all.

Every string passes `clean_text`: what the JSON, the HTML and the Atom feed carry is valid
XML 1.0 and UTF-8 (no control characters, lone surrogates, U+FFFE or U+FFFF).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from outage_notify.contacts.components import ComponentCatalogue
from outage_notify.core.models import STAFF_KINDS, Phase, UpdateKind
from outage_notify.core.records import IncidentRecord, UpdateRecord
from outage_notify.messages.filters import clean_text
from outage_notify.messages.public_words import PublicText, PublicWords

PAST_LIMIT = 5
FEED_LIMIT = 50
# Public updates listed per incident: a long outage's whole story, yet a page that stays light.
HISTORY_LIMIT = 50


# The id of every component label the templates do not know (it may be a host name).
OTHER = "other"


class Component(BaseModel):
    id: str = Field(
        description="The component id (inbound, webmail…), or `other` for any label the "
        "templates do not name; the label itself is never shown."
    )
    name: str = Field(description="Its name in the page's language; `other` is the service's.")


class PublicUpdate(BaseModel):
    """An update that went to everyone."""

    at: datetime
    kind: UpdateKind
    message: str = Field(
        description="What staff wrote for everyone; empty when the update was automatic or "
        "not public (the kind says it all)."
    )


class CurrentIncident(BaseModel):
    id: int
    title: str = Field(description="Staff's public title, else the templates' public words.")
    description: str = Field(description="The public words' description; may be empty.")
    phase: Phase
    components: list[Component]
    since: datetime
    eta: datetime | None = Field(description="When email is expected to work again.")
    next_update_at: datetime | None = Field(description="When the next update is promised.")
    latest_update: PublicUpdate | None
    updates: list[PublicUpdate] = Field(
        description="Every update sent to everyone, newest first (the newest is latest_update)."
    )


class PastIncident(BaseModel):
    id: int
    title: str
    components: list[Component]
    since: datetime
    resolved_at: datetime
    duration_seconds: int
    updates: list[PublicUpdate] = Field(description="Its public updates, newest first.")


class PlannedWork(BaseModel):
    """A maintenance window staff scheduled: upcoming, in progress, or just completed."""

    id: int
    state: Literal["upcoming", "in_progress", "completed"]
    start: datetime
    end: datetime = Field(description="The end in force (later than planned when extended).")
    planned_end: datetime = Field(description="The end first announced.")
    text: str = Field(description="What staff wrote for everyone.")
    components: list[Component] = Field(description="Empty: the whole service.")
    changed_at: datetime = Field(description="When it was scheduled, started or completed.")


class StatusView(BaseModel):
    """The public status of email: the body of GET /status.json and what /status shows."""

    organisation: str
    lang: str = Field(description="Language of the component names: en or pt-BR.")
    email_ok: bool = Field(description="True when no incident is open.")
    current: CurrentIncident | None = Field(description="The newest open incident.")
    incidents: list[CurrentIncident] = Field(
        description="Every open incident, newest first (current is the first)."
    )
    alternatives: list[str] = Field(
        description="Ways to reach IT while email is down; empty while everything works."
    )
    past: list[PastIncident] = Field(description="Recently resolved incidents, newest first.")
    maintenance: list[PlannedWork] = Field(
        default_factory=list,
        description="Maintenance in progress and upcoming, earliest start first.",
    )
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


def page_locale(lang: str | None, *, known: Sequence[str], default: str = "en") -> str:
    """The `known` locale (the templates' folders) closest to `lang` (pt, pt-PT → pt-BR);
    else `default`'s, else en."""
    for wanted in (lang, default):
        if wanted:
            exact = [k for k in known if k.lower() == wanted.lower()]
            for locale in [*exact, *known]:
                if wanted.lower().split("-")[0] == locale.lower().split("-")[0]:
                    return locale
    return "en"


def is_public(update: UpdateRecord) -> bool:
    """Listed publicly: an update routing sent to everyone (not one aimed at chosen audiences,
    never a note to the incident lead) that carries public staff text or changed the phase (a
    phase is public; an automatic "now also affected" update adds nothing the components do
    not)."""
    return (
        update.audiences is None
        and update.recipients is None
        and update.kind not in {kind.value for kind in STAFF_KINDS}
        and (update.public or update.phase_change)
    )


def public_message(update: UpdateRecord) -> str:
    """The update's message if staff wrote it for everyone, else ""."""
    return clean_text(update.message) if update.public else ""


def public_text(incident: IncidentRecord, words: PublicWords, locale: str) -> PublicText:
    """The public words of the incident: neutral in security mode (no cause, no component)."""
    if incident.security_since is not None:
        return words.security(locale=locale)
    return words.incident(incident.service, incident.components, locale=locale)


def public_title(incident: IncidentRecord, words: PublicWords, locale: str) -> str:
    """Staff's public title, else the public words for the incident's service and components
    (the neutral words in security mode)."""
    return clean_text(incident.public_title or "").strip() or clean_text(
        public_text(incident, words, locale).title
    )


def _components(
    incident: IncidentRecord, words: PublicWords, locale: str, catalogue: ComponentCatalogue
) -> list[Component]:
    if incident.security_since is not None:
        # Which parts are down can tell an attacker what was reached.
        return []
    other = words.service_name(incident.service, locale=locale)
    listed: list[Component] = []
    unknown = False
    for c in dict.fromkeys(incident.components):
        name = catalogue.name(c, locale=locale)
        if name is not None:
            listed.append(Component(id=c, name=clean_text(name)))
        else:
            unknown = True
    if unknown:
        # Unknown labels, however many, are one entry named as the service.
        listed.append(Component(id=OTHER, name=clean_text(other)))
    return listed


def _history(updates: Iterable[UpdateRecord], incident_id: int) -> list[PublicUpdate]:
    """The incident's public updates, newest first, at most HISTORY_LIMIT."""
    public = [u for u in updates if u.incident_id == incident_id and is_public(u)]
    public.sort(key=lambda u: (u.created_at, u.id), reverse=True)
    return [
        PublicUpdate(at=u.created_at, kind=UpdateKind(u.kind), message=public_message(u))
        for u in public[:HISTORY_LIMIT]
    ]


def _current(
    row: IncidentRecord,
    updates: Sequence[UpdateRecord],
    words: PublicWords,
    locale: str,
    catalogue: ComponentCatalogue,
) -> CurrentIncident:
    description = public_text(row, words, locale).description
    history = _history(updates, row.id)
    return CurrentIncident(
        id=row.id,
        title=public_title(row, words, locale),
        # Staff's own title stands alone: the default words may no longer fit it.
        description="" if (row.public_title or "").strip() else clean_text(description),
        phase=Phase(row.phase),
        components=_components(row, words, locale, catalogue),
        since=row.opened_at,
        eta=row.eta,
        next_update_at=row.next_update_at,
        latest_update=history[0] if history else None,
        updates=history,
    )


def build_view(
    *,
    open_incidents: Sequence[IncidentRecord],
    updates: Sequence[UpdateRecord],
    resolved: Sequence[IncidentRecord],
    organisation: str,
    alternatives: Sequence[str],
    locale: str,
    now: datetime,
    words: PublicWords,
    catalogue: ComponentCatalogue,
    maintenance: Sequence[PlannedWork] = (),
) -> StatusView:
    """The status page's content: every open incident, newest first, with its public history
    (`updates` holds the updates of the open and resolved incidents given)."""
    ordered = sorted(open_incidents, key=lambda r: (r.opened_at, r.id), reverse=True)
    incidents = [_current(row, updates, words, locale, catalogue) for row in ordered]
    past = [
        PastIncident(
            id=row.id,
            title=public_title(row, words, locale),
            components=_components(row, words, locale, catalogue),
            since=row.opened_at,
            resolved_at=row.resolved_at,
            duration_seconds=max(0, int((row.resolved_at - row.opened_at).total_seconds())),
            updates=_history(updates, row.id),
        )
        for row in sorted(resolved, key=lambda r: (r.resolved_at, r.id), reverse=True)
        if row.resolved_at is not None
    ]
    return StatusView(
        organisation=clean_text(organisation),
        lang=locale,
        email_ok=not incidents,
        current=incidents[0] if incidents else None,
        incidents=incidents,
        # How to reach IT "meanwhile" means nothing while everything works.
        alternatives=[clean_text(a) for a in alternatives] if incidents else [],
        past=past[:PAST_LIMIT],
        maintenance=[item for item in maintenance if item.state != "completed"],
        generated_at=now,
    )


def feed_entries(
    rows: Iterable[tuple[UpdateRecord, IncidentRecord]],
    *,
    words: PublicWords,
    locale: str,
    limit: int = FEED_LIMIT,
) -> list[FeedEntry]:
    """Public updates with their incident's public title, newest first, at most `limit`."""
    entries = [
        FeedEntry(
            update_id=update.id,
            incident_id=incident.id,
            incident_title=public_title(incident, words, locale),
            kind=UpdateKind(update.kind),
            message=public_message(update),
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
