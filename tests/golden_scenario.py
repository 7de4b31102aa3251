"""One realistic email outage, played through the real lifecycle, for the golden messages.

Each step is what the worker would plan: an incident row and an update row, made by the pure
lifecycle (`lifecycle`, `reminders`, `chasing`) and stored by the worker's own store functions
in an in-memory SQLite database (nothing else), with a fixed clock so the messages never move.

The story (times in São Paulo, the organisation's zone): mail stops at 14:02 and staff declare
it; at 14:27 they have found the cause; at 14:47 they give the first ETA (16:02); at 15:52 it
slips to 17:02; at 17:00 it is resolved; at 17:17 the alert fires again and the incident
reopens. The lead's notices (a reminder, the unreached list, a failed event, many alerts) and
any kind without a step of its own (a new kind appears here by itself) are rendered too.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic_settings import BaseSettings, PydanticBaseSettingsSource
from sqlalchemy import create_engine, inspect
from sqlalchemy.orm import Session

from outage_notify.config.settings import Settings
from outage_notify.contacts.directory import Directory
from outage_notify.contacts.loading import load_contacts
from outage_notify.core.models import (
    MAINTENANCE_KINDS,
    STAFF_KINDS,
    AlertEvent,
    AlertStatus,
    CauseCategory,
    Phase,
    Severity,
    UpdateDraft,
    UpdateKind,
)
from outage_notify.incidents import lifecycle, security
from outage_notify.incidents.business_calendar import calendar_from
from outage_notify.incidents.chasing import Unreached, unreached_message
from outage_notify.incidents.lead_notices import FAILED_EVENT_ACTOR
from outage_notify.incidents.notification_clock import CLOCK_ACTOR, clocks, reminder_text
from outage_notify.incidents.reminders import HOLDING_ACTOR, due_reminder
from outage_notify.maintenance.windows import Step as MaintenanceStep
from outage_notify.maintenance.windows import StepKind, WindowState
from outage_notify.messages.catalogs import Words
from outage_notify.messages.planning import find_contact
from outage_notify.messages.rendering import Renderer
from outage_notify.store import incidents as store
from outage_notify.store import maintenances as maintenance_store
from outage_notify.store.maintenance_tables import MaintenanceRow
from outage_notify.store.mappers import incident_state
from outage_notify.store.tables import Base, EventRow, IncidentRow, UpdateRow
from outage_notify.worker.event_steps import notice_text
from outage_notify.worker.maintenance_steps import announce

ROOT = Path(__file__).resolve().parent.parent
START = datetime(2026, 3, 10, 17, 2, tzinfo=UTC)  # 14:02 in São Paulo
STAFF_ACTOR = "it-oncall"
LEAD = "marcos.pereira"
# What a kind without a step of its own is rendered with (a new kind, e.g. a retraction).
# The lead's notices are written by these actors, as the worker writes them: a reader of
# another language gets their text re-worded (update_messages.reader_message).
NOTICE_ACTORS = {
    UpdateKind.REMINDER: HOLDING_ACTOR,
    UpdateKind.EVENT_FAILED: FAILED_EVENT_ACTOR,
    UpdateKind.NOTIFICATION_DUE: CLOCK_ACTOR,
}
# A failed event's error as the code writes it (quoted in the lead's notice in any language).
EVENT_ERROR = "the payload has no alerts"
OTHER_KIND_TEXT = "The alert came from a test of the monitoring; email was not down."


class ShippedSettings(Settings):
    """Settings from the values given here and the defaults only: no `.env`, no environment
    (an `OUTAGE_NOTIFY_*` variable in a developer's shell must not change a golden file)."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def golden_settings() -> Settings:
    """The shipped contacts and templates, with the settings `.env.example` suggests."""
    return ShippedSettings(
        contacts_dir=ROOT / "contacts",
        templates_dir=ROOT / "templates",
        organisation_name="Example Corp",
        alternatives=["IT hotline +55 11 4000-1234", "Slack #it-help"],
        status_page_url="https://status.example.com",
        timezone="America/Sao_Paulo",
        default_locale="en",
        default_lead=LEAD,
    )


@dataclass(frozen=True)
class Step:
    """One update as the worker would render it, at a fixed moment."""

    name: str  # the folder of its golden files: "03-first-eta"
    story: str  # one line for the reader of the golden files
    kind: UpdateKind
    now: datetime
    incident: IncidentRow
    update: UpdateRow
    # The staff's own text in this update ("" when staff wrote none).
    staff_text: str


@dataclass(frozen=True)
class Scenario:
    settings: Settings
    renderer: Renderer
    directory: Directory
    steps: tuple[Step, ...]


def build_scenario() -> Scenario:
    settings = golden_settings()
    renderer = Renderer(settings.templates_dir, sms_transliterate=settings.sms_transliterate)
    directory = load_contacts(settings, renderer=renderer)
    # As the service's snapshot builds it: audiences worded like another (routing.yaml).
    renderer = Renderer(
        settings.templates_dir,
        sms_transliterate=settings.sms_transliterate,
        worded_like=directory.routing.worded_like,
    )
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        steps = tuple(_play(session, settings, directory))
    engine.dispose()
    return Scenario(settings, renderer, directory, steps)


def _play(session: Session, settings: Settings, directory: Directory) -> Iterator[Step]:
    cadence = settings.update_cadence_minutes
    numbered = iter(range(1, 100))
    told: set[UpdateKind] = set()
    row: IncidentRow | None = None

    def step(name: str, story: str, now: datetime, update: UpdateRow, staff_text: str) -> Step:
        assert row is not None
        kind = UpdateKind(update.kind)
        told.add(kind)
        number = f"{next(numbered):02d}"
        return Step(f"{number}-{name}", story, kind, now, _copy(row), update, staff_text)

    def record(name: str, story: str, decision: lifecycle.Decision, now: datetime) -> Step:
        """A lifecycle decision, stored as the worker stores it."""
        nonlocal row
        actor = decision.update.actor if decision.update else ""
        row, update = store.save_decision(session, decision, row=row, now=now, actor=actor)
        assert update is not None, f"{name}: the lifecycle sent nothing"
        return step(name, story, now, update, update.message if actor == STAFF_ACTOR else "")

    def notice(
        name: str, story: str, kind: UpdateKind, message: str, now: datetime, by_staff: bool = False
    ) -> Step:
        """An update the worker adds without the lifecycle (the lead's notices), or one staff
        wrote that the story has no step for (`by_staff`)."""
        assert row is not None
        # The lead's notices go to the lead alone, as the worker sends them.
        recipients = (LEAD,) if kind in STAFF_KINDS else None
        draft = UpdateDraft(
            kind=kind,
            message=message,
            actor=STAFF_ACTOR if by_staff else NOTICE_ACTORS.get(kind, "system"),
            recipients=recipients,
            staff_text=by_staff,
        )
        update = store.add_update(session, row, draft, now=now)
        return step(name, story, now, update, "" if kind in STAFF_KINDS else message)

    def staff(
        now: datetime, message: str, phase: Phase | None = None, eta: datetime | None = None
    ) -> lifecycle.Decision:
        assert row is not None
        return lifecycle.staff_update(
            incident_state(row),
            message=message,
            phase=phase,
            eta=eta,
            audiences=None,
            actor=STAFF_ACTOR,
            now=now,
            cadence_minutes=cadence,
            eta_threshold=timedelta(minutes=settings.eta_change_threshold_minutes),
        )

    opened = lifecycle.declare(
        title="Email down: sending and receiving fail",
        summary="We cannot send or receive email. We are looking into it.",
        severity=Severity.MAJOR,
        components=["inbound", "outbound", "webmail"],
        eta=None,
        actor=STAFF_ACTOR,
        now=START,
        cadence_minutes=cadence,
    )
    yield record("opened", "Staff declare the outage (14:02)", opened, START)

    # The lead's notices while the incident is young, each text from the code that writes it.
    at = START + timedelta(minutes=15)
    manager = find_contact(directory, "ricardo.almeida")
    assert manager is not None
    people = [Unreached(manager.name, manager.audience, manager.phone or "")]
    yield notice("unreached", "The lead hears who never acknowledged (14:17)",
                 UpdateKind.UNREACHED, unreached_message(people), at)  # fmt: skip
    event = EventRow(id=41, source="alertmanager", service="email")
    failed = notice_text(event, EVENT_ERROR, Words())
    yield notice("event-failed", "An accepted alert could not be applied",
                 UpdateKind.EVENT_FAILED, failed, at)  # fmt: skip
    yield notice("many-alerts", "A monitor opened too many incidents",
                 UpdateKind.MANY_ALERTS, "alertmanager", at)  # fmt: skip

    at = START + timedelta(minutes=25)
    found = (
        "Cause found: the disk of the mail store is full. Webmail is also down. "
        "Call the hotline for urgent messages."
    )
    yield record("update", "Staff found the cause (14:27)", staff(at, found, Phase.IDENTIFIED), at)

    at, first_eta = START + timedelta(minutes=45), START + timedelta(hours=2)
    moving = staff(at, "We are moving the mailboxes to a new disk.", Phase.FIXING, first_eta)
    yield record("first-eta", "Staff give the first ETA, 16:02 (14:47)", moving, at)

    assert row is not None
    late = first_eta + timedelta(minutes=5)
    reminder = due_reminder(
        incident_state(row), last_update_at=at, now=late, timezone=settings.timezone
    )
    assert reminder is not None
    yield notice("reminder", "The first ETA passed with no update: the lead is reminded (16:07)",
                 UpdateKind.REMINDER, reminder.text, late)  # fmt: skip

    at = START + timedelta(minutes=110)
    slower = "Copying the mailboxes takes longer than planned."
    slip = staff(at, slower, eta=START + timedelta(hours=3))
    yield record("eta-slip", "The ETA slips to 17:02 (15:52)", slip, at)

    at = START + timedelta(minutes=178)
    fixed = "Mail flows again. Messages sent to you during the outage are arriving now."
    resolved = lifecycle.resolve(incident_state(row), message=fixed, actor=STAFF_ACTOR, now=at)
    yield record("resolved", "Staff resolve it (17:00)", resolved, at)

    at = START + timedelta(minutes=195)
    alert = AlertEvent(
        source="alertmanager",
        dedup_key="mail-down-2",
        group_key="mail-down",
        status=AlertStatus.FIRING,
        severity=Severity.MAJOR,
        summary="SMTP queue stuck on mx1",
        components=("outbound",),
    )
    again = lifecycle.apply_alert(
        incident_state(row),
        alert,
        now=at,
        cadence_minutes=cadence,
        hold_down=timedelta(minutes=settings.hold_down_minutes),
    )
    yield record("reopened", "The alert fires again: the fix did not hold (17:17)", again, at)

    for kind in UpdateKind:
        # The notification clock's reminder has its own step, after these.
        # Maintenance has its own story, after the outage's.
        if (
            kind not in told
            and kind != UpdateKind.NOTIFICATION_DUE
            and kind not in MAINTENANCE_KINDS
        ):
            # A kind this story does not reach yet: rendered on the reopened incident.
            # The lead's notices carry what the worker writes in them (who is held back, for
            # `behind`); a stakeholder kind carries staff text.
            lead_only = kind in STAFF_KINDS
            text = unreached_message(people) if lead_only else OTHER_KIND_TEXT
            story = f"A {kind} update (the story has no step of its own for it yet)"
            name = str(kind).replace("_", "-")
            yield notice(name, story, kind, text, at, by_staff=not lead_only)

    # Staff marked that personal data may be affected at 14:27: half the LGPD clock is gone.
    calendar = calendar_from(settings.breach, timezone=settings.timezone)
    marked = START + timedelta(minutes=25)
    (lgpd, *_) = clocks(
        marked_at=marked, notices={}, settings=settings.breach, calendar=calendar, now=at
    )
    half = reminder_text(lgpd, incident_id=row.id, percent=50, calendar=calendar)
    yield notice("notification-due", "Half the LGPD notification clock is gone",
                 UpdateKind.NOTIFICATION_DUE, half, at)  # fmt: skip

    # Security mode: the cause turns out to be a breach. Every audience but `security` now
    # reads the security templates; `security` reads everything (docs/concepts/security-mode.md).
    at = START + timedelta(minutes=230)
    assert row is not None
    breach = security.categorise(
        incident_state(row), CauseCategory.SECURITY, actor=STAFF_ACTOR, now=at
    )
    row, _ = store.save_decision(session, breach, row=row, now=at, actor=STAFF_ACTOR)
    advice = "Password changes start tomorrow at 09:00; the link comes from the IT portal only."
    yield record("security-update", "The cause is a breach: security mode (17:52)",
                 staff(at, advice), at)  # fmt: skip
    at = START + timedelta(minutes=290)
    done = "Passwords are reset by Friday; the IT portal will ask you, never an email."
    assert row is not None
    closed = lifecycle.resolve(incident_state(row), message=done, actor=STAFF_ACTOR, now=at)
    yield record("security-resolved", "Resolved in security mode (18:52)", closed, at)

    yield from _maintenance(session, numbered)


MAINTENANCE_TEXT = "We are moving the mail server to a new machine."


def _maintenance(session: Session, numbered: Iterator[int]) -> Iterator[Step]:
    """A planned window for receiving and sending email, Friday 22:00 to Saturday 01:00 in
    São Paulo, scheduled on Thursday, reminded a day before, started, extended to 02:00 and
    completed at 01:40, each announcement written by the worker's own step."""
    scheduled_at = START + timedelta(days=2)  # Thursday 14:02
    window = MaintenanceRow(
        service="email",
        components=["inbound", "outbound"],
        starts_at=datetime(2026, 3, 14, 1, 0, tzinfo=UTC),
        ends_at=datetime(2026, 3, 14, 4, 0, tzinfo=UTC),
        planned_end=datetime(2026, 3, 14, 4, 0, tzinfo=UTC),
        public_text=MAINTENANCE_TEXT,
        audiences=None,
        require_probes=True,
        state=WindowState.SCHEDULED.value,
        created_by=STAFF_ACTOR,
        created_at=scheduled_at,
        firing={},
    )
    session.add(window)
    session.flush()
    carrier = maintenance_store.add_carrier(session, window, now=scheduled_at)

    def announced(name: str, story: str, kind: StepKind, now: datetime, **was: datetime) -> Step:
        key = f"{kind.value}-{now.timestamp()}"
        made = announce(session, window, carrier, MaintenanceStep(key, kind), now=now, **was)
        assert made is not None
        update = session.get(UpdateRow, made)
        assert update is not None
        number = f"{next(numbered):02d}"
        return Step(f"{number}-{name}", story, UpdateKind(kind.value), now, _copy(carrier),
                    update, MAINTENANCE_TEXT)  # fmt: skip

    story = "Staff schedule it for Friday 22:00 to Saturday 01:00 (Thursday 14:02)"
    yield announced("maintenance-scheduled", story, StepKind.SCHEDULED, scheduled_at)
    yield announced("maintenance-reminder", "A day before it starts (Thursday 22:00)",
                    StepKind.REMINDER, window.starts_at - timedelta(hours=24))  # fmt: skip
    yield announced("maintenance-started", "The window starts (Friday 22:00)",
                    StepKind.STARTED, window.starts_at)  # fmt: skip
    was = window.ends_at
    window.ends_at = datetime(2026, 3, 14, 5, 0, tzinfo=UTC)
    at = datetime(2026, 3, 14, 3, 50, tzinfo=UTC)
    yield announced("maintenance-extended", "Extended to 02:00 (Saturday 00:50)",
                    StepKind.EXTENDED, at, was=was)  # fmt: skip
    yield announced("maintenance-completed", "Done, a mail round trip passed (01:40)",
                    StepKind.COMPLETED, datetime(2026, 3, 14, 4, 40, tzinfo=UTC))  # fmt: skip


def _copy(row: IncidentRow) -> IncidentRow:
    """The incident as it is now: later steps change the stored row, not this copy."""
    columns = inspect(IncidentRow).column_attrs
    return IncidentRow(**{column.key: getattr(row, column.key) for column in columns})
