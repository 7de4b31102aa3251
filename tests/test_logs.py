"""Structured logs: one JSON object per line, with ids when given."""

from __future__ import annotations

import json
import logging

from outage_notify.logs import JsonFormatter


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
