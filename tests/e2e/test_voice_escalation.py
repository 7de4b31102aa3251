"""Issue 20, item 2 end to end: the manager no message reached is phoned until they press 1.

One real API (on a socket the fake Twilio calls back) and Celery worker, on SQLite and
PostgreSQL, with a `ManualClock`: the chase's ticks are run one by one after moving the clock,
so "call again in 10 minutes" takes no time. The fake Twilio places the calls, parses their
TwiML, answers per number (answer, no-answer, busy, machine) and posts the keypress and the
status callbacks, signed as Twilio signs them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine

from outage_notify.integrations.fake_server import FakeProviders
from outage_notify.store.engine import create_store_engine
from outage_notify.worker import names
from tests.console.console_client import sign_in
from tests.fixtures import voice
from tests.fixtures.app import api_app
from tests.fixtures.clock import ManualClock
from tests.fixtures.live_api import LiveApi
from tests.fixtures.service import RunningService, wait_for
from tests.fixtures.settings import TOKENS

MARA, NICO, QUINN, LIA = "+5511990000011", "+5511990000012", "+5511990000013", "+5511990000014"
# 15:00 UTC is noon in São Paulo: inside Quinn's quiet hours.
START = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
MANAGEMENT = f"""
audience: management
contacts:
  - {{id: mara, name: Mara Dias, phone: "{MARA}", channels: [sms]}}
  - {{id: nico, name: Nico Ramos, phone: "{NICO}", channels: [sms]}}
  - {{id: quinn, name: Quinn Sa, phone: "{QUINN}", channels: [sms], quiet_hours: "11:00-14:00"}}
  - {{id: lia, name: Lia Lead, phone: "{LIA}", channels: [sms]}}
"""
ROUTING = """
rules:
  - audience: management
acknowledge:
  - audience: management
    renotify_after_minutes: 5
"""
RETRY = timedelta(minutes=10)


@pytest.fixture
def providers() -> Iterator[FakeProviders]:
    """Fake providers of our own: they sign and post callbacks, and hold this test's phones."""
    with FakeProviders() as fake:
        yield fake


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def service(
    service_factory: Callable[..., RunningService],
    database_url: str,
    live_api: LiveApi,
    tmp_path: Path,
    clock: ManualClock,
) -> Iterator[RunningService]:
    folder = tmp_path / "contacts"
    folder.mkdir()
    (folder / "management.yaml").write_text(MANAGEMENT)
    (folder / "routing.yaml").write_text(ROUTING)
    running = service_factory(
        database_url,
        clock=clock,
        contacts_dir=folder,
        public_base_url=live_api.base_url,
        voice={"enabled": True, "retry_minutes": 10, "max_calls": 3},
    )
    running.providers.twilio_auth_token = running.settings.twilio.auth_token.get_secret_value()
    live_api.serve(api_app(running.api))
    yield running
    live_api.stop()


def phone_does(service: RunningService, number: str, outcome: str) -> None:
    voice.phone_does(service.providers, number, outcome)


def calls(service: RunningService) -> list[dict[str, Any]]:
    return voice.fake_calls(service.providers)


def calls_to(service: RunningService, number: str) -> list[dict[str, Any]]:
    return voice.calls_to(service.providers, number)


def press(service: RunningService, sid: str, digits: str) -> dict[str, Any]:
    return voice.press(service.providers, sid, digits)


def declare(service: RunningService, severity: str) -> int:
    response = service.call(
        "POST",
        "/api/v1/incidents",
        json={
            "title": "Inbound mail bouncing",
            "severity": severity,
            "components": ["inbound"],
            "lead": "lia",
        },
    )
    assert response.status_code == 201, response.text
    incident: int = response.json()["incident"]["id"]
    wait_for(lambda: service.settled(incident, updates=1), timeout=60, what="opened sent")
    return incident


def chase(service: RunningService, ticks: int = 2) -> None:
    """`ticks` beat ticks of the chase at once (they race for the same call slots)."""
    service.ticks(names.CHASE, ticks)


