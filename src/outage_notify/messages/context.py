"""What a template may know when it renders: the incident as templates see it, and the
context of one render (audience, locale, zone, message, links).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from outage_notify.core.models import Phase, Severity, UpdateKind


@dataclass(frozen=True)
class IncidentView:
    """What templates may know about an incident."""

    id: int
    title: str
    summary: str
    severity: Severity
    phase: Phase
    components: tuple[str, ...]
    opened_at: datetime
    eta: datetime | None = None
    next_update_at: datetime | None = None
    resolved_at: datetime | None = None
    # Names a component label the templates do not know (`component` filter): never the label.
    service: str = "email"
    # What this update changed in the affected components (staff's `components`).
    added: tuple[str, ...] = ()
    restored: tuple[str, ...] = ()


@dataclass(frozen=True)
class MessageContext:
    """Everything one render may use; the same for every recipient of an audience who reads
    the same locale in the same time zone."""

    kind: UpdateKind
    audience: str
    locale: str
    incident: IncidentView
    message: str
    alternatives: tuple[str, ...]
    organisation: str
    status_page_url: str
    # The readers' IANA zone: every time is written in it.
    timezone: str
    # When the update is written (None: the clock); decides "14:30" versus "Nov 27, 14:30".
    now: datetime | None = None
    # The audience must acknowledge this kind: SMS bodies end with the locale's ack_request().
    acknowledge: bool = False
    more_url: str = ""  # where a shortened text continues, if not at `status_page_url`
    # ETA as data (macros eta_news/eta_news_formal): no ETA was in force before this update's
    # (the incident's first, or the first since a reopen cleared the old one), and the ETA it
    # replaces. Templates never guess "changed" from wording.
    eta_first: bool = False
    eta_previous: datetime | None = None
    # `message` was written by staff (not built from alert labels or by the system): every
    # audience that gets the update shows it, partners included (COMMS.md).
    staff_text: bool = False
    # The incident is in security mode: every audience but `security` gets the security
    # templates (`security.<audience>.j2`), which show no alert text and no detail.
    security: bool = False
    # OUTAGE_NOTIFY_TIMEZONE: a time in any other zone carries the zone's abbreviation
    # ("17:30 PST"); "" when the render has no reader (`templates check`, previews).
    organisation_timezone: str = ""
