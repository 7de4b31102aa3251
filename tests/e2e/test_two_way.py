"""Issue 8 end to end: stakeholders acknowledge, the silent are chased, staff act from a phone.

One real API + Celery worker on SQLite and PostgreSQL, the fake Twilio and Slack, and the
requests Twilio and Slack would send us, signed as they sign them (tests/fixtures/inbound.py).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Unpack
from zoneinfo import ZoneInfo

import httpx2
import pytest
from pydantic import SecretStr

from outage_notify.config.settings import SlackSettings
from outage_notify.fakes.state import FakeRecord
from outage_notify.integrations.fake_server import FakeProviders
from outage_notify.worker import names
from tests.fixtures.inbound import (
    COMMANDS,
    PUBLIC,
    SIGNING_SECRET,
    SlackSigning,
    button_payload,
    press,
    slack_post,
    text_us,
)
from tests.fixtures.service import RunningService, wait_for

STAFF_PHONE = "+5511990000001"  # Ana, the incident lead, may also run commands by SMS
STRANGER_PHONE = "+5511990009999"
STAFF_SLACK_USER = "U0ANA0001"
# Re-notify after 3 s without an acknowledgement; every manager within 30 s.
RENOTIFY_MINUTES = 0.05
DEADLINE_MINUTES = 0.5
RENOTIFY = timedelta(minutes=RENOTIFY_MINUTES)
REPLY_OK = "Reply OK to confirm you got this."
TRIGGERS = itertools.count(1)

MANAGEMENT = """
audience: management
deliver: first
contacts:
  - {id: ana, name: Ana Souza, phone: "+5511990000001", slack: U0ANA0001, channels: [sms, slack]}
  - {id: ricardo, name: Ricardo Almeida, phone: "+5511990000002", slack: U0RIC0002,
     channels: [sms, slack]}
  - {id: fernanda, name: Fernanda Lima, phone: "+5521990000003", slack: U0FER0003,
     channels: [slack, sms]}
  - {id: sam, name: Silent Sam, phone: "+5521990000004", slack: U0SAM0004, channels: [sms, slack]}
"""
ROUTING = f"""
rules:
  - audience: management
acknowledge:
  - audience: management
    kinds: [opened, reopened]
    renotify_after_minutes: {RENOTIFY_MINUTES}
    deadline_minutes: {DEADLINE_MINUTES}
"""


@pytest.fixture
def contacts_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "contacts"
    folder.mkdir()
    (folder / "management.yaml").write_text(MANAGEMENT)
    (folder / "routing.yaml").write_text(ROUTING)
    return folder


@pytest.fixture
def two_way(
    service_factory: Callable[..., RunningService],
    database_url: str,
    providers: FakeProviders,
    contacts_dir: Path,
) -> Iterator[RunningService]:
    yield service_factory(
        database_url,
        contacts_dir=contacts_dir,
        public_base_url=PUBLIC,
        default_lead="ana",
        slack=SlackSettings(
            bot_token=SecretStr("xoxb-test-token"),
            base_url=providers.slack_base_url,
            timeout_seconds=5,
            signing_secret=SecretStr(SIGNING_SECRET),
        ),
        commands={
            "slack_users": f"{STAFF_SLACK_USER}=staff:ana",
            "sms_staff": f"{STAFF_PHONE}=staff:ana",
        },
    )


# --- what Slack sends -------------------------------------------------------------------------


def actions(record: FakeRecord) -> list[dict[str, Any]]:
    """The interactive elements of a Slack message as the fake Slack received it."""
    blocks = record.raw.get("blocks") or []
    return [
        element
        for block in blocks
        if block.get("type") == "actions"
        for element in block["elements"]
    ]


def ack_button(record: FakeRecord, delivery_id: int) -> dict[str, Any]:
    """The message's only interactive element: the Acknowledge button of `delivery_id`."""
    elements = actions(record)
    assert [(e["type"], e["action_id"], e["value"]) for e in elements] == [
        ("button", "outage_notify_ack", f"delivery:{delivery_id}")
    ], elements
    return elements[0]