def timeline(service: RunningService, incident: int) -> list[dict[str, Any]]:
    shown: dict[str, Any] = service.call("GET", f"/api/v1/incidents/{incident}").json()
    return list(shown["timeline"])


def management(service: RunningService, incident: int) -> dict[str, dict[str, Any]]:
    page = service.call(
        "GET",
        f"/api/v1/incidents/{incident}/deliveries",
        params={"audience": "management", "limit": 500},
    ).json()
    return {item["recipient"]: item for item in page["items"]}


def test_the_silent_manager_is_called_presses_1_and_is_acknowledged_the_other_unreached(
    service: RunningService, clock: ManualClock
) -> None:
    phone_does(service, NICO, "no-answer")
    incident = declare(service, "critical")
    assert {r.to for r in service.providers.records("sms")} == {MARA, NICO, QUINN, LIA}
    assert calls(service) == []  # texts first: nobody is phoned before the chase gives up

    clock.advance(timedelta(minutes=6))
    chase(service)
    # Two ticks raced: each person is called once, and never the lead about their own incident.
    assert sorted(call["to"] for call in calls(service)) == [MARA, NICO, QUINN]
    (call,) = calls_to(service, MARA)
    # The update is read out in Mara's language, with the prompt, and a signed Gather action.
    said = " ".join(call["says"])
    assert "Inbound mail" in said or "inbound" in said.lower()
    assert "1" in said
    assert call["action"].startswith(service.settings.public_base_url + "/api/v1/webhooks/")
    assert call["machine_detection"] == "Enable"

    answer = press(service, call["sid"], "1")
    assert answer["status"] == 200 and "<Hangup" in answer["body"]
    rows = management(service, incident)
    assert rows["contact:mara"]["acked_at"] is not None
    assert rows["contact:mara"]["acked_via"] == "voice"

    # Nico: no answer, again every 10 minutes, three calls, then unreached.
    for _ in range(2):
        clock.advance(RETRY)
        chase(service)
    assert len(calls_to(service, NICO)) == 3
    assert len(calls_to(service, MARA)) == 1  # acknowledged: never called again
    clock.advance(RETRY)
    chase(service)
    assert len(calls_to(service, NICO)) == 3
    entries = [t["text"] for t in timeline(service, incident) if t["kind"] == "unreached"]
    assert any("Nico Ramos" in text and "no answer to 3 calls" in text for text in entries)
    assert management(service, incident)["contact:nico"]["unreached_at"] is not None
    assert calls_to(service, LIA) == []


def test_quiet_hours_hold_calls_about_a_non_critical_incident(
    service: RunningService, clock: ManualClock
) -> None:
    for number in (MARA, NICO, QUINN):
        phone_does(service, number, "busy")
    declare(service, "major")
    clock.advance(timedelta(minutes=6))
    chase(service)
    # Quinn's quiet hours (11:00-14:00 São Paulo; it is 12:06 there) hold her call.
    assert sorted(call["to"] for call in calls(service)) == [MARA, NICO]
    # Two hours later (14:16 there) the quiet hours are over.
    clock.advance(timedelta(hours=2, minutes=10))
    chase(service)
    assert len(calls_to(service, QUINN)) == 1
    assert calls_to(service, LIA) == []


