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

from outage_notify import lifecycle
from outage_notify.chasing import Unreached, unreached_message
from outage_notify.contacts import Directory
from outage_notify.contacts_loading import load_contacts
from outage_notify.models import (
    STAFF_KINDS,
    AlertEvent,
    AlertStatus,
    Phase,
    Severity,
    UpdateDraft,
    UpdateKind,
)
from outage_notify.planning import find_contact
from outage_notify.reminders import due_reminder
from outage_notify.rendering import Renderer
from outage_notify.settings import Settings
from outage_notify.store import incidents as store
from outage_notify.store.tables import Base, EventRow, IncidentRow, UpdateRow
from outage_notify.worker.event_steps import notice_text

ROOT = Path(__file__).resolve().parent.parent
START = datetime(2026, 3, 10, 17, 2, tzinfo=UTC)  # 14:02 in São Paulo
STAFF_ACTOR = "it-oncall"
LEAD = "marcos.pereira"
# What a kind without a step of its own is rendered with (a new kind, e.g. a retraction).
OTHER_KIND_TEXT = "Please disregard our message of 14:02: it was sent by mistake."


class ShippedSettings(Settings):
    """Settings from the values given here and the defaults only: no `.env`, no environment
    (an `OUTAGE_NOTIFY_*` variable in a developer's shell must not change a golden file)."""

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
        **sources: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:  # fmt: skip
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
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        steps = tuple(_play(session, settings, directory))
    engine.dispose()
    return Scenario(settings, renderer, directory, steps)


def _play(session: Session, settings: Settings, directory: Directory) -> Iterator[Step]:
    cadence = settings.update_cadence_minutes
    threshold = timedelta(minutes=settings.eta_change_threshold_minutes)
    numbered = iter(range(1, 100))
    row: IncidentRow | None = None

    def record(
        story: str, name: str, decision: lifecycle.Decision, now: datetime, actor: str
    ) -> Step:
        nonlocal row
        row, update = store.save_decision(session, decision, row=row, now=now, actor=actor)
        assert row is not None and update is not None, f"{name}: the lifecycle sent nothing"
        kind = UpdateKind(update.kind)
        text = update.message if actor == STAFF_ACTOR else ""
        return Step(f"{next(numbered):02d}-{name}", story, kind, now, _copy(row), update, text)

    def notice(story: str, name: str, kind: UpdateKind, message: str, now: datetime) -> Step:
        assert row is not None
        # The lead's notices go to the lead alone, as the worker sends them.
        recipients = (LEAD,) if kind in STAFF_KINDS else None
        draft = UpdateDraft(kind=kind, message=message, actor="system", recipients=recipients)
        update = store.add_update(session, row, draft, now=now)
        text = "" if kind in STAFF_KINDS else message
        return Step(f"{next(numbered):02d}-{name}", story, kind, now, _copy(row), update, text)

    def staff(
        minutes: int, message: str, phase: Phase | None = None, eta: datetime | None = None
    ) -> lifecycle.Decision:
        assert row is not None
        return lifecycle.staff_update(
            store.to_state(row),
            message=message,
            phase=phase,
            eta=eta,
            audiences=None,
            actor=STAFF_ACTOR,
            now=START + timedelta(minutes=minutes),
            cadence_minutes=cadence,
            eta_threshold=threshold,
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
    yield record("Staff declare the outage (14:02)", "opened", opened, START, STAFF_ACTOR)
    done = {UpdateKind.OPENED}
    # The lead's notices while the incident is young, each from the code that writes it.
    lead = find_contact(directory, LEAD)
    manager = find_contact(directory, "ricardo.almeida")
    assert lead is not None and manager is not None
    people = [Unreached(manager.name, manager.audience, manager.phone or "")]
    at = START + timedelta(minutes=15)
    yield notice(
        "The lead hears who never acknowledged (14:17)",
        "unreached",
        UpdateKind.UNREACHED,
        unreached_message(people),
        at,
    )
    event = EventRow(id=41, source="alertmanager", service="email")
    failed = notice_text(event, "the payload has no alerts")
    yield notice("An accepted alert could not be applied", "event-failed", UpdateKind.EVENT_FAILED,
                 failed, at)  # fmt: skip
    yield notice("A monitor opened too many incidents", "many-alerts", UpdateKind.MANY_ALERTS,
                 "alertmanager", at)  # fmt: skip
    done |= {UpdateKind.UNREACHED, UpdateKind.EVENT_FAILED, UpdateKind.MANY_ALERTS}

    found = (
        "Cause found: the disk of the mail store is full. Webmail is also down. "
        "Call the hotline for urgent messages."
    )
    at = START + timedelta(minutes=25)
    yield record("Staff found the cause (14:27)", "update",
                 staff(25, found, Phase.IDENTIFIED), at, STAFF_ACTOR)  # fmt: skip
    first_eta = START + timedelta(hours=2)
    at = START + timedelta(minutes=45)
    moving = "We are moving the mailboxes to a new disk."
    decision = staff(45, moving, Phase.FIXING, first_eta)
    yield record("Staff give the first ETA, 16:02 (14:47)", "first-eta", decision, at, STAFF_ACTOR)
    assert row is not None
    late = first_eta + timedelta(minutes=5)
    reminder = due_reminder(store.to_state(row), last_update_at=at, now=late,
                            timezone=settings.timezone)  # fmt: skip
    assert reminder is not None
    yield notice("The first ETA passed with no update: the lead is reminded (16:07)", "reminder",
                 UpdateKind.REMINDER, reminder.text, late)  # fmt: skip
    slower = "Copying the mailboxes takes longer than planned."
    at = START + timedelta(minutes=110)
    decision = staff(110, slower, eta=START + timedelta(hours=3))
    yield record("The ETA slips to 17:02 (15:52)", "eta-slip", decision, at, STAFF_ACTOR)
    done |= {UpdateKind.UPDATE, UpdateKind.ETA_CHANGED, UpdateKind.REMINDER}

    at = START + timedelta(minutes=178)
    fixed = "Mail flows again. Messages sent to you during the outage are arriving now."
    assert row is not None
    decision = lifecycle.resolve(store.to_state(row), message=fixed, actor=STAFF_ACTOR, now=at)
    yield record("Staff resolve it (17:00)", "resolved", decision, at, STAFF_ACTOR)
    at = START + timedelta(minutes=195)
    alert = AlertEvent(
        source="alertmanager", dedup_key="mail-down-2", group_key="mail-down",
        status=AlertStatus.FIRING, severity=Severity.MAJOR, summary="SMTP queue stuck on mx1",
        components=("outbound",),
    )  # fmt: skip
    decision = lifecycle.apply_alert(
        store.to_state(row), alert, now=at, cadence_minutes=cadence,
        hold_down=timedelta(minutes=settings.hold_down_minutes),
    )  # fmt: skip
    yield record("The alert fires again: the fix did not hold (17:17)", "reopened", decision, at,
                 "alertmanager")  # fmt: skip
    done |= {UpdateKind.RESOLVED, UpdateKind.REOPENED}

    for kind in UpdateKind:
        if kind not in done:
            # A kind this story does not reach yet: rendered on the reopened incident.
            yield notice(f"A {kind} update (no step of its own yet)", str(kind).replace("_", "-"),
                         kind, "" if kind in STAFF_KINDS else OTHER_KIND_TEXT, at)  # fmt: skip


def _copy(row: IncidentRow) -> IncidentRow:
    """The incident as it is now: later steps change the stored row, not this copy."""
    columns = inspect(IncidentRow).column_attrs
    return IncidentRow(**{column.key: getattr(row, column.key) for column in columns})
