"""What each console page shows, read with the store queries the API's routes use.

Pure loading: one function per page or fragment, returning plain dataclasses the templates
render. The unreached list is capped (`UNREACHED_SHOWN`) so an incident with thousands of
deliveries still makes a small page; the total is shown beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from outage_notify.config.settings import Settings
from outage_notify.contacts.directory import Directory
from outage_notify.core.models import Phase
from outage_notify.incidents.notification_clock import LABELS, Clock
from outage_notify.report.coverage import AudienceCoverage
from outage_notify.store import deliveries as delivery_store
from outage_notify.store import incidents as incident_store
from outage_notify.store import notification_clock as clock_store
from outage_notify.store.coverage import ack_deadlines, incident_coverage, unreached_recipients
from outage_notify.store.tables import ActionItemRow, IncidentRow, ProbeRow, UpdateRow

UNREACHED_SHOWN = 50
RECENT_SHOWN = 20
PROBES_SHOWN = 5
# Delivery states grouped as the console's columns show them.
TOLD = ("sent", "delivered")
PENDING = ("planned", "sending", "unknown", "held")
FAILED = ("failed", "undelivered")


@dataclass(frozen=True)
class Entry:
    """One line of the timeline: timeline rows and updates merged by time."""

    at: datetime
    kind: str
    actor: str
    text: str


@dataclass(frozen=True)
class ChannelCounts:
    audience: str
    channel: str
    told: int
    pending: int
    failed: int
    other: int


@dataclass(frozen=True)
class Unreached:
    audience: str
    name: str
    phone: str
    missed: tuple[str, ...]
    # Voice escalation's calls to them, all ended without a keypress; 0: never phoned.
    calls: int = 0


@dataclass
class Coverage:
    """The live part of the incident page."""

    audiences: list[AudienceCoverage]
    channels: list[ChannelCounts]
    unreached: list[Unreached]
    unreached_total: int
    deliveries: int
    as_of: datetime


@dataclass(frozen=True)
class ClockLine:
    label: str
    deadline: datetime
    percent: int
    notified_at: datetime | None


@dataclass
class IncidentPage:
    incident: IncidentRow
    timeline: list[Entry]
    eta_history: list[tuple[datetime, datetime | None, str]]
    coverage: Coverage
    clocks: list[ClockLine]
    action_items: Sequence[ActionItemRow]
    probes: Sequence[ProbeRow]
    passes_required: int
    phases: list[str] = field(default_factory=lambda: [phase.value for phase in Phase])


def incident_lists(session: Session) -> tuple[list[IncidentRow], list[IncidentRow]]:
    """Open incidents, then the most recent others."""
    opened = list(incident_store.open_incidents(session))
    recent, _ = incident_store.list_incidents(session, phase=None, limit=RECENT_SHOWN, offset=0)
    shown = {row.id for row in opened}
    return opened, [row for row in recent if row.id not in shown]


def coverage(
    session: Session, incident_id: int, *, directory: Directory, now: datetime
) -> Coverage:
    """Who has been told, who acknowledged, what is pending or failed, and whom to call."""
    audiences = incident_coverage(
        session, incident_id, now=now, deadlines=ack_deadlines(directory.routing)
    )
    per_channel: dict[tuple[str, str], dict[str, int]] = {}
    total = 0
    for audience, channel, state, count in delivery_store.counts(session, incident_id=incident_id):
        per_channel.setdefault((audience, channel), {})[state] = count
        total += count
    channels = [
        ChannelCounts(
            audience=audience,
            channel=channel,
            told=sum(states.get(s, 0) for s in TOLD),
            pending=sum(states.get(s, 0) for s in PENDING),
            failed=sum(states.get(s, 0) for s in FAILED),
            other=sum(n for s, n in states.items() if s not in (*TOLD, *PENDING, *FAILED)),
        )
        for (audience, channel), states in sorted(per_channel.items())
    ]
    unreached_total = sum(len(a.unreached) for a in audiences)
    return Coverage(
        audiences=audiences,
        channels=channels,
        # The names with keys and what they missed: a second pass, only when someone is.
        unreached=_unreached(session, incident_id, directory, audiences) if unreached_total else [],
        unreached_total=unreached_total,
        deliveries=total,
        as_of=now,
    )


def _unreached(
    session: Session,
    incident_id: int,
    directory: Directory,
    audiences: Sequence[AudienceCoverage],
) -> list[Unreached]:
    found = unreached_recipients(session, incident_id, limit=UNREACHED_SHOWN)
    called = {(a.audience, c.name): c.calls for a in audiences for c in a.calls.unreached}
    phones: dict[str, str] = {}
    for audience_name in {audience for audience, _, _, _ in found}:
        audience = directory.audience(audience_name)
        for contact in audience.contacts if audience else ():
            phones[contact.id] = contact.phone or ""
    return [
        Unreached(
            audience=audience,
            name=name,
            # Keys are `contact:<id>` or `contact:<id>:<channel>` (contacts/routing.py).
            phone=phones.get(key.split(":")[1] if key.startswith("contact:") else "", ""),
            missed=tuple(missed),
            calls=called.get((audience, name), 0),
        )
        for audience, key, name, missed in found
    ]


def incident_page(
    session: Session,
    row: IncidentRow,
    *,
    directory: Directory,
    settings: Settings,
    now: datetime,
) -> IncidentPage:
    """Everything the incident page shows."""
    updates = incident_store.updates(session, row.id)
    timeline = [
        Entry(at=t.at, kind=t.kind, actor=t.actor, text=t.text)
        for t in incident_store.timeline(session, row.id)
    ]
    timeline += [
        Entry(at=u.created_at, kind=f"message: {u.kind}", actor=u.created_by, text=u.message)
        for u in updates
        if u.message
    ]
    timeline.sort(key=lambda entry: entry.at, reverse=True)
    _, clocks = clock_store.incident_clocks(session, row.id, settings=settings, now=now)
    return IncidentPage(
        incident=row,
        timeline=timeline,
        eta_history=_eta_history(updates),
        coverage=coverage(session, row.id, directory=directory, now=now),
        clocks=[_clock_line(clock) for clock in clocks],
        action_items=session.scalars(
            select(ActionItemRow)
            .where(ActionItemRow.incident_id == row.id)
            .order_by(ActionItemRow.id)
        ).all(),
        probes=session.scalars(
            select(ProbeRow)
            .where(ProbeRow.incident_id == row.id)
            .order_by(ProbeRow.id.desc())
            .limit(PROBES_SHOWN)
        ).all(),
        passes_required=settings.verification,
    )


def _eta_history(updates: Sequence[UpdateRow]) -> list[tuple[datetime, datetime | None, str]]:
    """Each change of ETA: when, the new ETA (None: withdrawn), and by whom; newest first."""
    history: list[tuple[datetime, datetime | None, str]] = []
    last: datetime | None = None
    for update in updates:
        if update.eta != last:
            history.append((update.created_at, update.eta, update.created_by))
            last = update.eta
    return list(reversed(history))


def _clock_line(clock: Clock) -> ClockLine:
    return ClockLine(
        label=LABELS[clock.obligation],
        deadline=clock.deadline,
        percent=clock.percent_elapsed,
        notified_at=clock.notice.at if clock.notice else None,
    )
