"""The `/outage` slash command on the whole service: Redis broker, a real worker, the fakes.

Requests are signed as Slack signs them (`v0:<timestamp>:<body>`, HMAC-SHA256 with the app's
signing secret); what changed is read back through the HTTP API and the fake providers.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import httpx2
import pytest
from pydantic import SecretStr
from slack_sdk.signature import SignatureVerifier

from outage_notify.commands.parsing import parse_time
from outage_notify.config.settings import SlackSettings
from outage_notify.contacts.zones import zone_for_phone
from outage_notify.integrations.fake_server import FakeProviders
from tests.fixtures.service import RunningService, wait_for

PATH = "/api/v1/webhooks/slack/commands"
SECRET = "commands-test-signing-secret-0123456789"
STAFF, MONITOR, STRANGER = "U0STAFF01", "U0MONIT01", "U0NOBODY1"
TRIGGERS = itertools.count(1)


@dataclass
class Slack:
    service: RunningService

    def sign(self, body: str, *, secret: str = SECRET) -> dict[str, str]:
        timestamp = str(int(time.time()))
        signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
        return {
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature or "",
            "Content-Type": "application/x-www-form-urlencoded",
        }

    @staticmethod
    def form(user: str, text: str) -> str:
        return urlencode(
            {
                "token": "deprecated-verification-token",
                "team_id": "T0TEAM001",
                "channel_id": "C0OPS0001",
                "user_id": user,
                "user_name": "someone",
                "command": "/outage",
                "text": text,
                "response_url": "https://hooks.slack.com/commands/T0TEAM001/1/abc",
                # Unique per request, as Slack's are: equal bodies would be replays.
                "trigger_id": f"{next(TRIGGERS)}.2.3",
            }
        )

    def command(self, user: str, text: str) -> dict[str, Any]:
        body = self.form(user, text)
        response = self.post(body, self.sign(body))
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        assert answer["response_type"] == "ephemeral"
        return answer

    def post(self, body: str, headers: dict[str, str]) -> httpx2.Response:
        return self.service.api.post(PATH, content=body.encode(), headers=headers)

    def declare(self, title: str, *, service: str = "email", components: Sequence[str] = ()) -> int:
        """Declare an incident. Without `components` only management is told: the users are
        300 more messages, only for the test that reads what readers in other zones got."""
        response = self.service.call(
            "POST",
            "/api/v1/incidents",
            json={
                "title": title,
                "severity": "major",
                "components": list(components),
                "service": service,
            },
        )
        assert response.status_code == 201, response.text
        incident: int = response.json()["incident"]["id"]
        return incident

    def incident(self, incident: int) -> dict[str, Any]:
        detail: dict[str, Any] = self.service.call("GET", f"/api/v1/incidents/{incident}").json()
        return detail

    def state(self, incident: int) -> tuple[Any, ...]:
        detail = self.incident(incident)
        return (
            detail["phase"],
            detail["eta"],
            detail["next_update_at"],
            [u["kind"] for u in detail["updates"]],
            [(t["kind"], t["text"]) for t in detail["timeline"]],
        )

    def audit(self, incident: int | None = None) -> list[dict[str, Any]]:
        params = {"incident_id": incident} if incident is not None else {}
        page = self.service.call("GET", "/api/v1/audit", role="admin", params=params).json()
        return list(reversed(page["items"]))


@pytest.fixture
def slack(
    service_factory: Callable[..., RunningService],
    database_url: str,
    providers: FakeProviders,
) -> Slack:
    service = service_factory(
        database_url,
        slack=SlackSettings(
            bot_token=SecretStr("xoxb-test-token"),
            base_url=providers.slack_base_url,
            timeout_seconds=5,
            signing_secret=SecretStr(SECRET),
        ),
        commands={
            "slack_users": {
                STAFF: {"role": "staff", "name": "ana"},
                MONITOR: {"role": "monitor", "name": "marcos"},
            }
        },
    )
    return Slack(service)


def test_eta_from_a_staff_user_is_announced_to_stakeholders(slack: Slack) -> None:
    service = slack.service
    incident = slack.declare("Mail <!channel> & *everything* down", components=["inbound"])
    wait_for(lambda: service.settled(incident, updates=1), timeout=60, what="opened")
    service.providers.reset()
    zone = ZoneInfo(service.settings.timezone)
    before = parse_time("14:30", now=datetime.now(UTC), zone=zone)[0]

    answer = slack.command(STAFF, "ETA 14:30")

    after = parse_time("14:30", now=datetime.now(UTC), zone=zone)[0]
    detail = slack.incident(incident)
    eta = datetime.fromisoformat(detail["eta"])
    assert eta in (before, after)
    assert [u["kind"] for u in detail["updates"]] == ["opened", "eta_changed"]
    assert detail["updates"][-1]["created_by"] == "ana"
    assert answer["text"].startswith("ETA set to ")
    assert "stakeholders are being told" in answer["text"]
    # Everything the sender typed or an alert carried arrives inert: no @channel, no links.
    blocks = repr(answer["blocks"])
    assert "<!channel>" not in blocks and "&lt;!channel&gt; &amp;" in blocks
    assert "*Phase*\\ninvestigating" in blocks and "14:30" in blocks
    [entry] = [e for e in slack.audit(incident) if e["action"] == "update"]
    assert (entry["actor"], entry["role"]) == ("ana", "staff")
    assert entry["detail"]["via"] == "slack" and entry["detail"]["update_id"] is not None

    wait_for(lambda: service.settled(incident, updates=2), timeout=60, what="eta_changed sent")
    texts = {r.to: r.body for r in service.providers.records() if r.channel == "sms"}
    assert texts, "the eta_changed update reached nobody by SMS"
    # Every template of eta_changed states the new time (en and pt-BR, today or a date), in
    # the reader's zone: 14:30 in Sao Paulo, the same moment in London or San Francisco.
    for phone, body in texts.items():
        reader = ZoneInfo(zone_for_phone(phone) or service.settings.timezone)
        assert f"{eta.astimezone(reader):%H:%M}" in body, (phone, body)
    # The incident had no ETA: this one is announced as an estimate, not as a change.
    bodies = texts.values()
    assert any("Estimated fix" in body or "Retorno previsto" in body for body in bodies), texts
    assert not any("ETA changed" in body or "mudou" in body for body in bodies), texts


def test_refusals_and_bad_signatures_change_nothing(slack: Slack) -> None:
    service = slack.service
    incident = slack.declare("Webmail down")
    wait_for(lambda: service.settled(incident, updates=1), timeout=60, what="opened")
    unchanged = slack.state(incident)

    stranger = slack.command(STRANGER, "resolve all good")
    assert "not set up to run /outage commands" in stranger["text"]
    assert STRANGER in stranger["text"]
    monitor_update = slack.command(MONITOR, "update restarting the server")
    assert monitor_update["text"].startswith("Not allowed: update needs the staff role")
    # As in the HTTP API, where a monitor token may not read an incident either.
    monitor_status = slack.command(MONITOR, "status")
    assert monitor_status["text"].startswith("Not allowed: status needs the staff role")
    assert "Webmail down" not in monitor_status["text"]

    body = slack.form(STAFF, "resolve")
    for headers in (
        {"Content-Type": "application/x-www-form-urlencoded"},
        slack.sign(body, secret="some-other-secret"),
        {**slack.sign(body), "X-Slack-Request-Timestamp": str(int(time.time()) - 600)},
        # Digits, but more than any Unix time has (int() refuses 5000 of them).
        {**slack.sign(body), "X-Slack-Request-Timestamp": "1" * 5000},
        {**slack.sign(body), "X-Slack-Request-Timestamp": "1" * 13},
    ):
        assert slack.post(body, headers).status_code == 403
    signed = slack.sign(body.replace("resolve", "status"))
    assert slack.post(body, signed).status_code == 403  # signed for another body

    assert slack.state(incident) == unchanged
    refusals = [e for e in slack.audit() if e["action"] == "refused"]
    assert [(e["actor"], e["role"]) for e in refusals] == [
        (f"slack:{STRANGER}", "none"),
        ("marcos", "monitor"),
        ("marcos", "monitor"),
    ]

    status = slack.command(STAFF, "status")
    assert f"#{incident} Webmail down" in status["text"]
    assert "investigating" in status["text"]
    assert slack.state(incident) == unchanged

    # A good request is accepted once; the same bytes again are a replay.
    body = slack.form(STAFF, "status")
    headers = slack.sign(body)
    assert slack.post(body, headers).status_code == 200
    assert slack.post(body, headers).status_code == 403


def test_the_incident_is_chosen_by_id_when_several_are_open(slack: Slack) -> None:
    service = slack.service
    assert slack.command(STAFF, "status")["text"] == "No incident is open."
    mail = slack.declare("Mail down", service="email")
    vpn = slack.declare("VPN down", service="vpn")
    wait_for(lambda: service.settled(vpn, updates=1), timeout=60, what="opened")
    mail_before = slack.state(mail)

    ambiguous = slack.command(STAFF, "update fixed the disk")
    assert ambiguous["text"].startswith(f"2 incidents are open (#{mail} email, #{vpn} vpn)")

    done = slack.command(STAFF, f"#{vpn} update Router replaced")
    assert done["text"].startswith("Update posted")
    assert f"#{vpn} VPN down" in done["text"]
    assert [u["kind"] for u in slack.incident(vpn)["updates"]] == ["opened", "update"]
    assert slack.state(mail) == mail_before

    note = slack.command(STAFF, f"#{mail} note checking the MX records")
    assert note["text"].startswith(f"Note added to #{mail}")
    assert ("note", "checking the MX records") in slack.state(mail)[4]

    assert slack.command(STAFF, "#999999 status")["text"] == "There is no incident #999999."
    resolved = slack.command(STAFF, f"#{vpn} resolve all good")
    assert resolved["text"].startswith(f"#{vpn} resolved")
    again = slack.command(STAFF, f"#{vpn} resolve")
    assert again["text"].startswith("The incident is already resolved.")
    # With one incident left open, no #id is needed.
    assert slack.command(STAFF, "status")["text"].startswith(f"#{mail} Mail down")
    wait_for(lambda: service.settled(vpn, updates=3), timeout=60, what="vpn updates sent")
    wait_for(lambda: service.settled(mail, updates=1), timeout=60, what="mail opened sent")


def test_help_and_mistakes_are_answered_in_the_organisation_language(
    service_factory: Callable[..., RunningService],
    database_url: str,
    providers: FakeProviders,
) -> None:
    """Issue 14 item 4: with DEFAULT_LOCALE=pt-BR, `/outage help`, a parse error and an
    unmapped user are answered in Portuguese; the command words stay as staff type them."""
    service = service_factory(
        database_url,
        default_locale="pt-BR",
        slack=SlackSettings(
            bot_token=SecretStr("xoxb-test-token"),
            base_url=providers.slack_base_url,
            timeout_seconds=5,
            signing_secret=SecretStr(SECRET),
        ),
        commands={"slack_users": {STAFF: {"role": "staff", "name": "ana"}}},
    )
    slack = Slack(service)

    shown = slack.command(STAFF, "help")
    # Slack escapes &, < and > in every text (titles and messages are input).
    assert shown["text"].startswith("Comandos: status (a situação do incidente); eta &lt;hora&gt;")
    assert "Commands:" not in str(shown["blocks"])
    mistake = slack.command(STAFF, "eta soon")
    assert mistake["text"].startswith("'soon' não é um horário. Use 14:30, +45m, +2h ou ")
    unknown = slack.command(STAFF, "reboot")
    assert unknown["text"].startswith(
        "Comando desconhecido: 'reboot'. Tente: status | eta &lt;hora&gt;"
    )
    stranger = slack.command(STRANGER, "status")
    assert stranger["text"].startswith("Você não está habilitado a usar os comandos /outage")
    assert STRANGER in stranger["text"]
