"""A running service with one incident told to management, ready for the requests Twilio and
Slack send us (signed by the helpers in tests/fixtures/inbound.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr
from sqlalchemy import select

from outage_notify.config.settings import SlackSettings
from outage_notify.integrations.fake_server import FakeProviders
from outage_notify.store.engine import create_session_factory, create_store_engine
from outage_notify.store.tables import InboundMessageRow, SmsOptOutRow
from tests.fixtures.inbound import PUBLIC, SIGNING_SECRET
from tests.fixtures.service import RunningService, wait_for

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
    service = serve(service_factory, providers, database_url, **overrides)
    incident = declare(service)
    wait_for(lambda: service.settled(incident, updates=1), timeout=60, what="the opening sent")
    return Told(service, incident, database_url)


def serve(
    service_factory: Callable[..., RunningService],
    providers: FakeProviders,
    database_url: str,
    **overrides: Any,
) -> RunningService:
    """The service with inbound SMS and Slack configured, nothing declared yet."""
    return service_factory(
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


def declare(service: RunningService) -> int:
    """Declare the incident whose opening goes to management; its id.

    No component is named and the severity is below critical, so routing
    (contacts/routing.yaml) tells management alone: the 300 users, and the partners, whose
    example.org hooks fail here until their channel's time is spent, would add seconds to
    every test and nothing to what it checks."""
    declared = service.call(
        "POST",
        "/api/v1/incidents",
        json={"title": "Outbound mail stuck", "severity": "major"},
    )
    assert declared.status_code == 201, declared.text
    return int(declared.json()["incident"]["id"])
