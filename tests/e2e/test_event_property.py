"""Property: on PostgreSQL with a real worker, every event a webhook answered 2xx for ends
`applied` or `failed`; none is left pending behind another.

Generated sequences mix the four monitoring sources with boundary and hostile strings (long
summaries, odd label names and values, markup, control and format characters) over a few
services, so bad events land between good ones of the same service. The number of examples
is OUTAGE_NOTIFY_FUZZ_EXAMPLES (default 25; `scripts/test --fuzz` raises it).
"""

from __future__ import annotations

import os
import shutil
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outage_notify.store.engine import create_store_engine, upgrade
from tests.e2e.test_event_failures import quiet
from tests.fixtures.databases import _empty
from tests.fixtures.service import ROOT, TOKENS, RunningService

# Example count from OUTAGE_NOTIFY_FUZZ_EXAMPLES: 25 by default, 500 in `scripts/test --fuzz`.
pytestmark = pytest.mark.fuzz

EXAMPLES = int(os.environ.get("OUTAGE_NOTIFY_FUZZ_EXAMPLES", "25"))
# Bounded: a pending event after this long is a stuck one.
SETTLE_SECONDS = 60.0
HOSTILE = [
    "", " ", "\t\n", "\x00", "\x1b[31m", "\u202eevil", "\ufeff", "\uffff", "😀" * 70,
    "<script>alert(1)</script>", "'; DROP TABLE events; --", "%s%n%x", "{{ 7*7 }}", "${jndi:x}",
    "mx1.corp.local (10.0.0.5)", "é" * 301, "a" * 100, "a" * 101, "a" * 300, "a" * 301,
]  # fmt: skip
SERVICES = ["email", "web", "db"]
WEBHOOK_PATHS = {
    "alertmanager": "/api/v1/webhooks/alertmanager",
    "grafana": "/api/v1/webhooks/grafana",
    "generic": "/api/v1/webhooks/generic",
    "uptime-kuma": "/api/v1/webhooks/uptime-kuma",
}

text = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=30),
    st.integers(min_value=250, max_value=3500).map(lambda n: "summary " + "x" * n),
)
labels = st.dictionaries(st.one_of(st.sampled_from(["region", "team", ""]), text), text, max_size=3)
# Mostly real services, so good and bad events of one service follow each other.
service = st.one_of(*[st.sampled_from(SERVICES)] * 3, text)
status = st.sampled_from(["firing", "resolved"])
# Distinct starts and fingerprints make distinct events (the dedup key is built from them).
started = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1))
fingerprint = st.text("0123456789abcdef", min_size=1, max_size=16)


@st.composite
def prometheus_like(draw: st.DrawFn, source: str) -> dict[str, Any]:
    """One Alertmanager or Grafana notification with one alert."""
    state = draw(status)
    alert_labels = {
        **draw(labels),
        "alertname": draw(st.sampled_from(["MailDown", "Slow"])),
        "service": draw(service),
        "component": draw(st.one_of(st.sampled_from(["inbound", "webmail"]), text)),
        "severity": draw(st.sampled_from(["critical", "warning", "info", "bogus"])),
    }
    alert = {
        "status": state,
        "labels": alert_labels,
        "annotations": {"summary": draw(text), "description": draw(text)},
        "startsAt": draw(started).isoformat() + "Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": draw(st.sampled_from(["", "http://prometheus:9090/graph"])),
        "fingerprint": draw(fingerprint),
    }
    payload = {
        "receiver": "outage-notify",
        "status": state,
        "alerts": [alert],
        "groupLabels": {"service": alert_labels["service"]},
        "commonLabels": alert_labels,
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "version": "4",
        "groupKey": draw(st.sampled_from(["{}/{service=x}", draw(text)])),
        "truncatedAlerts": 0,
    }
    if source == "grafana":
        payload.update(version="1", orgId=1, title=draw(text), state="alerting", message="")
    return payload


