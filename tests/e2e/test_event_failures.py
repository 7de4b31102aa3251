"""No poison events: one event that cannot be applied fails alone, visibly, and can be retried.

Real worker, real Redis, SQLite and PostgreSQL. A poisoned event is stored directly (as an
event accepted by an older version, or one whose content the database refuses would be), then
handed to the worker like any accepted webhook.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text, update

from outage_notify.core.models import Contact
from outage_notify.store.engine import create_session_factory, create_store_engine, transaction
from outage_notify.store.tables import EventRow
from outage_notify.worker import names
from tests.e2e.test_metrics import scrape
from tests.fixtures.service import RunningService, wait_for
from tests.fixtures.webhooks import webhook_payload

# The notice is in the lead's language (ana.souza reads pt-BR); its retry link in any.
NOTICE = "/retry"


def generic(name: str, **changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = webhook_payload(name)
    payload.update(changes)
    return payload


def lead_of(service: RunningService) -> Contact:
    return next(
        c for c in service.directory.audiences["management"].contacts if c.channels[0] == "sms"
    )


def start(
    service_factory: Callable[..., RunningService], database_url: str, **overrides: Any
) -> tuple[RunningService, Contact]:
    # Resolved alerts act at once here (no RESOLVE_HOLD_SECONDS): these tests are about events.
    overrides.setdefault("resolve_hold_seconds", 0)
    service = service_factory(database_url, metrics_token="test-metrics-token-0123", **overrides)
    return service, lead_of(service)


def post_generic(service: RunningService, payload: dict[str, Any]) -> int:
    response = service.call("POST", "/api/v1/webhooks/generic", role="monitor", json=payload)
    assert response.status_code == 202, response.text
    return int(response.json()["event_id"])


def poison(service: RunningService, *, service_name: str, payload: dict[str, Any], key: str) -> int:
    """Store an event the worker cannot apply and enqueue it, as the webhook route does."""
    sessions = create_session_factory(create_store_engine(service.settings.database_url))
    with transaction(sessions) as session:
        row = EventRow(
            source="alertmanager",
            service=service_name,
            dedup_key=key,
            kind="alert",
            payload=payload,
            actor="monitor-bot",
        )
        session.add(row)
        session.flush()
        event_id = row.id
    service.celery.send_task(names.PROCESS_EVENT, args=[event_id], queue=names.QUEUE_EVENTS)
    return event_id


def events(service: RunningService, state: str | None = None) -> list[dict[str, Any]]:
    params = {"state": state} if state else {}
    response = service.call("GET", "/api/v1/events", params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def event(service: RunningService, event_id: int) -> dict[str, Any]:
    return next(e for e in events(service) if e["id"] == event_id)


def incident_of(service: RunningService, event_id: int) -> int:
    found = wait_for(lambda: event(service, event_id)["incident_id"], what="event applied")
    return int(found)


def quiet(service: RunningService, timeout: float = 60.0) -> None:
    """Wait until every incident's updates are planned and sent: the next test's database
    cleanup must not race a fan-out still running in this test's worker."""

    def settled() -> bool:
        for item in service.call("GET", "/api/v1/incidents", params={"limit": 500}).json()["items"]:
            updates = service.call("GET", f"/api/v1/incidents/{item['id']}").json()["updates"]
            if not service.settled(item["id"], updates=len(updates)):
                return False
        return True

    wait_for(settled, timeout=timeout, interval=0.2, what="every fan-out finished")


def notices(service: RunningService, lead: Contact) -> list[str]:
    texts = service.providers.records("sms")
    return [r.body for r in texts if r.to == lead.phone and NOTICE in r.body]


