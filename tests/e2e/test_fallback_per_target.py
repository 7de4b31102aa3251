"""A contact's own fallback URL is live without an organisation-wide room; FALLBACK_DRY_RUN
keeps it a dry run. A real worker sends to the fake Apprise `json://` target."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from outage_notify.integrations.fake_server import FakeProviders
from tests.fixtures.service import RunningService, wait_for

TEAM = """\
audience: users
contacts:
  - {{id: carla, name: Carla Dias, fallback: "{url}", locale: en, channels: [fallback]}}
"""


def declare(service: RunningService) -> list[dict[str, object]]:
    """Declare an incident and return its deliveries once they settled."""
    declared = service.call(
        "POST",
        "/api/v1/incidents",
        json={"title": "Mail down", "severity": "critical", "components": ["inbound"]},
    )
    assert declared.status_code in (200, 201), declared.text
    incident = declared.json()["incident"]["id"]
    wait_for(lambda: service.settled(incident, updates=1), timeout=60, what="fan-out")
    page = service.call("GET", f"/api/v1/incidents/{incident}/deliveries").json()
    items: list[dict[str, object]] = page["items"]
    return items


@pytest.fixture
def contacts(tmp_path: Path, providers: FakeProviders) -> Path:
    folder = tmp_path / "contacts"
    folder.mkdir()
    (folder / "team.yaml").write_text(TEAM.format(url=providers.fallback_url("carla")))
    (folder / "routing.yaml").write_text("rules:\n  - audience: users\n")
    return folder


def test_a_contacts_own_url_is_sent_without_fallback_urls(
    service_factory: Callable[..., RunningService], database_url: str, contacts: Path
) -> None:
    service = service_factory(
        database_url, contacts_dir=contacts, fallback={"urls": [], "dry_run": False}
    )

    deliveries = declare(service)

    received = [r for r in service.providers.records() if r.channel == "fallback"]
    assert [r.to for r in received] == ["carla"]
    assert "Not working right now: email" in received[0].body
    assert [(d["recipient"], d["state"]) for d in deliveries] == [("contact:carla", "sent")]


def test_fallback_dry_run_keeps_it_a_dry_run(
    service_factory: Callable[..., RunningService], database_url: str, contacts: Path
) -> None:
    service = service_factory(
        database_url, contacts_dir=contacts, fallback={"urls": [], "dry_run": True}
    )

    deliveries = declare(service)

    assert not service.providers.records()
    assert [(d["recipient"], d["state"]) for d in deliveries] == [("contact:carla", "dry_run")]
