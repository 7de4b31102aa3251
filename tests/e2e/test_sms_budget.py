"""A flapping incident must not flood phones: the per-recipient SMS budget, end to end."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from tests.fixtures.service import RunningService, wait_for


def test_updates_beyond_the_sms_budget_skip_sms_but_phase_changes_still_text(
    service_factory: Callable[..., RunningService], database_url: str
) -> None:
    service = service_factory(database_url, delivery={"sms_budget_per_hour": 1})
    managers = service.directory.audiences["management"].contacts
    sms_then_slack = [c for c in managers if c.channels[:2] == ("sms", "slack")]
    assert sms_then_slack, "the example managers include SMS-first contacts with Slack"
    declared = service.call(
        "POST",
        "/api/v1/incidents",
        json={
            "title": "Webmail is down",
            "severity": "minor",
            "components": ["webmail"],
        },
    )
    assert declared.status_code == 201, declared.text
    incident = declared.json()["incident"]["id"]
    wait_for(lambda: service.settled(incident, updates=1), timeout=60, what="opened")

    def sent_to(after: int) -> Counter[tuple[str, str]]:
        return Counter((r.channel, r.to) for r in service.providers.records()[after:])

    # Same phase, no ETA: the budget (1 SMS per hour) is spent, so Slack carries it.
    before = len(service.providers.records())
    service.call("POST", f"/api/v1/incidents/{incident}/updates", json={"message": "Still on it"})
    wait_for(lambda: service.settled(incident, updates=2), timeout=60, what="plain update")
    plain = sent_to(before)
    for contact in sms_then_slack:
        assert plain[("sms", contact.phone)] == 0
        assert plain[("slack", contact.slack)] == 1

    # A phase change always goes by SMS, budget or not.
    before = len(service.providers.records())
    service.call(
        "POST",
        f"/api/v1/incidents/{incident}/updates",
        json={"message": "Cause found", "phase": "identified"},
    )
    wait_for(lambda: service.settled(incident, updates=3), timeout=60, what="phase change")
    phase = sent_to(before)
    for contact in sms_then_slack:
        assert phase[("sms", contact.phone)] == 1
        assert phase[("slack", contact.slack)] == 0

    page = service.call(
        "GET",
        f"/api/v1/incidents/{incident}/deliveries",
        params={"audience": "management", "limit": 500},
    ).json()
    skipped = [a for d in page["items"] for a in d["attempts"] if a["outcome"] == "skipped"]
    assert {a["error_code"] for a in skipped} == {"sms_budget"}