def test_a_failed_event_blocks_no_later_event_and_the_lead_is_told(
    service_factory: Callable[..., RunningService], database_url: str
) -> None:
    service, lead = start(service_factory, database_url, default_lead="ana.souza")
    opened = post_generic(service, generic("generic_firing.json"))
    incident = incident_of(service, opened)
    wait_for(lambda: service.settled(incident, updates=1), timeout=60, what="opened fan-out")
    service.providers.reset()

    bad = poison(
        service,
        service_name="email",
        payload={"source": "alertmanager", "status": "firing"},  # no summary, no keys
        key="poisoned-1",
    )
    resolved = post_generic(service, generic("generic_resolved.json"))

    # The resolution behind the bad event still applies and is told.
    assert incident_of(service, resolved) == incident
    wait_for(lambda: service.settled(incident, updates=3), timeout=60, what="resolved fan-out")
    detail = service.call("GET", f"/api/v1/incidents/{incident}").json()
    assert detail["phase"] == "resolved"
    kinds = [u["kind"] for u in detail["updates"]]
    assert kinds[0] == "opened" and "resolved" in kinds and "event_failed" in kinds
    assert [r for r in service.providers.records() if NOTICE not in r.body], "nobody told"

    failed = event(service, bad)
    assert failed["state"] == "failed" and failed["attempts"] == 1
    assert failed["error"].startswith("ValidationError: ")
    assert "summary: Field required" in failed["error"]
    assert [e["id"] for e in events(service, "failed")] == [bad]
    assert event(service, resolved)["state"] == "applied"
    # The lead is told once, with the event and how to retry it.
    (body,) = wait_for(lambda: notices(service, lead), what="the lead's notice")
    assert "alertmanager" in body and f"/api/v1/events/{bad}/retry" in body
    assert "falhou ao ser processado" in body and "could not be processed" not in body


def test_a_database_refusal_fails_only_its_event(
    service_factory: Callable[..., RunningService], postgres_url: str
) -> None:
    """PostgreSQL refuses one event's incident (a CHECK constraint the operator added, here
    standing for any refusal the models do not foresee): that event alone is rolled back."""
    from outage_notify.store.engine import upgrade
    from tests.fixtures.databases import _empty

    engine = create_store_engine(postgres_url)
    upgrade(engine)
    _empty(engine)
    with engine.begin() as connection:
        connection.execute(
            text("ALTER TABLE incidents ADD CONSTRAINT no_poison CHECK (title <> 'poison')")
        )
    service, lead = start(service_factory, postgres_url, default_lead="")
    try:
        payload = json.loads(json.dumps(generic("generic_firing.json")))
        payload.update(
            source="alertmanager", dedup_key="refused", group_key="refused", service="db",
            summary="poison",
        )  # fmt: skip
        bad = poison(service, service_name="db", payload=payload, key="refused")
        later = post_generic(
            service, generic("generic_firing.json", service="db", dedup_key="db-1")
        )
        incident = incident_of(service, later)
        wait_for(lambda: service.settled(incident, updates=1), timeout=60, what="opened")
        failed = wait_for(
            lambda: [e for e in events(service, "failed") if e["id"] == bad], what="failed"
        )
        assert failed[0]["error"].startswith("CheckViolation: "), failed
        assert "INSERT" not in failed[0]["error"], failed
        # No lead and no DEFAULT_LEAD: the failure is listed and counted, nobody is texted.
        assert not notices(service, lead)
        assert scrape(service)["outage_notify_events"][(("state", "failed"),)] == 1
    finally:
        with engine.begin() as connection:
            connection.execute(text("ALTER TABLE incidents DROP CONSTRAINT no_poison"))
        engine.dispose()


def test_text_that_once_poisoned_its_service_now_applies(
    service_factory: Callable[..., RunningService], database_url: str
) -> None:
    """A summary over its column and a lone surrogate used to fail on PostgreSQL (and block the
    service); the event model now cuts and cleans them, so the event applies."""
    service, _ = start(service_factory, database_url, default_lead="")
    payload = json.loads(json.dumps(generic("generic_firing.json")))
    payload.update(
        source="alertmanager", dedup_key="long", group_key="long", service="db",
        summary="x" * 400 + " \ud800",
    )  # fmt: skip
    event_id = poison(service, service_name="db", payload=payload, key="long")
    incident = incident_of(service, event_id)
    wait_for(lambda: service.settled(incident, updates=1), timeout=60, what="opened fan-out")
    assert event(service, event_id)["state"] == "applied"
    assert events(service, "failed") == []