@st.composite
def generic(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "source": draw(st.sampled_from(["probe", "cron", "a" * 60])),
        "dedup_key": draw(st.one_of(st.uuids().map(str), text)),
        "status": draw(status),
        "severity": draw(st.sampled_from(["critical", "major", "minor"])),
        "summary": draw(text),
        "description": draw(text),
        "components": draw(st.lists(st.sampled_from(["webmail", "imap", "x" * 50]), max_size=2)),
        "service": draw(service),
        "labels": draw(labels),
    }


@st.composite
def uptime_kuma(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "heartbeat": {
            "monitorID": 7,
            "status": draw(st.sampled_from([0, 1])),
            "time": draw(started).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3],
            "msg": draw(text),
        },
        "monitor": {
            "id": draw(st.integers(min_value=1, max_value=10**12)),
            "name": draw(text),
            "url": "https://",
            "tags": [{"name": "service", "value": draw(service)}],
        },
        "msg": draw(text),
    }


webhook = st.one_of(
    prometheus_like("alertmanager").map(lambda p: ("alertmanager", p)),
    prometheus_like("grafana").map(lambda p: ("grafana", p)),
    generic().map(lambda p: ("generic", p)),
    uptime_kuma().map(lambda p: ("uptime-kuma", p)),
)


def small_contacts(folder: Path) -> Path:
    """Management alone, no acknowledgements: fan-outs of a handful, so examples stay fast."""
    folder.mkdir()
    shutil.copy(ROOT / "contacts" / "management.yaml", folder / "management.yaml")
    (folder / "routing.yaml").write_text("rules:\n  - audience: management\n")
    return folder


def pending_of(service: RunningService, accepted: set[int]) -> set[int]:
    """The accepted events still pending (they are listed newest first, 500 a page)."""
    states: dict[int, str] = {}
    offset = 0
    while True:
        page = service.call("GET", "/api/v1/events", params={"limit": 500, "offset": offset})
        assert page.status_code == 200, page.text
        items = page.json()["items"]
        states.update({e["id"]: e["state"] for e in items})
        offset += len(items)
        if not items or offset >= page.json()["total"]:
            break
    assert accepted <= set(states), accepted - set(states)
    return {i for i in accepted if states[i] not in ("applied", "failed")}


def test_every_accepted_event_ends_applied_or_failed(
    service_factory: Callable[..., RunningService], postgres_url: str, tmp_path: Path
) -> None:
    engine = create_store_engine(postgres_url)
    upgrade(engine)
    _empty(engine)
    engine.dispose()
    service = service_factory(
        postgres_url, contacts_dir=small_contacts(tmp_path / "contacts"), default_lead="ana.souza"
    )
    # A 5xx is another property's business (no input gives one); here it is only a refusal,
    # so the client answers it rather than raising the server's exception in the test.
    client = TestClient(service.api.app, raise_server_exceptions=False)
    monitor = {"Authorization": f"Bearer {TOKENS['monitor']}"}
    answers: dict[int, int] = {}

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(batch=st.lists(webhook, min_size=1, max_size=4))
    def check(batch: list[tuple[str, dict[str, Any]]]) -> None:
        accepted: set[int] = set()
        for source, payload in batch:
            response = client.post(WEBHOOK_PATHS[source], headers=monitor, json=payload)
            answers[response.status_code] = answers.get(response.status_code, 0) + 1
            if 200 <= response.status_code < 300:
                accepted.add(int(response.json()["event_id"]))
        deadline = time.monotonic() + SETTLE_SECONDS
        while (stuck := pending_of(service, accepted)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not stuck, f"events {sorted(stuck)} still pending after {SETTLE_SECONDS}s"

    check()
    quiet(service)
    # The generated inputs did reach the worker: at least one event an example on average.
    assert sum(n for code, n in answers.items() if 200 <= code < 300) >= EXAMPLES // 2, answers
    listed = service.call("GET", "/api/v1/events", params={"limit": 500}).json()["items"]
    states = Counter(e["state"] for e in listed)
    print(f"answers {answers}; events {dict(states)}")
