"""A running service with one incident told to management, and requests signed as Twilio and
Slack sign theirs: Twilio over the public URL with the auth token, Slack over
`v0:<timestamp>:<body>` with the app's signing secret."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from pydantic import SecretStr
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from outage_notify.fakes.server import FakeProviders
from outage_notify.settings import SlackSettings
from outage_notify.store.engine import create_session_factory, create_store_engine
from outage_notify.store.tables import InboundMessageRow, SmsOptOutRow
from tests.fixtures.service import RunningService, wait_for

PUBLIC = "https://notify.example.org"
TWILIO_AUTH = "test-twilio-auth"  # tests/fixtures/service.py configures this one
SIGNING_SECRET = "inbound-test-signing-secret-0123456789"
INBOUND = "/api/v1/webhooks/twilio/inbound"
INTERACTIVITY = "/api/v1/webhooks/slack/interactivity"
# From contacts/management.yaml: both are texted first.
ANA_PHONE, ANA_SLACK = "+5511990000001", "U0ANA0001"
RICARDO_PHONE, RICARDO_SLACK = "+5511990000002", "U0RIC0002"
STRANGER = "+5511990009999"
# A staff phone that is nobody's contact: commands only.
STAFF_PHONE = "+5511990007777"


@dataclass
class Told:
    """The service, and the incident whose opening was texted to management."""

    service: RunningService
    incident: int
    database_url: str

    def deliveries(self) -> dict[str, dict[str, Any]]:
        """Management's deliveries by recipient name, as the API shows them."""
        page = self.service.call(
            "GET",
            f"/api/v1/incidents/{self.incident}/deliveries",
            params={"audience": "management", "limit": 500},
        ).json()
        return {item["recipient_name"]: item for item in page["items"]}

    def incident_detail(self) -> dict[str, Any]:
        return dict(self.service.call("GET", f"/api/v1/incidents/{self.incident}").json())

    def incident_state(self) -> tuple[Any, ...]:
        """What a staff action would change: phase, ETA, next update, the updates sent."""
        detail = self.incident_detail()
        kinds = tuple(update["kind"] for update in detail["updates"])
        return detail["phase"], detail["eta"], detail["next_update_at"], kinds

    def inbound(self) -> list[InboundMessageRow]:
        return self._all(InboundMessageRow)

    def opted_out(self) -> dict[str, str]:
        return {row.phone: row.keyword for row in self._all(SmsOptOutRow)}

    def _all(self, table: Any) -> list[Any]:
        engine = create_store_engine(self.database_url)
        try:
            with create_session_factory(engine)() as session:
                return list(session.scalars(select(table).order_by(table.id)))
        finally:
            engine.dispose()


def start(
    service_factory: Callable[..., RunningService],
    providers: FakeProviders,
    database_url: str,
    **overrides: Any,
) -> Told:
    """The service with inbound SMS and Slack configured, after one incident was told."""
    service = service_factory(
        database_url,
        public_base_url=PUBLIC,
        slack=SlackSettings(
            bot_token=SecretStr("xoxb-test-token"),
            base_url=providers.slack_base_url,
            timeout_seconds=5,
            signing_secret=SecretStr(SIGNING_SECRET),
        ),
        commands={"sms_staff": f"{STAFF_PHONE}=staff:Rosa Staff"},
        **overrides,
    )
    declared = service.call(
        "POST",
        "/api/v1/incidents",
        json={"title": "Outbound mail stuck", "severity": "critical", "components": ["outbound"]},
    )
    assert declared.status_code == 201, declared.text
    incident = int(declared.json()["incident"]["id"])
    wait_for(lambda: service.settled(incident, updates=1), timeout=60, what="the opening sent")
    return Told(service, incident, database_url)


def text_us(
    service: RunningService,
    sender: str,
    body: str,
    *,
    token: str = TWILIO_AUTH,
    url: str = PUBLIC + INBOUND,
    signed: bool = True,
) -> httpx.Response:
    """An incoming SMS as Twilio posts it to the number's messaging webhook."""
    form = {
        "MessageSid": "SM" + f"{time.time_ns():032x}"[-32:],
        "AccountSid": service.settings.twilio.account_sid,
        "From": sender,
        "To": "+15005550006",
        "Body": body,
        "NumMedia": "0",
    }
    headers = {}
    if signed:
        headers["X-Twilio-Signature"] = RequestValidator(token).compute_signature(url, form)
    return service.api.post(INBOUND, data=form, headers=headers)


def slack_headers(
    body: str, *, secret: str = SIGNING_SECRET, at: float | None = None
) -> dict[str, str]:
    timestamp = str(int(time.time() if at is None else at))
    signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    assert signature is not None
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature,
    }


def button_payload(
    delivery_id: int, user: str, *, channel: str = "D0000ANA", response_url: str = ""
) -> dict[str, Any]:
    """The block_actions payload Slack posts when `user` presses Acknowledge."""
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "team_id": "T0FAKE"},
        "team": {"id": "T0FAKE", "domain": "example"},
        "channel": {"id": channel, "name": "directmessage"},
        "container": {"type": "message", "message_ts": "1700000000.000100"},
        "message": {
            "ts": "1700000000.000100",
            "text": "Email is down",
            "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": "*Email is down*"}},
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "button",
                            "action_id": "outage_notify_ack",
                            "value": f"delivery:{delivery_id}",
                            "text": {"type": "plain_text", "text": "Acknowledge"},
                        }
                    ],
                },
            ],
        },
        "actions": [
            {
                "type": "button",
                "action_id": "outage_notify_ack",
                "value": f"delivery:{delivery_id}",
                "block_id": "ack",
                "action_ts": str(time.time()),
            }
        ],
    }
    if response_url:
        payload["response_url"] = response_url
    return payload


def press(service: RunningService, payload: Any, **signing: Any) -> httpx.Response:
    body = urlencode({"payload": payload if isinstance(payload, str) else json.dumps(payload)})
    return service.api.post(INTERACTIVITY, content=body, headers=slack_headers(body, **signing))