@pytest.mark.parametrize(
    "fault",
    [
        # Twilio took the call but the answer never came back (the unknown outcome).
        {"drop": True},
        # Twilio answered 500: the call may or may not ring; it counts as this slot's call.
        {"http_status": 500},
        # A slow answer, past nothing: the call goes out once.
        {"delay": 0.5},
        # Twilio answered 503: as 500.
        {"http_status": 503},
        # The answer later than our Twilio timeout (5 s): placed, but we never hear so.
        {"delay": 6.0},
    ],
)
def test_fault_modes_never_double_a_call(
    service: RunningService, clock: ManualClock, fault: dict[str, Any]
) -> None:
    for number in (MARA, NICO, QUINN):
        phone_does(service, number, "answer")
    service.providers.add_fault("voice", to=MARA, method="calls.create", times=1, **fault)
    declare(service, "critical")
    clock.advance(timedelta(minutes=6))
    chase(service, ticks=3)
    chase(service, ticks=3)
    # One call each, whatever Twilio answered; the next only after the retry interval.
    assert len(calls_to(service, MARA)) == (0 if "http_status" in fault else 1)
    assert len(calls_to(service, NICO)) == 1
    clock.advance(RETRY)
    chase(service, ticks=3)
    assert len(calls_to(service, MARA)) == (1 if "http_status" in fault else 2)
    assert len(calls_to(service, NICO)) == 2
    voice.assert_no_call_doubled(service.providers, engine_of(service), max_calls=3)


def engine_of(service: RunningService) -> Engine:
    return create_store_engine(service.settings.database_url)


def test_replayed_and_out_of_order_callbacks_record_one_acknowledgement_and_double_no_call(
    service: RunningService, clock: ManualClock
) -> None:
    """Twilio posts a webhook again when it got no answer in time, and a call's requests can
    arrive in any order: the keypress after the final status, a status twice, a stale one."""
    token = service.providers.twilio_auth_token
    for number in (MARA, NICO, QUINN):
        phone_does(service, number, "answer")
    incident = declare(service, "critical")
    clock.advance(timedelta(minutes=6))
    chase(service, ticks=3)
    (mara,), (nico,), (quinn,) = (calls_to(service, n) for n in (MARA, NICO, QUINN))

    # Mara presses 1, and the Gather action is posted twice more (Twilio retrying it), then
    # her call's final status twice.
    assert press(service, mara["sid"], "1")["status"] == 200
    for _ in range(2):
        again = voice.replay(
            mara["action"], voice.call_form(mara, "in-progress", Digits="1"), token
        )
        assert again.status_code == 200 and "<Hangup" in again.text, again.text
    for _ in range(2):
        done = voice.call_form(mara, "completed", AnsweredBy="human")
        assert voice.replay(mara["status_callback"], done, token).status_code == 204
    # Quinn hangs up; her keypress arrives after the final status (a retried action).
    hung_up = voice.call_form(quinn, "completed", AnsweredBy="human")
    assert voice.replay(quinn["status_callback"], hung_up, token).status_code == 204
    for _ in range(2):
        late = voice.replay(quinn["action"], voice.call_form(quinn, "completed", Digits="1"), token)
        assert late.status_code == 200, late.text
    # Nico's voicemail answers: reported twice, then a stale, different status for that call.
    for status, answered_by in [("completed", "machine_start")] * 2 + [("no-answer", "")]:
        form = voice.call_form(nico, status, **({"AnsweredBy": answered_by} if answered_by else {}))
        assert voice.replay(nico["status_callback"], form, token).status_code == 204

    rows = management(service, incident)
    assert (rows["contact:mara"]["acked_via"], rows["contact:quinn"]["acked_via"]) == (
        "voice",
        "voice",
    )
    acknowledged = [t["text"] for t in timeline(service, incident) if t["kind"] == "acknowledged"]
    assert sum("Mara Dias" in text for text in acknowledged) == 1
    assert sum("Quinn Sa" in text for text in acknowledged) == 1
    # Nico is called again after each retry interval (racing ticks), the stale status of his
    # first call replayed in between; three calls, then unreached with the first outcome kept.
    for _ in range(3):
        clock.advance(RETRY)
        chase(service, ticks=3)
        assert voice.replay(nico["status_callback"], form, token).status_code == 204
    calls = voice.assert_no_call_doubled(service.providers, engine_of(service), max_calls=3)
    assert sorted(call["to"] for call in calls) == sorted([MARA, QUINN, NICO, NICO, NICO])
    entries = [t["text"] for t in timeline(service, incident) if t["kind"] == "unreached"]
    assert [text for text in entries if "Nico Ramos" in text] == [
        "Nico Ramos (management): no acknowledgement on any channel; "
        "no answer to 3 calls (machine, placed, placed)"
    ]


