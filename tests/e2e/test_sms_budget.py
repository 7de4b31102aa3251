"""The per-recipient cap, end to end: what is over it waits, and a resolution is never held
but carries the held news of other incidents with it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from tests.fixtures.service import RunningService, wait_for


def test_news_over_the_cap_is_held_and_a_resolution_carries_it(
    service_factory: Callable[..., RunningService], database_url: str
) -> None:
    service = service_factory(database_url, recipient_max_per_hour=1)
    managers = service.directory.audiences["management"].contacts
    sms_first = [c for c in managers if c.channels[0] == "sms"]
    assert sms_first, "the example managers include SMS-first contacts"

    def declare(title: str, on: str) -> int:
        answer = service.call(
            "POST",
            "/api/v1/incidents",
            json={"title": title, "severity": "minor", "components": ["webmail"], "service": on},
        )
        assert answer.status_code == 201, answer.text
        return int(answer.json()["incident"]["id"])

    def sent_to(after: int) -> Counter[tuple[str, str | None]]:
        return Counter((r.channel, r.to) for r in service.providers.records()[after:])

    first = declare("Webmail is down", "email")
    wait_for(lambda: service.settled(first, updates=1), timeout=60, what="first opened")
    # The cap (1 an hour) is spent: the second incident's news waits for each of them, on no
    # other channel either (Slack would just move the flood), and the incident says so.
    before = len(service.providers.records())
    second = declare("Calendar is down", "calendar")
    wait_for(lambda: service.settled(second, updates=1), timeout=60, what="second opened")
    held = sent_to(before)
    for contact in sms_first:
        assert held[("sms", contact.phone)] == 0
        assert held[("slack", contact.slack)] == 0
    page = service.call(
        "GET", f"/api/v1/incidents/{second}/deliveries", params={"audience": "management"}
    ).json()
    assert {f"{c.name} (management)" for c in sms_first} <= set(page["held"])
    assert {
        d["state"]
        for d in page["items"]
        if d["recipient"] in {f"contact:{c.id}" for c in sms_first}
    } == {"held"}

    # The resolution goes out at once, over the cap, and carries the held news along.
    before = len(service.providers.records())
    answer = service.call("POST", f"/api/v1/incidents/{first}/resolve", json={"message": "Fixed"})
    assert answer.status_code == 202, answer.text
    wait_for(lambda: service.settled(first, updates=2), timeout=60, what="resolved")
    by_phone = {r.to: r.body for r in service.providers.records()[before:] if r.channel == "sms"}
    for contact in sms_first:
        assert contact.phone in by_phone, f"{contact.id} got no resolution"
        assert f"#{second}" in by_phone[contact.phone], by_phone[contact.phone]
    page = service.call("GET", f"/api/v1/incidents/{second}/deliveries").json()
    assert page["held"] == []
    carried = [d for d in page["items"] if d["error"].startswith("carried as a digest")]
    assert {d["recipient"] for d in carried} >= {f"contact:{c.id}" for c in sms_first}
