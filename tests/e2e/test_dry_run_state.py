"""A delivery through a channel that is not configured is `dry_run` everywhere, never `sent`.

The service runs on the shipped contacts with every provider on the fakes except Twilio, which
has no settings at all: each SMS is then a console dry run. The API, coverage, /metrics and the
report must all say `dry_run`, count it as not reached, and the fake SMS server gets nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest
from prometheus_client.parser import text_string_to_metric_families

from outage_notify.config.settings import TwilioSettings
from tests.e2e.coverage_rows import expected_coverage, without_deadline
from tests.e2e.test_outage_flow import open_incident
from tests.e2e.test_report_flow import all_deliveries
from tests.fixtures.service import RunningService

METRICS_TOKEN = "test-metrics-token-0123"


@pytest.fixture
def service(service_factory: Callable[..., RunningService], database_url: str) -> RunningService:
    return service_factory(database_url, twilio=TwilioSettings(), metrics_token=METRICS_TOKEN)


def test_an_unconfigured_channel_is_dry_run_in_api_coverage_metrics_and_report(
    service: RunningService,
) -> None:
    incident_id = open_incident(service)

    # Nothing reached the SMS provider: a dry run sends nothing.
    assert not [r for r in service.providers.records() if r.channel == "sms"]
    deliveries = all_deliveries(service, incident_id)
    sms = [d for d in deliveries["items"] if d["channel"] == "sms"]
    assert sms, "the shipped contacts have SMS routes"
    assert {d["state"] for d in sms} == {"dry_run"}
    for delivery in sms:
        assert delivery["sent_at"] is None
        assert [a["outcome"] for a in delivery["attempts"]] == ["dry_run"]
    counted: Counter[tuple[str, str]] = Counter()
    for count in deliveries["counts"]:
        counted[(count["channel"], count["state"])] += count["count"]
    assert counted[("sms", "dry_run")] == len(sms)
    assert counted[("sms", "sent")] == 0
    # The other channels still went out for real.
    assert counted[("slack", "sent")] > 0
    dry_contacts = {
        (d["recipient_name"], d["audience"]) for d in sms if d["recipient"].startswith("contact:")
    }
    unreached = deliveries["unreached"]
    for name, audience in dry_contacts:
        assert f"{name} ({audience}; dry run: sms is not configured, nothing was sent)" in unreached

    # Coverage: a contact told only through a dry run is not sent, and is unreached; the SQL
    # agrees with a plain recount of the rows.
    detail = service.call("GET", f"/api/v1/incidents/{incident_id}").json()
    assert without_deadline(detail["coverage"]) == expected_coverage(deliveries["items"])
    by_audience = {c["audience"]: c for c in detail["coverage"]}
    dry_by_audience = Counter(
        d["audience"]
        for d in {d["recipient"]: d for d in sms if d["recipient"].startswith("contact:")}.values()
    )
    for audience, dry in dry_by_audience.items():
        figure = by_audience[audience]
        assert figure["dry_run"] == dry
        assert figure["sent"] <= figure["recipients"] - dry
        names = {name for name, a in dry_contacts if a == audience}
        assert names <= set(figure["unreached"])

    # /metrics: the gauge and the attempts say dry_run for SMS, never sent.
    scrape = service.api.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert scrape.status_code == 200, scrape.text
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(scrape.text)
        for sample in family.samples
    }
    sms_state = (("channel", "sms"), ("state", "dry_run"))
    assert samples[("outage_notify_deliveries", sms_state)] == len(sms)
    assert ("outage_notify_deliveries", (("channel", "sms"), ("state", "sent"))) not in samples
    sms_outcome = (("channel", "sms"), ("outcome", "dry_run"))
    assert samples[("outage_notify_delivery_attempts_total", sms_outcome)] == len(sms)

    # The report: its own column, never in "sent"; the unreached list says why.
    report = service.call("GET", f"/api/v1/incidents/{incident_id}/report").json()
    sms_rows = [d for d in report["deliveries"] if d["channel"] == "sms"]
    assert sum(d["dry_run"] for d in sms_rows) == len(sms)
    assert sum(d["sent"] for d in sms_rows) == 0
    assert report["delivery_totals"]["dry_run"] == len(sms)
    reasons = {(u["name"], u["audience"]): u["last_error"] for u in report["unreached"]}
    for key in dry_contacts:
        assert reasons[key] == "dry run: sms is not configured, nothing was sent"
    markdown = service.call(
        "GET", f"/api/v1/incidents/{incident_id}/report", params={"format": "md"}
    ).text
    html = service.call(
        "GET", f"/api/v1/incidents/{incident_id}/report", params={"format": "html"}
    ).text
    for text in (markdown, html):
        assert "Dry run (not sent)" in text
        assert "only had dry runs" in text