def press_acknowledge(
    service: RunningService, record: FakeRecord, user: str, **signing: Unpack[SlackSigning]
) -> httpx2.Response:
    """What Slack posts when `user` presses the Acknowledge button that `record` carries."""
    (button,) = actions(record)
    delivery_id = int(button["value"].removeprefix("delivery:"))
    payload = button_payload(delivery_id, user, channel=record.raw["channel"])
    return press(service, payload, **signing)


def slash(
    service: RunningService, user: str, text: str, **signing: Unpack[SlackSigning]
) -> httpx2.Response:
    """`/outage <text>` typed by `user`, as Slack posts it."""
    form = {
        "command": "/outage",
        "text": text,
        "user_id": user,
        "user_name": user.lower(),
        "team_id": "T0FAKE",
        "channel_id": "C0ITOPS",
        "response_url": "https://hooks.slack.com/commands/T0FAKE/1/abc",
        # Unique per request, as Slack's are: equal signed bodies would be refused as replays.
        "trigger_id": f"{next(TRIGGERS)}.2.3",
    }
    return slack_post(service, COMMANDS, form, **signing)


# --- helpers --------------------------------------------------------------------------------


def declare(service: RunningService) -> int:
    response = service.call(
        "POST",
        "/api/v1/incidents",
        json={
            "title": "Inbound mail bouncing",
            "severity": "critical",
            "components": ["inbound"],
            "lead": "ana",
        },
    )
    assert response.status_code == 201, response.text
    incident: int = response.json()["incident"]["id"]
    wait_for(lambda: service.settled(incident, updates=1), timeout=60, what="opened sent")
    return incident


def detail(service: RunningService, incident: int) -> dict[str, Any]:
    body: dict[str, Any] = service.call("GET", f"/api/v1/incidents/{incident}").json()
    return body


def kinds(service: RunningService, incident: int) -> tuple[list[str], list[str]]:
    """The kinds of the incident's updates, and of its timeline entries."""
    shown = detail(service, incident)
    return [u["kind"] for u in shown["updates"]], [t["kind"] for t in shown["timeline"]]


def management(service: RunningService, incident: int) -> dict[str, dict[str, Any]]:
    """Management's deliveries by recipient key (one each: `deliver: first`)."""
    page = service.call(
        "GET",
        f"/api/v1/incidents/{incident}/deliveries",
        params={"audience": "management", "limit": 500},
    ).json()
    return {item["recipient"]: item for item in page["items"]}


def coverage(service: RunningService, incident: int) -> dict[str, Any]:
    figures: dict[str, Any] = next(
        c for c in detail(service, incident)["coverage"] if c["audience"] == "management"
    )
    return figures


def chase(service: RunningService, ticks: int = 3) -> list[int]:
    """`ticks` beat ticks of the re-notification check at once, each run to completion.

    The worker runs this same task body when beat sends it; running it here is how the test
    knows the ticks are over (Celery keeps no results to wait on), so "nothing happened" means
    they ran and did nothing. Each returns how many deliveries it sent on their next channel.
    """
    return [int(sent) for sent in service.ticks(names.CHASE, ticks)]


def wait_until(moment: datetime) -> None:
    time.sleep(max(0.0, (moment - datetime.now(UTC)).total_seconds()) + 0.2)