def scrape(service: RunningService) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """GET /metrics parsed by prometheus_client's own parser: sample name -> {labels: value}."""
    response = service.api.get("/metrics")
    assert response.status_code == 200, response.text
    samples: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def test_the_calls_are_a_figure_in_coverage_the_report_the_console_and_metrics(
    service: RunningService, clock: ManualClock
) -> None:
    """Issue 20, item 4: Mara presses 1 on the first call; Nico rings out twice, then is busy;
    Quinn's voicemail answers three times. Every place a person looks shows the same calls."""
    phone_does(service, NICO, "no-answer")
    phone_does(service, QUINN, "machine")
    incident = declare(service, "critical")
    clock.advance(timedelta(minutes=6))
    chase(service)
    (call,) = calls_to(service, MARA)
    press(service, call["sid"], "1")
    clock.advance(RETRY)
    chase(service)
    phone_does(service, NICO, "busy")
    clock.advance(RETRY)
    chase(service)
    clock.advance(RETRY)
    chase(service)  # every call made: Nico and Quinn are unreached
    assert [len(calls_to(service, n)) for n in (MARA, NICO, QUINN, LIA)] == [1, 3, 3, 0]

    detail = service.call("GET", f"/api/v1/incidents/{incident}").json()
    (management,) = [c for c in detail["coverage"] if c["audience"] == "management"]
    assert management["calls"] == {
        "people": 3,
        "placed": 7,
        "answered": 1,  # Mara; a voicemail greeting is not an answer
        "confirmed": 1,
        "no_answer": 2,
        "busy": 1,
        "voicemail": 3,
        "failed": 0,
        "in_progress": 0,
        "unreached": [{"name": "Nico Ramos", "calls": 3}, {"name": "Quinn Sa", "calls": 3}],
    }
    assert management["unreached"] == ["Nico Ramos", "Quinn Sa"]

    report = service.call("GET", f"/api/v1/incidents/{incident}/report").json()
    (figure,) = [c for c in report["coverage"] if c["audience"] == "management"]
    assert figure["calls"] == management["calls"]
    text = service.call("GET", f"/api/v1/incidents/{incident}/report", params={"format": "md"}).text
    assert "### Phone calls" in text
    assert "| management | 3 | 7 | 1 | 1 | 2 | 1 | 3 | 0 | 0 | 2 |" in text
    assert "- Nico Ramos (management): called 3 times without answer" in text
    page = service.call(
        "GET", f"/api/v1/incidents/{incident}/report", params={"format": "html"}
    ).text
    assert "<h3>Phone calls</h3>" in page
    assert "Quinn Sa\n(management): called 3 times without answer" in page

    assert sign_in(service.api, TOKENS["staff"], name="Duty").status_code == 303
    live = service.api.get(f"/console/incidents/{incident}/live")
    assert live.status_code == 200
    assert "Phone calls" in live.text, live.text
    calls_table = live.text[live.text.index("Phone calls") :]
    row = re.search(r'<th scope="row">management</th>(.*?)</tr>', calls_table)
    assert row is not None, calls_table
    figures = [int(n) for n in re.findall(r">(\d+)</td>", row.group(1))]
    assert figures == [3, 7, 1, 1, 2, 1, 3, 0, 0, 2]
    assert live.text.count("called 3 times without answer") == 2

    got = scrape(service)
    assert got["outage_notify_voice_calls"] == {
        (("state", state),): count
        for state, count in {
            "claimed": 0, "placed": 0, "acknowledged": 1, "completed": 0, "machine": 3,
            "no-answer": 2, "busy": 1, "failed": 0,
        }.items()
    }  # fmt: skip
    assert got["outage_notify_voice_calls_placed_total"] == {(): 7}
    outcomes = got["outage_notify_voice_call_outcomes_total"]
    assert outcomes[(("outcome", "machine"),)] == 3
    assert sum(outcomes.values()) == 7
