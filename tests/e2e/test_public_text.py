"""Nothing internal is public: alert text from every webhook source never reaches the status
page, /status.json or the Atom feed, end to end with a real worker.

Each source is fed host names, addresses and runbook links in every field it has (summaries,
descriptions, labels, component labels, instance names, the service label); a second alert adds
an unknown component, which makes the lifecycle write an automatic "now also affected: …"
update. The public surfaces must still say what is broken, in the words of the templates'
`public.yaml`, and the feed must stay XML after an alert summary carrying U+FFFF.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any
from xml.etree import ElementTree

import pytest

from tests.fixtures.service import RunningService, wait_for
from tests.fixtures.webhooks import webhook_payload

HOST, ADDRESS, RUNBOOK, DATABASE = (
    "mx1.corp.local",
    "10.0.0.5",
    "https://wiki.corp/rb/42",
    "db-primary-10.0.0.7",
)
# Every fragment an attacker (or a curious reader) could learn something from.
SECRETS = ("mx1", "corp.local", "10.0.0", "wiki.corp", "rb/42", "db-primary")
SUMMARY = f"Mail queue stuck on {HOST} ({ADDRESS}); runbook {RUNBOOK} \uffff"
DESCRIPTION = f"Queue on {HOST} at {ADDRESS} is full, see {RUNBOOK}; replica {DATABASE}"
INBOUND = "Incoming email is delayed or not arriving"
PUBLIC_SURFACES = ("/status", "/status?lang=pt-BR", "/status.json", "/status/feed.atom")


def _load(name: str) -> dict[str, Any]:
    payload: dict[str, Any] = webhook_payload(name)
    return payload


def alertmanager(components: str, group: str, service: str = "email") -> dict[str, Any]:
    payload = _load("alertmanager_firing.json")
    payload["groupKey"] = f"{{}}:{{group={group!r}}}"
    payload["commonAnnotations"] = {
        "summary": SUMMARY,
        "description": DESCRIPTION,
        "runbook_url": RUNBOOK,
    }
    payload["commonLabels"] = {"service": service, "instance": HOST, "severity": "critical"}
    for alert in payload["alerts"]:
        alert["labels"].update(
            component=components, instance=f"{HOST}:25", service=service, host=ADDRESS
        )
        alert["annotations"] = {"summary": SUMMARY, "description": DESCRIPTION}
    return payload


def grafana(components: str, group: str, service: str = "email") -> dict[str, Any]:
    payload = _load("grafana_firing.json")
    payload["groupKey"] = f"{{}}:{{group={group!r}}}"
    payload["title"] = f"[FIRING:1] {HOST} {ADDRESS}"
    payload["message"] = DESCRIPTION
    payload["commonAnnotations"] = {"summary": SUMMARY, "description": DESCRIPTION}
    payload["commonLabels"] = {"service": service, "instance": HOST, "component": components}
    for alert in payload["alerts"]:
        alert["labels"].update(component=components, instance=HOST, service=service)
        alert["annotations"] = {
            "summary": SUMMARY,
            "description": DESCRIPTION,
            "runbook_url": RUNBOOK,
        }
        alert["valueString"] = f"[ var='A' labels={{instance={HOST}}} value=1 ]"
    return payload


def uptime_kuma(components: str, group: str, service: str = "email") -> dict[str, Any]:
    payload = _load("uptime_kuma_down.json")
    monitor = payload["monitor"]
    monitor["id"] = payload["heartbeat"]["monitorID"] = 700 + len(group)
    monitor["name"] = SUMMARY
    monitor["description"] = DESCRIPTION
    monitor["hostname"] = HOST
    monitor["pathName"] = f"Mail / {HOST}"
    monitor["tags"] = [
        {"name": "component", "value": components},
        {"name": "service", "value": service},
        {"name": "severity", "value": "critical"},
        {"name": "instance", "value": ADDRESS},
    ]
    payload["heartbeat"]["msg"] = f"connect ECONNREFUSED {ADDRESS}:25 {RUNBOOK}"
    payload["msg"] = f"[{HOST}] [Down] {DESCRIPTION}"
    return payload


def generic(components: str, group: str, service: str = "email") -> dict[str, Any]:
    payload = _load("generic_firing.json")
    payload.update(
        source="probe-" + group,
        dedup_key=group,
        summary=SUMMARY,
        description=DESCRIPTION,
        components=components.split(","),
        url=RUNBOOK,
        service=service,
        labels={"instance": HOST, "address": ADDRESS, "runbook": RUNBOOK},
    )
    return payload


SOURCES: dict[str, tuple[str, Callable[..., dict[str, Any]]]] = {
    "alertmanager": ("/api/v1/webhooks/alertmanager", alertmanager),
    "grafana": ("/api/v1/webhooks/grafana", grafana),
    "uptime_kuma": ("/api/v1/webhooks/uptime-kuma", uptime_kuma),
    "generic": ("/api/v1/webhooks/generic", generic),
}


@pytest.fixture
def service(service_factory: Callable[..., RunningService], database_url: str) -> RunningService:
    return service_factory(database_url)


def public_bodies(service: RunningService) -> dict[str, str]:
    return {path: service.api.get(path).text for path in PUBLIC_SURFACES}


def assert_nothing_internal(service: RunningService) -> dict[str, str]:
    bodies = public_bodies(service)
    for path, body in bodies.items():
        for secret in SECRETS:
            assert secret not in body, (path, secret, body)
        assert "\uffff" not in body, path
    # An XML parser, not a substring check: U+FFFF is not an XML 1.0 character.
    ElementTree.fromstring(service.api.get("/status/feed.atom").content)  # noqa: S314 - ours
    return bodies


def applied(service: RunningService, incident_id: int, updates: int) -> bool:
    """The worker applied the events: the public surfaces read only incidents and updates, so
    waiting for the fan-out to finish would add time and prove nothing more."""
    detail = service.call("GET", f"/api/v1/incidents/{incident_id}").json()
    return len(detail["updates"]) >= updates


def open_incident_ids(service: RunningService) -> list[int]:
    items = service.call("GET", "/api/v1/incidents", params={"phase": "detected"}).json()
    return [int(item["id"]) for item in items["items"]]


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_alert_text_from_every_source_never_reaches_a_public_surface(
    service: RunningService, source: str
) -> None:
    path, build = SOURCES[source]
    first = service.call("POST", path, role="monitor", json=build("inbound", "first"))
    assert first.status_code == 202, first.text
    incident_id = wait_for(lambda: open_incident_ids(service), what="incident")[0]
    wait_for(lambda: applied(service, incident_id, 1), timeout=60, what="opened")
    # The same service, an unknown component: an automatic "now also affected: …" update.
    second = service.call(
        "POST", path, role="monitor", json=build(f"inbound,{DATABASE}", "second-group")
    )
    assert second.status_code == 202, second.text
    wait_for(lambda: applied(service, incident_id, 2), timeout=60, what="update")
    detail = service.call("GET", f"/api/v1/incidents/{incident_id}").json()
    # Staff see the alert as it came (the test would prove nothing if the text were lost).
    assert HOST in detail["title"] and DATABASE in detail["components"], detail
    # The automatic update says something changed, without the label (users read it too):
    # its scope line names the unlisted component as the service, in the reader's language.
    messages = [u["message"] for u in detail["updates"]]
    assert len(messages) == 2 and not any(DATABASE in m for m in messages), messages
    wait_for(lambda: service.settled(incident_id, updates=2), timeout=60, what="sent")
    bodies_sent = [r.body for r in service.providers.records("sms")]
    assert any("also affected" in b or "também com problema" in b for b in bodies_sent)
    assert not any(DATABASE in b for b in bodies_sent), bodies_sent

    bodies = assert_nothing_internal(service)
    status = json.loads(bodies["/status.json"])
    current = status["current"]
    assert current["id"] == incident_id
    # What is broken, in public words: the service's public title and the component's name;
    # the unknown component is the service's public name, not its label.
    assert current["title"] == "Email is not working properly", current
    assert current["description"], current
    assert current["components"] == [
        {"id": "inbound", "name": "receiving email"},
        {"id": "other", "name": "email"},
    ]
    assert "receiving email" in bodies["/status"]
    assert "recebimento de e-mails" in bodies["/status?lang=pt-BR"]
    assert "O e-mail não está funcionando direito" in bodies["/status?lang=pt-BR"]

    # An alert for a service named after a host opens its own incident: still public words
    # (its one known component's; the service label is not listed in public.yaml).
    hostile_service = copy.deepcopy(build("inbound", "third-group", service=HOST))
    third = service.call("POST", path, role="monitor", json=hostile_service)
    assert third.status_code == 202, third.text
    wait_for(lambda: len(open_incident_ids(service)) == 2, what="a second incident")
    newest = max(open_incident_ids(service))
    wait_for(lambda: applied(service, newest, 1), timeout=60, what="opened")
    status = json.loads(assert_nothing_internal(service)["/status.json"])
    assert status["current"]["id"] == newest
    assert status["current"]["title"] == INBOUND

    # Resolved, it is listed under past incidents: by its public title too.
    resolved = service.call(
        "POST", f"/api/v1/incidents/{newest}/resolve", json={"override_reason": "checked by hand"}
    )
    assert resolved.status_code == 202, resolved.text
    status = json.loads(assert_nothing_internal(service)["/status.json"])
    assert [p["title"] for p in status["past"]] == [INBOUND]
    # Let the fan-out finish: a worker still writing attempts would race the next test's
    # emptying of the shared PostgreSQL database.
    wait_for(lambda: service.settled(incident_id, updates=2), timeout=90, what="fan-out")
    wait_for(lambda: service.settled(newest, updates=2), timeout=90, what="fan-out")


def management_addresses(service: RunningService) -> set[str]:
    """Where management is told: the one audience whose templates show the alert's text."""
    audience = service.directory.audiences["management"]
    addresses = set(audience.broadcast.slack_channels) | set(audience.broadcast.fallback_urls)
    for contact in audience.contacts:
        addresses |= {a for a in (contact.phone, contact.slack, contact.fallback) if a}
    return addresses


def test_users_messages_name_an_unknown_component_as_the_service(
    service: RunningService,
) -> None:
    path, build = SOURCES["generic"]
    payload = build(f"inbound,{DATABASE},{HOST}", "a")
    assert service.call("POST", path, role="monitor", json=payload).is_success
    incident_id = wait_for(lambda: open_incident_ids(service), what="incident")[0]
    wait_for(lambda: service.settled(incident_id, updates=1), timeout=60, what="fan-out")

    management = management_addresses(service)
    others = [
        record
        for channel in ("sms", "slack")
        for record in service.providers.records(channel)
        if record.to not in management
    ]
    assert others, "nobody but management was told"
    for record in others:
        for secret in SECRETS:
            assert secret not in record.body, (record.channel, record.to, record.body)
    # What is broken, named: the known component, and the unknown labels as "email".
    # Labels sort before or after "inbound"; two unknown labels are one "email".
    named = ("email, receiving email", "e-mail, recebimento de e-mails")
    assert any(n in r.body for r in others for n in named), [r.body for r in others]