def sent_at(row: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(row["sent_at"])


# --- acceptance -----------------------------------------------------------------------------


def test_managers_acknowledge_and_the_silent_one_is_chased_then_reported(
    two_way: RunningService,
) -> None:
    service = two_way
    started = time.monotonic()
    incident = declare(service)
    rows = management(service, incident)
    sms = {r.to: r for r in service.providers.records("sms")}
    slack = {r.to: r for r in service.providers.records("slack")}
    # The ask: SMS end with the instruction, the Slack DM carries the button of its delivery.
    assert set(sms) == {"+5511990000001", "+5511990000002", "+5521990000004"}
    assert all(r.body.rstrip().endswith(REPLY_OK) for r in sms.values())
    assert set(slack) == {"U0FER0003"}
    ack_button(slack["U0FER0003"], rows["contact:fernanda"]["id"])
    assert all(row["ack_required"] for row in rows.values())
    # The broadcast to the status room (fallback) informs; it asks nobody to acknowledge.
    (room,) = service.providers.records("fallback")
    assert REPLY_OK not in room.body
    before = service.providers.records()

    # Before renotify_after nothing is re-sent, however often the check runs (ticks that ran).
    assert chase(service) == [0, 0, 0]
    assert datetime.now(UTC) < sent_at(rows["contact:sam"]) + RENOTIFY, "the test ran too slowly"
    updates, timeline = kinds(service, incident)
    assert updates == ["opened"]
    assert "renotified" not in timeline and "unreached" not in timeline
    assert service.providers.records() == before

    # Two reply OK by SMS (any case, with spaces), one presses the button, Sam says nothing.
    assert text_us(service, "+5511990000001", "OK").status_code == 200
    assert text_us(service, "+5511990000002", " ok ").status_code == 200
    assert press_acknowledge(service, slack["U0FER0003"], "U0FER0003").status_code == 200
    rows = management(service, incident)
    assert rows["contact:ana"]["acked_via"] == "sms"
    assert rows["contact:ana"]["acked_by"] == "+5511990000001"
    assert rows["contact:ricardo"]["acked_via"] == "sms"
    assert rows["contact:fernanda"]["acked_via"] == "slack"
    assert rows["contact:fernanda"]["acked_by"] == "U0FER0003"
    assert all(rows[k]["acked_at"] for k in ("contact:ana", "contact:ricardo", "contact:fernanda"))
    assert rows["contact:sam"]["acked_at"] is None
    # Every manager within 30 s: the three met it; Sam may still (he was asked < 30 s ago).
    deadline = coverage(service, incident)["deadline"]
    assert time.monotonic() - started < DEADLINE_MINUTES * 60, "the test ran too slowly"
    assert deadline == {"minutes": DEADLINE_MINUTES, "met": 3, "missed": 0, "pending": 1}

    # After renotify_after, Sam (and only Sam) hears again on his next channel, with a button;
    # three ticks at once move him once.
    wait_until(sent_at(rows["contact:sam"]) + RENOTIFY)
    service.providers.reset()
    assert sorted(chase(service)) == [0, 0, 1]
    wait_for(lambda: service.settled(incident, updates=1), timeout=30, what="Sam re-notified")
    (renotified,) = service.providers.records()
    assert (renotified.channel, renotified.to) == ("slack", "U0SAM0004")
    ack_button(renotified, rows["contact:sam"]["id"])
    assert kinds(service, incident)[1].count("renotified") == 1

    # Still silent after his last channel: unreached, and the lead (Ana) is told.
    sam = management(service, incident)["contact:sam"]
    assert sam["channel"] == "slack"
    wait_until(sent_at(sam) + RENOTIFY)
    service.providers.reset()
    assert chase(service) == [0, 0, 0]  # nobody is sent the news again
    wait_for(lambda: service.settled(incident, updates=2), timeout=30, what="the lead told")
    (told,) = service.providers.records()
    assert (told.channel, told.to) == ("sms", "+5511990000001")
    assert "Silent Sam" in told.body
    assert not actions(told) and REPLY_OK not in told.body  # nobody acknowledges this one

    # Later ticks: nothing new to say, so the lead was told exactly once.
    assert chase(service) == [0, 0, 0]
    updates, timeline = kinds(service, incident)
    assert updates == ["opened", "unreached"]
    assert timeline.count("unreached") == 1
    assert service.providers.records() == [told]

    figures = coverage(service, incident)
    assert figures["recipients"] == 4
    assert figures["acknowledged"] == 3
    assert figures["unreached"] == ["Silent Sam"]
    # Unreached does not acknowledge: Sam stays pending until his 30 s are up, then missed.
    assert figures["deadline"]["met"] == 3
    assert figures["deadline"]["pending"] + figures["deadline"]["missed"] == 1
    rows = management(service, incident)
    assert rows["contact:sam"]["unreached_at"] is not None
    assert rows["contact:sam"]["acked_at"] is None


def test_badly_signed_inbound_requests_are_refused_and_change_nothing(
    two_way: RunningService,
) -> None:
    service = two_way
    incident = declare(service)
    slack_record = service.providers.records("slack")[0]

    assert text_us(service, "+5511990000001", "OK", token="not-the-token").status_code == 403
    assert text_us(service, "+5511990000002", "OK", signed=False).status_code == 403
    assert press_acknowledge(service, slack_record, "U0FER0003", secret="wrong").status_code == 403
    assert slash(service, STAFF_SLACK_USER, "eta 14:30", secret="wrong").status_code == 403
    assert text_us(service, STAFF_PHONE, "ETA 14:30", token="not-the-token").status_code == 403

    rows = management(service, incident)
    assert all(row["acked_at"] is None for row in rows.values())
    shown = detail(service, incident)
    assert shown["eta"] is None
    assert [u["kind"] for u in shown["updates"]] == ["opened"]
    assert coverage(service, incident)["acknowledged"] == 0


def expected_eta(hour: int, minute: int, timezone: str) -> datetime:
    zone = ZoneInfo(timezone)
    now = datetime.now(zone)
    eta = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return eta if eta > now else eta + timedelta(days=1)


def eta_of(service: RunningService, incident: int) -> datetime | None:
    value = detail(service, incident)["eta"]
    return datetime.fromisoformat(value) if value else None


def assert_eta_changed_told(service: RunningService, incident: int) -> None:
    """The eta_changed update went to all four managers, and asks nobody to acknowledge it."""
    wait_for(lambda: service.settled(incident, updates=2), timeout=60, what="eta_changed sent")
    assert [u["kind"] for u in detail(service, incident)["updates"]] == ["opened", "eta_changed"]
    records = service.providers.records()
    told = {r.to for r in records}
    assert {"+5511990000001", "+5511990000002", "U0FER0003", "+5521990000004"} <= told
    assert not any(REPLY_OK in r.body for r in records if r.channel == "sms")
    assert not any(actions(r) for r in records if r.channel == "slack")


def test_slash_command_eta_from_a_mapped_staff_user_sets_it_and_tells_everyone(
    two_way: RunningService,
) -> None:
    service = two_way
    incident = declare(service)
    service.providers.reset()

    refused = slash(service, "U0NOBODY9", "eta 14:30")
    assert refused.status_code == 200
    assert refused.json()["response_type"] == "ephemeral"
    assert "not" in refused.json()["text"].lower()
    # The command is answered after it acted: no ETA and no update means nothing to send.
    assert eta_of(service, incident) is None
    assert [u["kind"] for u in detail(service, incident)["updates"]] == ["opened"]

    answer = slash(service, STAFF_SLACK_USER, "eta 14:30")
    assert answer.status_code == 200, answer.text
    assert answer.json()["response_type"] == "ephemeral"
    assert "14:30" in answer.text
    wanted = expected_eta(14, 30, service.settings.timezone)
    assert eta_of(service, incident) == wanted.astimezone(UTC)
    assert_eta_changed_told(service, incident)


def test_sms_eta_from_an_allow_listed_phone_sets_it_and_a_stranger_changes_nothing(
    two_way: RunningService,
) -> None:
    service = two_way
    incident = declare(service)
    service.providers.reset()

    stranger = text_us(service, STRANGER_PHONE, "ETA 14:30")
    assert stranger.status_code == 200
    assert "<Message" not in stranger.text  # a stranger learns nothing
    assert eta_of(service, incident) is None
    assert [u["kind"] for u in detail(service, incident)["updates"]] == ["opened"]

    staff = text_us(service, STAFF_PHONE, "ETA 14:30")
    assert staff.status_code == 200
    assert "<Message" in staff.text and "14:30" in staff.text
    wanted = expected_eta(14, 30, service.settings.timezone)
    assert eta_of(service, incident) == wanted.astimezone(UTC)
    assert_eta_changed_told(service, incident)