def test_retry_applies_the_event_after_the_cause_is_fixed(
    service_factory: Callable[..., RunningService], database_url: str
) -> None:
    service, _ = start(service_factory, database_url, default_lead="ana.souza")
    payload = generic("generic_firing.json", source="alertmanager", group_key="g1", service="web")
    broken = {k: v for k, v in payload.items() if k != "severity"}
    bad = poison(service, service_name="web", payload=broken, key="web-broken")
    wait_for(lambda: event(service, bad)["state"] == "failed", what="failed")
    assert service.call("POST", f"/api/v1/events/{bad}/retry", role="monitor").status_code == 403
    assert service.call("GET", "/api/v1/events", role="monitor").status_code == 403
    assert service.call("POST", "/api/v1/events/999999/retry").status_code == 404

    # The cause is removed (here: the payload repaired, as a fix of the code would), then retried.
    engine = create_store_engine(database_url)
    with engine.begin() as connection:
        connection.execute(update(EventRow).where(EventRow.id == bad).values(payload=payload))
    engine.dispose()
    response = service.call("POST", f"/api/v1/events/{bad}/retry")
    assert response.status_code == 202, response.text
    assert response.json()["event"]["state"] == "pending" and response.json()["queued"]
    incident = incident_of(service, bad)
    wait_for(lambda: service.settled(incident, updates=1), timeout=60, what="opened fan-out")
    retried = event(service, bad)
    assert retried["state"] == "applied" and retried["error"] == "" and retried["attempts"] == 2
    again = service.call("POST", f"/api/v1/events/{bad}/retry")
    assert again.status_code == 409 and "applied" in again.json()["detail"]
    audit = service.call("GET", "/api/v1/audit", role="admin").json()["items"]
    assert [(a["action"], a["detail"]["event_id"], a["actor"]) for a in audit] == [
        ("retry_event", bad, "staff-bot")
    ]


def test_the_lead_is_told_once_an_hour_whatever_the_failures(
    service_factory: Callable[..., RunningService], database_url: str
) -> None:
    service, lead = start(service_factory, database_url, default_lead="ana.souza")
    opened = post_generic(service, generic("generic_firing.json"))
    incident = incident_of(service, opened)
    wait_for(lambda: service.settled(incident, updates=1), timeout=60, what="opened fan-out")
    bad = [
        poison(service, service_name=name, payload={"source": "x"}, key=f"bad-{i}")
        for i, name in enumerate(["email", "web", "email", "db"])
    ]
    wait_for(lambda: len(events(service, "failed")) == 4, what="four failed events")
    wait_for(lambda: service.settled(incident, updates=2), timeout=60, what="the notice")
    time.sleep(1.0)  # room for a second notice, were one planned
    assert len(notices(service, lead)) == 1
    updates = service.call("GET", f"/api/v1/incidents/{incident}").json()["updates"]
    assert [u["kind"] for u in updates].count("event_failed") == 1
    samples = scrape(service)["outage_notify_events"]
    assert samples[(("state", "failed"),)] == 4 and samples[(("state", "pending"),)] == 0
    assert samples[(("state", "applied"),)] == 1
    assert {e["id"] for e in events(service, "failed")} == set(bad)


@pytest.mark.parametrize("state", ["applied", "pending"])
def test_only_a_failed_event_can_be_retried(
    service_factory: Callable[..., RunningService], database_url: str, state: str
) -> None:
    service, _ = start(service_factory, database_url)
    if state == "applied":
        event_id = post_generic(service, generic("generic_firing.json"))
        wait_for(lambda: event(service, event_id)["state"] == "applied", what="applied")
        quiet(service)
    else:
        # Stored, never enqueued: pending until the sweeper finds it.
        sessions = create_session_factory(create_store_engine(service.settings.database_url))
        with transaction(sessions) as session:
            row = EventRow(source="generic", service="email", dedup_key="p", kind="alert",
                           payload={}, actor="monitor-bot")  # fmt: skip
            session.add(row)
            session.flush()
            event_id = row.id
    response = service.call("POST", f"/api/v1/events/{event_id}/retry")
    assert response.status_code == 409, response.text
    assert f"is {state}" in response.json()["detail"]
