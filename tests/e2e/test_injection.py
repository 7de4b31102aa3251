"""Hostile alert text end to end: Slack gets it inert, SMS gets it without control characters.

An Alertmanager payload's labels and annotations are whatever the monitored system (or whoever
can write to it) put there. What matters is what the fake providers received: the raw
`chat.postMessage` request for Slack (blocks, text fallback, and no re-parsing flags) and the
body Twilio was asked to send.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from typing import Any

import pytest

from outage_notify.fakes.state import FakeRecord
from tests.fixtures.service import RunningService, wait_for
from tests.fixtures.webhooks import webhook_payload

ALERTMANAGER = "/api/v1/webhooks/alertmanager"
# Slack's special syntax: broadcasts, a user mention, and a link with a label that hides it.
MENTIONS = ("<!channel>", "<!here>", "<@U123>", "<https://evil.example|click>")
ESCAPED = (
    "&lt;!channel&gt;",
    "&lt;!here&gt;",
    "&lt;@U123&gt;",
    "&lt;https://evil.example|click&gt;",
)
# A bell, a terminal colour escape, a right-to-left override and a zero-width space.
CONTROL = "\x00\x07\x1b[31m\u202e\u200b"


def hostile_payload() -> dict[str, Any]:
    payload: dict[str, Any] = webhook_payload("alertmanager_firing.json")
    hostile = " ".join(MENTIONS)
    payload["commonAnnotations"] = {
        "summary": f"Mail down {hostile} {CONTROL}end",
        "description": f"Details {hostile} & more {CONTROL}",
    }
    for alert in payload["alerts"]:
        alert["labels"]["component"] = "<!channel>"
        alert["annotations"]["summary"] = hostile
    return payload


def slack_texts(record: FakeRecord) -> list[str]:
    """Every string Slack would render from one post: the text fallback and each block."""
    params = record.raw["params"]
    blocks = params.get("blocks") or []
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    return [str(params.get("text", ""))] + [
        str(block["text"]["text"]) for block in blocks if isinstance(block.get("text"), dict)
    ]


@pytest.fixture
def service(service_factory: Callable[..., RunningService], database_url: str) -> RunningService:
    return service_factory(database_url)


def test_slack_receives_mentions_and_links_as_inert_text_and_sms_no_control_characters(
    service: RunningService,
) -> None:
    response = service.call("POST", ALERTMANAGER, role="monitor", json=hostile_payload())
    assert response.status_code == 202, response.text
    incidents = wait_for(
        lambda: service.call("GET", "/api/v1/incidents").json()["items"], what="incident"
    )
    incident_id = int(incidents[0]["id"])
    wait_for(lambda: service.settled(incident_id, updates=1), timeout=60, what="opened fan-out")

    slack = service.providers.records("slack")
    assert slack, "nothing reached Slack"
    for record in slack:
        params = record.raw["params"]
        # Either flag makes Slack re-parse the text and turn "@channel" words into mentions.
        assert "link_names" not in params and "parse" not in params, params
        assert params.get("blocks"), "a post without blocks"
        for text in slack_texts(record):
            for mention in MENTIONS:
                assert mention not in text, (record.to, text)
            assert "\x1b" not in text and "\u202e" not in text, (record.to, text)
    # Management's broadcast channel shows the alert text: escaped, in blocks and in text.
    management = next(r for r in slack if r.to == "C0MGMTSTATUS")
    text, *blocks = slack_texts(management)
    for escaped in ESCAPED:
        assert escaped in text, text
        assert any(escaped in block for block in blocks), blocks
    assert "&amp; more" in text

    sms = service.providers.records("sms")
    assert sms, "nothing reached Twilio"
    for record in sms:
        bad = [c for c in record.body if c != "\n" and unicodedata.category(c) in ("Cc", "Cf")]
        assert not bad, (record.to, record.body)
    # SMS is plain text: the words arrive as written, minus the control characters.
    assert any("<!channel>" in r.body and "end" in r.body for r in sms)
