"""The demo's hands: Alertmanager, IT staff and stakeholders replying, all over HTTP.

Everything goes through the service's public API and webhooks, as in production; the waits
poll the API until the worker has done what the step started (no sleeps on a guess).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from outage_notify.integrations.fake_server import FakeProviders

STAFF = "demo-staff-token"
MONITOR = "demo-monitor-token"
TWILIO_AUTH = "demo-auth-token"
INBOUND = "/api/v1/webhooks/twilio/inbound"
PENDING = ("planned", "sending", "unknown")
# The two alerts of the demo's Alertmanager group: (alertname, component, summary, fingerprint).
ALERTS = (
    ("MailOutboundDown", "outbound", "Outgoing email is not being delivered", "a1b2c3d4e5f60001"),
    ("MailInboundDown", "inbound", "Incoming email is not being received", "a1b2c3d4e5f60002"),
)


class DemoTimeout(RuntimeError):
    """What the demo waited for did not happen in time; the message says what."""


def alertmanager_payload(status: str, starts_at: str) -> dict[str, Any]:
    """One Alertmanager v4 notification of the demo's `email` group."""
    alerts = [
        {
            "status": status,
            "labels": {
                "alertname": name,
                "severity": "critical",
                "component": component,
                "service": "email",
            },
            "annotations": {"summary": summary},
            "startsAt": starts_at,
            "endsAt": "0001-01-01T00:00:00Z"
            if status == "firing"
            else datetime.now(UTC).isoformat(),
            "generatorURL": "http://prometheus.example/graph",
            "fingerprint": fingerprint,
        }
        for name, component, summary, fingerprint in ALERTS
    ]
    return {
        "version": "4",
        "groupKey": '{}:{service="email"}',
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "outage-notify",
        "groupLabels": {"service": "email"},
        "commonLabels": {"service": "email", "severity": "critical"},
        "commonAnnotations": {"summary": "Email is down: mail is neither sent nor received"},
        "externalURL": "http://alertmanager.example",
        "alerts": alerts,
    }


@dataclass
class DemoClient:
    """The service's API as monitoring and staff use it, and the fakes' inbound SMS."""

    base: str
    fakes: FakeProviders
    incident: int = 0
    staff: httpx.Client = field(init=False)
    monitor: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.staff = httpx.Client(
            base_url=self.base, headers={"Authorization": f"Bearer {STAFF}"}, timeout=10
        )
        self.monitor = httpx.Client(
            base_url=self.base, headers={"Authorization": f"Bearer {MONITOR}"}, timeout=10
        )

    def close(self) -> None:
        self.staff.close()
        self.monitor.close()

    # --- what people do -----------------------------------------------------------------

    def alert(self, status: str, starts_at: str) -> None:
        self.monitor.post(
            "/api/v1/webhooks/alertmanager", json=alertmanager_payload(status, starts_at)
        ).raise_for_status()

    def note(self, text: str, kind: str = "finding") -> None:
        self.staff.post(
            f"/api/v1/incidents/{self.incident}/notes", json={"text": text, "kind": kind}
        ).raise_for_status()

    def update(self, **body: Any) -> None:
        self.staff.post(f"/api/v1/incidents/{self.incident}/updates", json=body).raise_for_status()

    def reply(self, phone: str, text: str) -> None:
        """`phone` texts us `text`: the fake posts it to our webhook, signed as Twilio does."""
        answer = httpx.post(
            f"{self.fakes.base_url}/_fake/twilio/inbound",
            json={
                "url": self.base + INBOUND,
                "from": phone,
                "body": text,
                "auth_token": TWILIO_AUTH,
            },
            timeout=10,
        )
        answer.raise_for_status()
        if answer.json().get("status") != 200:
            raise DemoTimeout(f"our SMS webhook refused {phone}'s reply: {answer.text}")

    # --- what the service knows ---------------------------------------------------------

    def detail(self) -> dict[str, Any]:
        return dict(self.staff.get(f"/api/v1/incidents/{self.incident}").json())

    def deliveries(self, **filters: str) -> dict[str, Any]:
        params = {"limit": "500", **filters}
        return dict(
            self.staff.get(f"/api/v1/incidents/{self.incident}/deliveries", params=params).json()
        )

    def report(self, format: str) -> str:
        answer = self.staff.get(
            f"/api/v1/incidents/{self.incident}/report", params={"format": format}
        )
        answer.raise_for_status()
        return answer.text

    # --- waiting for the worker ---------------------------------------------------------

    def wait(self, what: str, done: Callable[[], bool], seconds: float = 60) -> None:
        """Poll `done` until it holds; DemoTimeout naming `what` after `seconds`."""
        deadline = time.monotonic() + seconds
        while not done():
            if time.monotonic() > deadline:
                raise DemoTimeout(f"{what} did not happen within {seconds:g} s")
            # Each poll is a few queries on the SQLite file the worker writes to.
            time.sleep(0.5)

    def first_incident(self) -> int:
        """Wait for the alert's incident; remember and return its id."""

        def opened() -> bool:
            items = self.staff.get("/api/v1/incidents", params={"limit": 1}).json()["items"]
            if items:
                self.incident = int(items[0]["id"])
            return bool(items)

        self.wait("an incident opened by the alert", opened)
        return self.incident

    def settle(self, updates_before: int, *, seconds: float = 60) -> list[dict[str, Any]]:
        """Wait until a new update exists, every update is planned and none is on its way;
        returns the updates that are new."""

        def settled() -> bool:
            updates = self.detail()["updates"]
            if len(updates) <= updates_before or not all(u["planned"] for u in updates):
                return False
            counts = self.deliveries(limit="1")["counts"]
            return not any(c["count"] for c in counts if c["state"] in PENDING)

        self.wait("the fan-out of the new update", settled, seconds)
        updates = self.detail()["updates"]
        return sorted(updates, key=lambda u: u["id"])[updates_before:]

    def update_count(self) -> int:
        return len(self.detail()["updates"])

    def phase(self) -> str:
        return str(self.detail()["phase"])
