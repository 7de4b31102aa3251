"""Structured logs: one JSON object per line, with ids when given."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from outage_notify.config.settings import Settings
from outage_notify.core.redaction import secret_values
from outage_notify.observability.logs import JsonFormatter, redacting_filter
from tests.fixtures.service import RunningService
from tests.fixtures.settings import build_settings

ROOT = Path(__file__).resolve().parents[1]


def test_json_lines_carry_ids_and_errors() -> None:
    record = logging.LogRecord(
        "outage_notify.x", logging.WARNING, __file__, 1, "sent %s", ("ok",), None
    )
    record.incident_id = 7
    record.delivery_id = 42
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "sent ok" and line["level"] == "WARNING"
    assert (line["incident_id"], line["delivery_id"]) == (7, 42)
    assert "update_id" not in line


SECRET = "a-staff-token-nobody-may-see"


def settings_with_secrets() -> Settings:
    return build_settings(
        api_tokens=f"staff:oncall:{SECRET}",
        twilio={"auth_token": "twilio-auth-token-value"},
        broker_url="redis://:broker-password@redis.internal:6379/0",
        fallback={"urls": ["tgram://123456:bot-token-in-url/-100200"]},
    )


def test_secret_values_holds_every_secret_of_the_settings() -> None:
    values = secret_values(settings_with_secrets())
    assert {SECRET, "twilio-auth-token-value", "broker-password"} <= values
    assert "tgram://123456:bot-token-in-url/-100200" in values


def test_the_filter_redacts_message_arguments_and_traceback() -> None:
    record = logging.LogRecord(
        "celery.app.trace", logging.ERROR, __file__, 1, "sent to %s with %r", None, None
    )
    record.args = ("+5511990000001", {"token": SECRET})
    try:
        raise ValueError(f"refused {SECRET} for +5521990000003")
    except ValueError:
        record.exc_info = sys.exc_info()
    redacting_filter(settings_with_secrets()).filter(record)
    for text in (logging.Formatter().format(record), JsonFormatter().format(record)):
        assert SECRET not in text and "+5511990000001" not in text and "+5521990000003" not in text
        assert "+55******0001" in text and "+55******0003" in text and "[REDACTED]" in text


@pytest.mark.integration  # runs a process (conftest cannot see it)
def test_a_configured_process_writes_no_secret_and_no_whole_number() -> None:
    # configure_logging replaces the root handlers, so it runs in a process of its own.
    script = f"""
import logging
from outage_notify.observability.logs import configure_logging
from tests.test_logs import settings_with_secrets
from tests.fixtures.settings import build_settings
configure_logging(settings_with_secrets())
logging.getLogger("twilio.http_client").warning("POST To=%s", "+5511990000001")
logging.getLogger("outage_notify.x").error("token %s", {SECRET!r})
"""
    for log_json in ("false", "true"):
        done = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
            env={**os.environ, "OUTAGE_NOTIFY_LOG_JSON": log_json},
            check=True,
        )
        assert "+55******0001" in done.stderr and "[REDACTED]" in done.stderr
        assert SECRET not in done.stderr and "+5511990000001" not in done.stderr


def test_the_suite_wide_log_audit_is_installed_and_catches_leaks() -> None:
    from tests.fixtures import log_audit

    root = logging.getLogger()
    assert log_audit.AUDIT in root.handlers and root.getEffectiveLevel() <= logging.INFO
    audit = log_audit.LogAudit()
    for name, text in [
        ("outage_notify.delivery.send", "sent to +5511990000001"),
        ("outage_notify.api", f"token {log_audit.KNOWN_SECRETS[0]}"),
        # Libraries' records count once redacted, as a deployed process writes them.
        ("celery.worker", f"task args ['+5511990000001', '{log_audit.KNOWN_SECRETS[0]}']"),
    ]:
        audit.handle(logging.LogRecord(name, logging.INFO, __file__, 1, text, None, None))
    assert [(f.logger, f.stage) for f in audit.findings] == [
        ("outage_notify.delivery.send", "logged by outage_notify"),
        ("outage_notify.api", "logged by outage_notify"),
    ]


def test_worker_logs_are_one_json_line_per_delivery_with_ids(
    service_factory: Callable[..., RunningService],
    database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from tests.fixtures.service import wait_for

    service = service_factory(database_url, log_json=True)
    with caplog.at_level(logging.INFO, logger="outage_notify"):
        declared = service.call(
            "POST",
            "/api/v1/incidents",
            json={"title": "Mail down", "severity": "minor", "components": ["webmail"]},
        )
        incident = declared.json()["incident"]["id"]
        wait_for(lambda: service.settled(incident, updates=1), timeout=60, what="fan-out")
    per_delivery = [r for r in caplog.records if hasattr(r, "delivery_id")]
    assert per_delivery and all(vars(r)["incident_id"] == incident for r in per_delivery)
    line = json.loads(JsonFormatter().format(per_delivery[0]))
    assert line["incident_id"] == incident and isinstance(line["delivery_id"], int)
    assert "sent via" in line["message"]
