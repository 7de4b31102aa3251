"""The console's maintenance page on PostgreSQL and SQLite (issue 19, item 3): schedule a window
with local times in the organisation's zone, extend, complete and cancel it, each read back
through the API and audited under the signed-in person's name; mistakes are a page with the
reason and change nothing, and a form without its CSRF token is refused."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outage_notify.worker import maintenance_steps
from outage_notify.worker.runtime import WorkerRuntime
from tests.console.console_client import csrf_of, sign_in, submit
from tests.fixtures.app import api_client
from tests.fixtures.clock import ManualClock
from tests.fixtures.settings import service_settings
from tests.strategies import examples

TOKENS = "staff:duty-phone:maint-staff-token,admin:root:maint-admin-token"
STAFF = {"Authorization": "Bearer maint-staff-token"}
ADMIN = {"Authorization": "Bearer maint-admin-token"}
ACTOR = "Alice Example (duty-phone)"
PAGE = "/console/maintenance"
# Tuesday 15 January 2030, 10:00 in São Paulo (UTC-3).
NOW = datetime(2030, 1, 15, 13, 0, tzinfo=UTC)
TEXT = "We are moving the mail server to a new machine."


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture(name="settings")
def settings_fixture(database_url: str) -> Any:
    return service_settings(
        database_url=database_url, api_tokens=TOKENS, timezone="America/Sao_Paulo"
    )


@pytest.fixture
def console(settings: Any, clock: ManualClock) -> Iterator[TestClient]:
    with api_client(settings, clock=clock) as client:
        assert sign_in(client, "maint-staff-token", name="Alice Example").status_code == 303
        yield client


def windows(client: TestClient) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = client.get("/api/v1/maintenances", headers=STAFF).json()["items"]
    return items


def schedule(client: TestClient, **fields: Any) -> Any:
    form = {
        "text": TEXT,
        "start": "2030-01-16T22:00",
        "end": "2030-01-17T01:00",
        "components": ["inbound"],
        "audiences": ["management", "users"],
        **fields,
    }
    return submit(client, PAGE, PAGE, **form)


def post(client: TestClient, maintenance_id: int, form: str, **fields: Any) -> Any:
    return submit(client, f"{PAGE}/{maintenance_id}/{form}", PAGE, **fields)


def test_a_window_is_scheduled_extended_and_cancelled_from_the_console(
    console: TestClient,
) -> None:
    page = console.get(PAGE)
    assert page.status_code == 200 and "Schedule a window" in page.text
    assert 'href="/console/maintenance"' in console.get("/console/incidents").text
    made = schedule(console, require_probes="on")
    assert made.status_code == 303, made.text
    assert made.headers["location"] == f"{PAGE}?done=scheduled"
    [window] = windows(console)
    # 22:00 in São Paulo is 01:00 UTC the next day.
    assert datetime.fromisoformat(window["start"]) == datetime(2030, 1, 17, 1, 0, tzinfo=UTC)
    assert datetime.fromisoformat(window["end"]) == datetime(2030, 1, 17, 4, 0, tzinfo=UTC)
    assert window["created_by"] == ACTOR and window["require_probes"] is True
    assert window["components"] == ["inbound"] and window["audiences"] == ["management", "users"]
    listed = console.get(made.headers["location"]).text
    assert "Saved: scheduled." in listed and TEXT in listed
    assert "2030-01-16 22:00" in listed and f'id="cancel-{window["id"]}"' in listed

    extended = post(console, window["id"], "extend", end="2030-01-17T02:30", reason="disk copy")
    assert extended.status_code == 303, extended.text
    shown = console.get(f"/api/v1/maintenances/{window['id']}", headers=STAFF).json()
    assert datetime.fromisoformat(shown["end"]) == datetime(2030, 1, 17, 5, 30, tzinfo=UTC)
    assert shown["timeline"][-1]["actor"] == ACTOR and "disk copy" in shown["timeline"][-1]["text"]

    # Not started: completing is refused with the reason, cancelling works.
    early = post(console, window["id"], "complete")
    assert early.status_code == 409 and "cancel a scheduled one" in early.text
    cancelled = post(console, window["id"], "cancel", reason="the vendor postponed")
    assert cancelled.status_code == 303, cancelled.text
    assert windows(console)[0]["state"] == "cancelled"
    past = console.get(PAGE).text
    assert "Nothing scheduled." in past and f'id="cancel-{window["id"]}"' not in past

    audit = console.get("/api/v1/audit", headers=ADMIN).json()["items"]
    mine = [e for e in audit if e["action"].startswith("maintenance_")]
    assert {e["action"] for e in mine} == {
        "maintenance_schedule",
        "maintenance_extend",
        "maintenance_cancel",
    }
    assert all(e["actor"] == ACTOR and e["client"].startswith("console") for e in mine)


def test_an_active_window_is_completed_from_the_console(
    console: TestClient, settings: Any, clock: ManualClock
) -> None:
    assert schedule(console).status_code == 303
    [window] = windows(console)
    # The beat step starts it at its start, as a worker's tick would.
    clock.advance(datetime(2030, 1, 17, 1, 1, tzinfo=UTC) - clock.now())
    runtime = WorkerRuntime(settings, clock=clock)
    try:
        maintenance_steps.advance(runtime)
    finally:
        runtime.close()
    assert windows(console)[0]["state"] == "active"
    # Two days later the session has ended: sign in again.
    assert sign_in(console, "maint-staff-token", name="Alice Example").status_code == 303
    page = console.get(PAGE).text
    assert f'id="complete-{window["id"]}"' in page and f'id="cancel-{window["id"]}"' not in page
    done = post(console, window["id"], "complete", reason="done early")
    assert done.status_code == 303, done.text
    shown = console.get(f"/api/v1/maintenances/{window['id']}", headers=STAFF).json()
    assert datetime.fromisoformat(shown["end"]) == clock.now()
    assert shown["timeline"][-1]["kind"] == "complete_requested"
    assert shown["timeline"][-1]["actor"] == ACTOR
    assert console.post(f"{PAGE}/{window['id']}/cancel", data={}).status_code == 403


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"end": "2030-01-16T21:00"}, "must be after"),
        ({"start": "2030-01-14T22:00"}, "in the past"),
        ({"start": ""}, "please give both"),
        ({"start": "tomorrow"}, "is not a date and time"),
        ({"end": "2030-01-25T22:00"}, "at most 7 days"),
        ({"components": ["webmial"]}, "unknown component(s) webmial"),
        ({"audiences": ["board"]}, "unknown audience(s) board"),
        ({"text": ""}, "Public text: please fill this in"),
        ({"text": "x" * 2001}, "at most 2000 characters"),
    ],
)
def test_a_bad_form_is_refused_with_its_reason_and_stores_nothing(
    console: TestClient, fields: dict[str, Any], reason: str
) -> None:
    refused = schedule(console, **fields)
    assert refused.status_code == 400, refused.text
    assert reason in refused.text
    assert windows(console) == []


@pytest.mark.parametrize("csrf", [None, "", "wrong-token"])
def test_a_maintenance_form_without_its_csrf_token_is_refused(
    console: TestClient, csrf: str | None
) -> None:
    fields: dict[str, Any] = {"text": TEXT, "start": "2030-01-16T22:00", "end": "2030-01-17T01:00"}
    sent = fields if csrf is None else {**fields, "csrf": csrf}
    refused = console.post(PAGE, data=sent, follow_redirects=False)
    assert refused.status_code == 403 and "CSRF check" in refused.text
    assert windows(console) == []
    assert schedule(console).status_code == 303
    [window] = windows(console)
    cancel = console.post(f"{PAGE}/{window['id']}/cancel", data=sent, follow_redirects=False)
    assert cancel.status_code == 403 and windows(console)[0]["state"] == "scheduled"


def test_an_unknown_window_is_a_404_page(console: TestClient) -> None:
    missing = submit(console, f"{PAGE}/999999/cancel", PAGE)
    assert missing.status_code == 404 and "no maintenance 999999" in missing.text


FIELD = st.text(max_size=300) | st.sampled_from(
    ["", "inbound", "management", "2030-01-16T22:00", "2030-01-17T01:00", "on"]
)


@pytest.mark.fuzz
def test_any_schedule_form_is_a_redirect_or_a_page_with_the_reason(console: TestClient) -> None:
    """Any text in any field of the schedule form: scheduled (303) or refused with a page
    (4xx), never a 500."""
    token = csrf_of(console.get(PAGE).text)

    @settings(
        max_examples=examples(),
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(text=FIELD, start=FIELD, end=FIELD, components=FIELD, audiences=FIELD, probes=FIELD)
    def scheduled(
        text: str, start: str, end: str, components: str, audiences: str, probes: str
    ) -> None:
        sent = console.post(
            PAGE,
            data={
                "csrf": token,
                "text": text,
                "start": start,
                "end": end,
                "components": components,
                "audiences": audiences,
                "require_probes": probes,
            },
            follow_redirects=False,
        )
        assert sent.status_code == 303 or 400 <= sent.status_code < 500, sent.text[:300]

    scheduled()
