"""The acknowledgement chase and the two-way parts of dispatch, on SQLite and PostgreSQL.

Deliveries are planned by the real planning step from a small contacts folder; "sent N
minutes ago" is written straight into the rows, the way a worker would have recorded it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from outage_notify.core.models import DeliveryState, Severity, UpdateDraft, UpdateKind
from outage_notify.incidents import lifecycle
from outage_notify.integrations.fake_server import FakeProviders
from outage_notify.store import acknowledgements as ack_store
from outage_notify.store import incidents as incident_store
from outage_notify.store.engine import transaction
from outage_notify.store.tables import AttemptRow, DeliveryRow, IncidentRow, TimelineRow, UpdateRow
from outage_notify.worker import chase_steps, steps
from outage_notify.worker.chase_steps import Chased
from outage_notify.worker.runtime import WorkerRuntime
from tests.fixtures.service import ROOT, make_settings
from tests.fixtures.settings import build_settings

MANAGEMENT = """
audience: management
contacts:
  - {id: ana, name: Ana Souza, phone: "+5511990000001", slack: U0ANA0001, channels: [sms, slack]}
  - {id: bia, name: Bia Reis, slack: U0BIA0002, channels: [slack]}
  - {id: caio, name: Caio Lima, phone: "+5511990000003", slack: U0CAI0003, channels: [sms, slack]}
  - {id: dani, name: Dani Alves, phone: "+5511990000004", slack: U0DAN0004, channels: [sms, slack]}
"""
IT = """
audience: it
contacts:
  - {id: lead, name: Lena Lead, phone: "+5511990000099", channels: [sms]}
"""
ROUTING = """
rules:
  - audience: management
acknowledge:
  - audience: management
    renotify_after_minutes: 5
"""
CADENCE = {Severity.CRITICAL: 30, Severity.MAJOR: 60, Severity.MINOR: 120}


@pytest.fixture
def contacts_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "contacts"
    folder.mkdir()
    (folder / "management.yaml").write_text(MANAGEMENT)
    (folder / "it.yaml").write_text(IT)
    (folder / "routing.yaml").write_text(ROUTING)
    return folder


@pytest.fixture
def runtime(database_url: str, contacts_dir: Path) -> Iterator[WorkerRuntime]:
    settings = build_settings(
        database_url=database_url,
        contacts_dir=contacts_dir,
        templates_dir=ROOT / "templates",
        timezone="America/Sao_Paulo",
    )
    worker = WorkerRuntime(settings)
    yield worker
    worker.close()


def declare(runtime: WorkerRuntime, *, lead: str = "lead") -> tuple[int, dict[str, DeliveryRow]]:
    """An outage declared and planned: the incident and its deliveries by recipient key."""
    now = datetime.now(UTC)
    decision = lifecycle.declare(
        title="Inbound mail bouncing",
        summary="MX refuses connections",
        severity=Severity.CRITICAL,
        components=["inbound"],
        eta=None,
        actor="staff",
        now=now,
        cadence_minutes=CADENCE,
    )
    with transaction(runtime.sessions) as session:
        row, opened = incident_store.save_decision(
            session, decision, row=None, now=now, actor="staff"
        )
        assert row is not None and opened is not None
        row.lead = lead
        incident_id, update_id = row.id, opened.id
    steps.plan_update(runtime, update_id)
    return incident_id, rows(runtime, incident_id)


def rows(runtime: WorkerRuntime, incident_id: int) -> dict[str, DeliveryRow]:
    with runtime.sessions() as session:
        found = session.scalars(
            select(DeliveryRow)
            .where(DeliveryRow.incident_id == incident_id)
            .order_by(DeliveryRow.id)
        ).all()
        return {row.recipient_key: row for row in found}


def plan_standby_update(runtime: WorkerRuntime, incident: int, key: str) -> DeliveryRow:
    """Add a plain `update` to the incident, plan it, and return `key`'s new delivery."""
    with transaction(runtime.sessions) as session:
        row = incident_store.get_incident(session, incident)
        assert row is not None
        later = incident_store.add_update(
            session,
            row,
            UpdateDraft(kind=UpdateKind.UPDATE, message="Moving to standby"),
            now=datetime.now(UTC),
        ).id
    steps.plan_update(runtime, later)
    return next(
        r
        for r in rows(runtime, incident).values()
        if r.recipient_key == key and r.update_id == later
    )


