"""Issue 13's acceptance, end to end on PostgreSQL with the API and a real worker.

A monitor sends what real monitoring sends every day (a 3,000-character summary); what
counts is what each manager's phone and Slack received, and that the next alert still works.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from outage_notify.store.engine import create_store_engine, upgrade
from tests.e2e.test_outage_flow import first_address
from tests.fixtures.databases import _empty
from tests.fixtures.service import RunningService, wait_for
from tests.fixtures.webhooks import webhook_payload

ALERTMANAGER = "/api/v1/webhooks/alertmanager"
LONG_SUMMARY = ("Mail queue stuck on the outbound relay; senders see deferrals. " * 60)[:3000]


@pytest.fixture
def service(service_factory: Callable[..., RunningService], postgres_url: str) -> RunningService:
    engine = create_store_engine(postgres_url)
    upgrade(engine)
    _empty(engine)
    engine.dispose()
    return service_factory(postgres_url)


def alert(*, service_name: str, summary: str, fingerprint: str) -> dict[str, Any]:
    payload: dict[str, Any] = webhook_payload("alertmanager_firing.json")
    payload = copy.deepcopy(payload)
    payload["alerts"] = payload["alerts"][:1]
    first = payload["alerts"][0]
    first["labels"]["service"] = service_name
    first["annotations"]["summary"] = summary
    first["fingerprint"] = fingerprint
    payload["groupLabels"] = {"service": service_name}
    payload["commonLabels"]["service"] = service_name
    payload["groupKey"] = f'{{}}/{{service="{service_name}"}}:{{service="{service_name}"}}'
    return payload


def incident_of(service: RunningService, name: str) -> int:
    def found() -> int | None:
        items = service.call("GET", "/api/v1/incidents").json()["items"]
        ids = [int(i["id"]) for i in items if i["service"] == name]
        return ids[0] if ids else None

    return int(wait_for(found, timeout=60, what=f"incident for {name}"))


def test_a_3000_character_alert_reaches_every_manager_and_the_next_alert_still_works(
    service: RunningService,
) -> None:
    providers = service.providers
    managers = service.directory.audiences["management"].contacts

    response = service.call(
        "POST",
        ALERTMANAGER,
        role="monitor",
        json=alert(service_name="email", summary=LONG_SUMMARY, fingerprint="aa00000000000001"),
    )
    assert response.status_code == 202, response.text
    email = incident_of(service, "email")
    wait_for(lambda: service.settled(email, updates=1), timeout=90, what="opened fan-out")

    received = Counter((r.channel, r.to) for r in providers.records())
    for manager in managers:
        assert received[first_address(manager)] == 1, manager.id
    refused = [r for r in providers.rejections() if r.error in {"21617", "msg_too_long"}]
    assert refused == [], refused
    # The cut is on the record, for staff.
    timeline = service.call("GET", f"/api/v1/incidents/{email}").json()["timeline"]
    assert any("3,000" in entry["text"] for entry in timeline), timeline

    providers.reset()
    response = service.call(
        "POST",
        ALERTMANAGER,
        role="monitor",
        json=alert(service_name="vpn", summary="VPN is down", fingerprint="bb00000000000002"),
    )
    assert response.status_code == 202, response.text
    vpn = incident_of(service, "vpn")
    assert vpn != email
    wait_for(lambda: service.settled(vpn, updates=1), timeout=90, what="second incident told")
    received = Counter((r.channel, r.to) for r in providers.records())
    for manager in managers:
        assert received[first_address(manager)] == 1, manager.id
