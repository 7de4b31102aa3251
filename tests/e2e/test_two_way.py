"""Issue 8 end to end: stakeholders acknowledge, the silent are chased, staff act from a phone.

One real API + Celery worker on SQLite and PostgreSQL, the fake Twilio and Slack, and the
requests Twilio and Slack would send us signed exactly as they sign them: Twilio over the
public URL with the auth token, Slack over `v0:<timestamp>:<body>` with the signing secret.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from pydantic import SecretStr
from slack_sdk.signature import SignatureVerifier
from twilio.request_validator import RequestValidator

from outage_notify.fakes.server import FakeProviders
from outage_notify.settings import SlackSettings
from outage_notify.worker import names
from tests.fixtures.service import RunningService, wait_for

PUBLIC = "https://notify.example.org"
TWILIO_AUTH = "test-twilio-auth"  # the fixture's Twilio auth token (tests/fixtures/service.py)
SIGNING_SECRET = "test-slack-signing-secret-0123456789"
SERVICE_NUMBER = "+15005550006"
STAFF_PHONE = "+5511990000001"  # Ana, the incident lead, may also run commands by SMS
STRANGER_PHONE = "+5511990009999"
STAFF_SLACK_USER = "U0ANA0001"
# Re-notify after 3 s without an acknowledgement; every manager within 30 s.
RENOTIFY_MINUTES = 0.05

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
    deadline_minutes: 0.5
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


# --- what Twilio and Slack send -------------------------------------------------------------


def text_us(
    service: RunningService, sender: str, body: str, *, sign: bool = True
) -> tuple[int, str]:
    """An inbound SMS as Twilio posts it to the messaging webhook."""
    path = "/api/v1/webhooks/twilio/inbound"
    form = {
        "MessageSid": f"SM{abs(hash((sender, body, time.time()))):032x}"[:34],
        "AccountSid": service.settings.twilio.account_sid,
        "From": sender,
        "To": SERVICE_NUMBER,
        "Body": body,
        "NumMedia": "0",
    }
    signature = RequestValidator(TWILIO_AUTH if sign else "not-the-token").compute_signature(
        PUBLIC + path, form
    )
    response = service.api.post(path, data=form, headers={"X-Twilio-Signature": signature})
    return response.status_code, response.text


def slack_post(
    service: RunningService, path: str, form: dict[str, str], *, secret: str = SIGNING_SECRET
) -> Any:
    body = urlencode(form)
    timestamp = str(int(time.time()))
    signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    return service.api.post(
        path,
        content=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature,
        },
    )


def press_acknowledge(service: RunningService, record: Any, user: str, **kwargs: Any) -> Any:
    """The block_actions payload Slack posts when `user` presses the button of `record`."""
    button = next(
        element
        for block in record.raw["blocks"]
        if block.get("type") == "actions"
        for element in block["elements"]
    )
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "team_id": "T0FAKE"},
        "team": {"id": "T0FAKE", "domain": "example"},
        "channel": {"id": record.raw["channel"], "name": "directmessage"},
        "container": {
            "type": "message",
            "message_ts": record.provider_id,
            "channel_id": record.raw["channel"],
        },
        "message": {"ts": record.provider_id, "text": record.body},
        "actions": [
            {
                "type": "button",
                "action_id": button["action_id"],
                "value": button["value"],
                "block_id": "ack",
                "action_ts": str(time.time()),
            }
        ],
    }
    form = {"payload": json.dumps(payload)}
    return slack_post(service, "/api/v1/webhooks/slack/interactivity", form, **kwargs)


def slash(service: RunningService, user: str, text: str, **kwargs: Any) -> Any:
    form = {
        "command": "/outage",
        "text": text,
        "user_id": user,
        "user_name": user.lower(),
        "team_id": "T0FAKE",
        "channel_id": "C0ITOPS",
        "response_url": "https://hooks.slack.com/commands/T0FAKE/1/abc",
        "trigger_id": "1.2.3",
    }
    return slash_form(service, form, **kwargs)


def slash_form(service: RunningService, form: dict[str, str], **kwargs: Any) -> Any:
    return slack_post(service, "/api/v1/webhooks/slack/commands", form, **kwargs)


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


def deliveries(service: RunningService, incident: int) -> list[dict[str, Any]]:
    page = service.call(
        "GET", f"/api/v1/incidents/{incident}/deliveries", params={"limit": 500}
    ).json()
    items: list[dict[str, Any]] = page["items"]
    return items


def by_recipient(service: RunningService, incident: int) -> dict[str, dict[str, Any]]:
    return {d["recipient"]: d for d in deliveries(service, incident)}


def chase(service: RunningService, ticks: int = 3) -> None:
    """Beat ticks of the re-notification check; only the due work may happen, once."""
    for _ in range(ticks):
        service.celery.send_task(names.CHASE, queue=names.QUEUE_EVENTS)


def management(service: RunningService, incident: int) -> dict[str, Any]:
    detail = service.call("GET", f"/api/v1/incidents/{incident}").json()
    coverage: dict[str, Any] = next(c for c in detail["coverage"] if c["audience"] == "management")
    return coverage


# --- acceptance -----------------------------------------------------------------------------


def test_managers_acknowledge_and_the_silent_one_is_chased_then_reported(
    two_way: RunningService,
) -> None:
    service = two_way
    incident = declare(service)
    sms = {r.to: r for r in service.providers.records("sms")}
    slack = {r.to: r for r in service.providers.records("slack")}
    # The ask: SMS end with the instruction, the Slack DM carries an Acknowledge button.
    assert set(sms) == {"+5511990000001", "+5511990000002", "+5521990000004"}
    assert all(r.body.rstrip().endswith("Reply OK to confirm you got this.") for r in sms.values())
    assert set(slack) == {"U0FER0003"}
    assert press_acknowledge is not None and any(
        b.get("type") == "actions" for b in slack["U0FER0003"].raw["blocks"]
    )

    # Two reply OK by SMS (any case, with spaces), one presses the button, Sam says nothing.
    assert text_us(service, "+5511990000001", "OK")[0] == 200
    assert text_us(service, "+5511990000002", " ok ")[0] == 200
    assert press_acknowledge(service, slack["U0FER0003"], "U0FER0003").status_code == 200
    rows = by_recipient(service, incident)
    assert rows["contact:ana"]["acked_via"] == "sms"
    assert rows["contact:ana"]["acked_by"] == "+5511990000001"
    assert rows["contact:ricardo"]["acked_via"] == "sms"
    assert rows["contact:fernanda"]["acked_via"] == "slack"
    assert rows["contact:fernanda"]["acked_by"] == "U0FER0003"
    assert all(rows[k]["acked_at"] for k in ("contact:ana", "contact:ricardo", "contact:fernanda"))
    assert rows["contact:sam"]["acked_at"] is None

    # Before renotify_after nothing is re-sent, however often the check runs.
    service.providers.reset()
    chase(service)
    time.sleep(1.0)
    assert service.providers.records() == []

    # After it, Sam (and only Sam) hears again on his next channel, with a button.
    time.sleep(RENOTIFY_MINUTES * 60 + 0.5)
    chase(service)
    renotified = wait_for(
        lambda: service.providers.records("slack"), timeout=30, what="Sam re-notified on Slack"
    )
    time.sleep(1.0)
    assert [r.to for r in service.providers.records()] == ["U0SAM0004"]
    assert any(b.get("type") == "actions" for b in renotified[0].raw["blocks"])

    # Still silent after his last channel: unreached, and the lead (Ana) is told exactly once.
    service.providers.reset()
    time.sleep(RENOTIFY_MINUTES * 60 + 0.5)
    chase(service)
    told = wait_for(lambda: service.providers.records("sms"), timeout=30, what="lead told")
    time.sleep(0.5)
    chase(service)  # later ticks: nothing new to say
    time.sleep(2.0)
    assert [(r.channel, r.to) for r in service.providers.records()] == [("sms", "+5511990000001")]
    assert "Silent Sam" in told[0].body

    coverage = management(service, incident)
    assert coverage["recipients"] == 4
    assert coverage["acknowledged"] == 3
    assert coverage["unreached"] == ["Silent Sam"]
    rows = by_recipient(service, incident)
    assert rows["contact:sam"]["unreached_at"] is not None
    assert rows["contact:sam"]["acked_at"] is None


def test_badly_signed_inbound_requests_are_refused_and_change_nothing(
    two_way: RunningService,
) -> None:
    service = two_way
    incident = declare(service)
    slack_record = service.providers.records("slack")[0]

    status, _ = text_us(service, "+5511990000001", "OK", sign=False)
    assert status == 403
    assert press_acknowledge(service, slack_record, "U0FER0003", secret="wrong").status_code == 403
    assert slash(service, STAFF_SLACK_USER, "eta 14:30", secret="wrong").status_code == 403
    status, _ = text_us(service, STAFF_PHONE, "ETA 14:30", sign=False)
    assert status == 403

    rows = by_recipient(service, incident)
    assert all(row["acked_at"] is None for row in rows.values())
    detail = service.call("GET", f"/api/v1/incidents/{incident}").json()
    assert detail["eta"] is None
    assert [u["kind"] for u in detail["updates"]] == ["opened"]


def expected_eta(hour: int, minute: int, timezone: str) -> datetime:
    zone = ZoneInfo(timezone)
    now = datetime.now(zone)
    eta = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return eta if eta > now else eta + timedelta(days=1)


def eta_of(service: RunningService, incident: int) -> datetime | None:
    value = service.call("GET", f"/api/v1/incidents/{incident}").json()["eta"]
    return datetime.fromisoformat(value) if value else None


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
    time.sleep(1.0)
    assert eta_of(service, incident) is None
    assert service.providers.records() == []

    answer = slash(service, STAFF_SLACK_USER, "eta 14:30")
    assert answer.status_code == 200, answer.text
    assert answer.json()["response_type"] == "ephemeral"
    assert "14:30" in json.dumps(answer.json())
    wanted = expected_eta(14, 30, service.settings.timezone)
    assert eta_of(service, incident) == wanted.astimezone(UTC)
    wait_for(lambda: service.settled(incident, updates=2), timeout=60, what="eta_changed sent")
    detail = service.call("GET", f"/api/v1/incidents/{incident}").json()
    assert [u["kind"] for u in detail["updates"]] == ["opened", "eta_changed"]
    told = {r.to for r in service.providers.records()}
    assert {"+5511990000001", "+5511990000002", "U0FER0003", "+5521990000004"} <= told


def test_sms_eta_from_an_allow_listed_phone_sets_it_and_a_stranger_changes_nothing(
    two_way: RunningService,
) -> None:
    service = two_way
    incident = declare(service)
    service.providers.reset()

    status, reply = text_us(service, STRANGER_PHONE, "ETA 14:30")
    assert status == 200
    assert "<Message" not in reply  # a stranger learns nothing
    time.sleep(1.0)
    assert eta_of(service, incident) is None
    assert service.providers.records() == []

    status, reply = text_us(service, STAFF_PHONE, "ETA 14:30")
    assert status == 200
    assert "<Message" in reply and "14:30" in reply
    assert eta_of(service, incident) == expected_eta(14, 30, service.settings.timezone).astimezone(
        UTC
    )
    wait_for(lambda: service.settled(incident, updates=2), timeout=60, what="eta_changed sent")
    detail = service.call("GET", f"/api/v1/incidents/{incident}").json()
    assert [u["kind"] for u in detail["updates"]] == ["opened", "eta_changed"]
    assert "+5521990000004" in {r.to for r in service.providers.records("sms")}