def went_out(
    runtime: WorkerRuntime,
    row: DeliveryRow,
    *,
    minutes_ago: float,
    state: DeliveryState = DeliveryState.SENT,
    route_index: int | None = None,
) -> None:
    sent_at = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    with transaction(runtime.sessions) as session:
        session.execute(
            update(DeliveryRow)
            .where(DeliveryRow.id == row.id)
            .values(
                state=state.value,
                sent_at=sent_at,
                updated_at=sent_at,
                route_index=row.route_index if route_index is None else route_index,
            )
        )


def timeline(runtime: WorkerRuntime, incident_id: int, kind: str) -> list[TimelineRow]:
    with runtime.sessions() as session:
        return [e for e in incident_store.timeline(session, incident_id) if e.kind == kind]


def lead_updates(runtime: WorkerRuntime, incident_id: int) -> list[UpdateRow]:
    with runtime.sessions() as session:
        return [u for u in incident_store.updates(session, incident_id) if u.kind == "unreached"]


def test_the_silent_are_renotified_on_their_next_channel_then_listed_to_the_lead_once(
    runtime: WorkerRuntime,
) -> None:
    incident, planned = declare(runtime)
    ana, bia, caio, dani = (planned[f"contact:{name}"] for name in ("ana", "bia", "caio", "dani"))
    assert all(row.ack_required for row in (ana, bia, caio, dani))
    for row in (ana, bia, caio):
        went_out(runtime, row, minutes_ago=6)
    went_out(runtime, dani, minutes_ago=1)  # still inside renotify_after
    with transaction(runtime.sessions) as session:
        answered = session.get(DeliveryRow, ana.id)
        assert answered is not None
        ack_store.acknowledge(
            session, answered, via="sms", by="+5511990000001", at=datetime.now(UTC)
        )

    first = chase_steps.chase(runtime)

    # Caio moves to Slack (management's opened is urgent); Bia had Slack only: unreached.
    assert (first.urgent, first.rest) == ([caio.id], [])
    now = rows(runtime, incident)
    moved = now["contact:caio"]
    assert (moved.route_index, moved.state, moved.attempts_on_route) == (1, "planned", 0)
    assert moved.ack_required and moved.renotified_at is not None and moved.unreached_at is None
    assert now["contact:bia"].unreached_at is not None
    assert now["contact:ana"].unreached_at is None and now["contact:ana"].renotified_at is None
    assert (now["contact:dani"].state, now["contact:dani"].route_index) == ("sent", 0)
    [told] = lead_updates(runtime, incident)
    assert first.updates == [told.id]
    assert told.recipients == ["lead"] and told.message == "Bia Reis (management)"
    assert [e.text for e in timeline(runtime, incident, "renotified")] == [
        "Caio Lima (management): no acknowledgement within 5 min; sent again on slack"
    ]
    assert len(timeline(runtime, incident, "unreached")) == 1

    # The next tick has nothing new to do: Caio's Slack message is not out yet.
    assert chase_steps.chase(runtime) == Chased()

    # Caio stays silent on Slack too: unreached, with the number we texted him.
    went_out(runtime, moved, minutes_ago=5.5)
    third = chase_steps.chase(runtime)
    assert (third.urgent, third.rest) == ([], [])
    updates = lead_updates(runtime, incident)
    assert [u.message for u in updates] == [
        "Bia Reis (management)",
        "Caio Lima (management) +5511990000003",
    ]
    assert third.updates == [updates[-1].id]
    assert chase_steps.chase(runtime) == Chased()
    assert len(lead_updates(runtime, incident)) == 2


