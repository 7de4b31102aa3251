"""GET /metrics after a real fan-out agrees with the database, as the API reports it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest
from prometheus_client.parser import text_string_to_metric_families

from outage_notify.worker import names
from tests.e2e.test_outage_flow import open_incident
from tests.fixtures.service import RunningService


@pytest.fixture
def service(service_factory: Callable[..., RunningService], postgres_url: str) -> RunningService:
    from outage_notify.store.engine import create_store_engine, upgrade
    from tests.fixtures.databases import _empty

    engine = create_store_engine(postgres_url)
    upgrade(engine)
    _empty(engine)
    engine.dispose()
    return service_factory(postgres_url, metrics_token="test-metrics-token-0123")


def scrape(service: RunningService) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    response = service.api.get(
        "/metrics", headers={"Authorization": "Bearer test-metrics-token-0123"}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    samples: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            labels = tuple(sorted(sample.labels.items()))
            samples.setdefault(sample.name, {})[labels] = sample.value
    return samples


def test_metrics_after_a_fan_out_match_the_database(service: RunningService) -> None:
    incident_id = open_incident(service)
    page = service.call(
        "GET", f"/api/v1/incidents/{incident_id}/deliveries", params={"limit": 1}
    ).json()
    expected: Counter[tuple[tuple[str, str], ...]] = Counter()
    for count in page["counts"]:
        channel = "none" if count["channel"] == "-" else count["channel"]
        expected[(("channel", channel), ("state", count["state"]))] += count["count"]

    got = scrape(service)

    assert got["outage_notify_deliveries"] == dict(expected)
    assert sum(expected.values()) == page["total"] > 300
    # Every channel that carried a message reports its provider latency, one per attempt.
    attempts = got["outage_notify_delivery_attempts_total"]
    channels = {channel for (_, channel), _ in expected if channel != "none"}
    assert channels == {"sms", "slack", "fallback"}
    for channel in channels:
        label = (("channel", channel),)
        tried = sum(value for key, value in attempts.items() if key[0] == label[0])
        assert got["outage_notify_provider_latency_seconds_count"][label] == tried > 0
    detail = service.call("GET", f"/api/v1/incidents/{incident_id}").json()
    assert got["outage_notify_open_incidents"][(("phase", detail["phase"]),)] == 1
    told = {labels[0][1] for labels in got["outage_notify_first_message_seconds_count"]}
    assert {"management", "users", "partners"} <= told
    # The broker is the test Redis: every queue the workers consume is reported.
    assert got["outage_notify_broker_up"][()] == 1
    assert set(got["outage_notify_queue_depth"]) == {(("queue", q),) for q in names.ALL_QUEUES}


def test_metrics_need_the_token_when_one_is_set(service: RunningService) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        response = service.api.get("/metrics", headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