def test_the_lead_update_is_planned_to_the_lead_alone_and_asks_nothing(
    runtime: WorkerRuntime,
) -> None:
    incident, planned = declare(runtime)
    went_out(runtime, planned["contact:bia"], minutes_ago=6)

    chased = chase_steps.chase(runtime)
    steps.plan_update(runtime, chased.updates[0])

    told = [r for r in rows(runtime, incident).values() if r.recipient_key.startswith("staff:")]
    assert [(r.recipient_key, r.ack_required, r.routes) for r in told] == [
        ("staff:contact:lead", False, [{"channel": "sms", "address": "+5511990000099"}])
    ]
    with runtime.sessions() as session:
        body = session.scalars(select(UpdateRow).where(UpdateRow.id == chased.updates[0])).one()
    assert body.kind == "unreached"


def test_concurrent_checks_renotify_once_and_tell_the_lead_once(runtime: WorkerRuntime) -> None:
    incident, planned = declare(runtime)
    went_out(runtime, planned["contact:caio"], minutes_ago=6)
    went_out(runtime, planned["contact:bia"], minutes_ago=6)
    barrier = threading.Barrier(4)
    results: list[Chased] = []
    errors: list[BaseException] = []

    def tick() -> None:
        try:
            barrier.wait()
            results.append(chase_steps.chase(runtime))
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=tick) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(i for r in results for i in r.urgent + r.rest) == [planned["contact:caio"].id]
    assert sum(len(r.updates) for r in results) == 1
    assert len(lead_updates(runtime, incident)) == 1
    assert len(timeline(runtime, incident, "renotified")) == 1
    assert len(timeline(runtime, incident, "unreached")) == 1


def test_a_delivery_that_failed_everywhere_is_unreached_at_once(runtime: WorkerRuntime) -> None:
    incident, planned = declare(runtime)
    went_out(
        runtime, planned["contact:dani"], minutes_ago=0, state=DeliveryState.FAILED, route_index=1
    )

    chased = chase_steps.chase(runtime)

    assert chased.updates and (chased.urgent, chased.rest) == ([], [])
    [told] = lead_updates(runtime, incident)
    assert told.message == "Dani Alves (management) +5511990000004"


def test_without_a_lead_the_timeline_says_nobody_could_be_told(
    runtime: WorkerRuntime, caplog: pytest.LogCaptureFixture
) -> None:
    incident, planned = declare(runtime, lead="")
    went_out(runtime, planned["contact:bia"], minutes_ago=6)

    chased = chase_steps.chase(runtime)

    assert chased == Chased()
    assert lead_updates(runtime, incident) == []
    texts = [e.text for e in timeline(runtime, incident, "unreached")]
    assert any("Bia Reis (management): no acknowledgement on any channel" in t for t in texts)
    assert any(t.startswith("nobody could be told that Bia Reis") for t in texts)
    assert "no incident lead to tell" in caplog.text
    assert rows(runtime, incident)["contact:bia"].unreached_at is not None


def test_resolved_incidents_are_not_chased(runtime: WorkerRuntime) -> None:
    incident, planned = declare(runtime)
    went_out(runtime, planned["contact:caio"], minutes_ago=6)
    with transaction(runtime.sessions) as session:
        session.execute(
            update(IncidentRow).where(IncidentRow.id == incident).values(phase="resolved")
        )

    assert chase_steps.chase(runtime) == Chased()
    assert rows(runtime, incident)["contact:caio"].route_index == 0


def test_a_newer_update_carries_the_news_and_is_what_gets_sent_again(
    runtime: WorkerRuntime,
) -> None:
    incident, planned = declare(runtime)
    went_out(runtime, planned["contact:caio"], minutes_ago=20)
    newer = plan_standby_update(runtime, incident, "contact:caio")
    assert not newer.ack_required  # an update does not ask, on its own
    went_out(runtime, newer, minutes_ago=2)
    assert chase_steps.chase(runtime) == Chased()

    went_out(runtime, newer, minutes_ago=6)
    chased = chase_steps.chase(runtime)

    assert chased.rest == [newer.id]  # an `update` is not urgent-lane work
    with runtime.sessions() as session:
        again = session.get(DeliveryRow, newer.id)
        first = session.get(DeliveryRow, planned["contact:caio"].id)
    assert again is not None and first is not None
    assert (again.route_index, again.state, again.ack_required) == (1, "planned", True)
    assert first.route_index == 0 and first.renotified_at is None


# --- dispatch: opt-outs and the button ----------------------------------------------------


@pytest.fixture
def sending(
    database_url: str, contacts_dir: Path, providers: FakeProviders, redis_url: str
) -> Iterator[WorkerRuntime]:
    settings = make_settings(
        database_url=database_url,
        broker_url=redis_url,
        providers=providers,
        contacts_dir=contacts_dir,
    )
    worker = WorkerRuntime(settings)
    yield worker
    worker.close()


def test_a_number_that_texted_stop_is_not_texted_and_the_next_channel_asks_with_a_button(
    sending: WorkerRuntime, providers: FakeProviders
) -> None:
    _, planned = declare(sending)
    caio = planned["contact:caio"]
    with transaction(sending.sessions) as session:
        ack_store.opt_out(session, "+5511990000003", keyword="STOP", at=datetime.now(UTC))

    follow_up = steps.dispatch(sending, [caio.id])

    assert follow_up.now == [caio.id]
    assert providers.records("sms") == []
    with sending.sessions() as session:
        [attempt] = session.scalars(select(AttemptRow).where(AttemptRow.delivery_id == caio.id))
        row = session.get(DeliveryRow, caio.id)
    assert (attempt.outcome, attempt.error_code) == ("permanent", "opted_out")
    assert "STOP" in attempt.error_text
    assert row is not None and (row.state, row.route_index) == ("planned", 1)

    steps.dispatch(sending, [caio.id])

    [slack] = providers.records("slack")
    buttons: list[dict[str, Any]] = [
        element
        for block in slack.raw["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]
    assert slack.to == "U0CAI0003"
    assert [(b["action_id"], b["value"], b["text"]["text"]) for b in buttons] == [
        ("outage_notify_ack", f"delivery:{caio.id}", "Acknowledge")
    ]


def test_sms_that_ask_end_with_the_request_and_messages_that_do_not_ask_have_no_button(
    sending: WorkerRuntime, providers: FakeProviders
) -> None:
    incident, planned = declare(sending)
    steps.dispatch(sending, [planned["contact:ana"].id])
    [sms] = providers.records("sms")
    assert sms.body.endswith("\nReply OK to confirm you got this.")

    providers.reset()
    bia = plan_standby_update(sending, incident, "contact:bia")
    steps.dispatch(sending, [bia.id])
    [slack] = providers.records("slack")
    assert all(block["type"] == "section" for block in slack.raw["blocks"])


def test_an_sms_asked_after_it_was_planned_ends_with_the_request_once(
    sending: WorkerRuntime, providers: FakeProviders
) -> None:
    incident, planned = declare(sending)
    # Sent before the next update (a still-planned one would be superseded by it).
    steps.dispatch(sending, [planned["contact:ana"].id])
    now = datetime.now(UTC)
    with transaction(sending.sessions) as session:
        row = incident_store.get_incident(session, incident)
        assert row is not None
        later = incident_store.add_update(
            session, row, UpdateDraft(kind=UpdateKind.UPDATE, message="Moving to standby"), now=now
        ).id
    steps.plan_update(sending, later)
    newer = next(
        r
        for r in rows(sending, incident).values()
        if r.recipient_key == "contact:caio" and r.update_id == later
    )
    assert not newer.ack_required
    # What the chase does to the newest message of someone who stays silent: it now asks.
    with transaction(sending.sessions) as session:
        session.execute(
            update(DeliveryRow).where(DeliveryRow.id == newer.id).values(ack_required=True)
        )
    request = "Reply OK to confirm you got this."

    steps.dispatch(sending, [newer.id])

    bodies = {record.to: record.body for record in providers.records("sms")}
    caio, ana = bodies["+5511990000003"], bodies["+5511990000001"]
    assert "Moving to standby" in caio
    assert caio.endswith("\n" + request) and caio.count(request) == 1
    # The opening asked already when it was rendered: not a second time.
    assert ana.endswith("\n" + request) and ana.count(request) == 1
