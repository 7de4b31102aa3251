"""4xx, never 5xx: the bad inputs of issue 13, on SQLite and PostgreSQL with a real broker.

Each test is one reproduction from the issue (each answered 500, or parsed the body before
checking who sent it, before the fix). Monitoring input is accepted whenever it can be
(a monitor cannot fix its payload); staff input is refused with a 422 naming the field.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from twilio.request_validator import RequestValidator

from outage_notify.integrations.fake_server import FakeProviders
from outage_notify.store.tables import EventRow, InboundMessageRow
from tests.api.hardened_app import (
    ALERTMANAGER,
    GENERIC,
    GRAFANA,
    INCIDENTS,
    UPTIME_KUMA,
    bearer,
    grafana_headers,
    hardened_api,
    rows,
    sample,
)
from tests.fixtures.inbound import INBOUND, INTERACTIVITY, PUBLIC, TWILIO_AUTH, slack_headers

# Valid RFC 3339, but converting them to UTC leaves datetime's range (OverflowError).
YEAR_1_WITH_OFFSET = "0001-01-01T00:30:00+01:00"
YEAR_9999_WITH_OFFSET = "9999-12-31T23:30:00-01:00"
EXTREME_TIMES = [YEAR_1_WITH_OFFSET, YEAR_9999_WITH_OFFSET]


@pytest.fixture
def api(providers: FakeProviders, database_url: str, redis_url: str) -> Iterator[TestClient]:
    with hardened_api(providers, database_url, redis_url) as client:
        yield client


def post_json(api: TestClient, path: str, payload: Any, role: str = "monitor") -> Any:
    # json.dumps escapes a lone surrogate as \ud800: valid JSON that decodes to it.
    return api.post(path, content=json.dumps(payload).encode(), headers=bearer(role))


def stored_payloads(database_url: str) -> list[dict[str, Any]]:
    return [row.payload for row in rows(database_url, EventRow)]


# --- out-of-range timestamps -----------------------------------------------------------------


@pytest.mark.parametrize("when", EXTREME_TIMES)
def test_an_extreme_generic_started_at_is_a_422_naming_the_field(
    api: TestClient, when: str
) -> None:
    response = post_json(api, GENERIC, {**sample("generic_firing.json"), "started_at": when})
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][-1] == "started_at"


@pytest.mark.parametrize("when", EXTREME_TIMES)
def test_an_extreme_alertmanager_starts_at_is_accepted_clamped(
    api: TestClient, database_url: str, when: str
) -> None:
    payload = sample("alertmanager_firing.json")
    for alert in payload["alerts"]:
        alert["startsAt"] = when
    response = post_json(api, ALERTMANAGER, payload)
    assert response.status_code == 202, response.text
    started = stored_payloads(database_url)[0]["started_at"]
    assert started[:4] in ("1970", "9000")


@pytest.mark.parametrize("when", EXTREME_TIMES)
def test_an_extreme_grafana_starts_at_is_accepted(api: TestClient, when: str) -> None:
    payload = sample("grafana_firing.json")
    for alert in payload["alerts"]:
        alert["startsAt"] = when
    body = json.dumps(payload).encode()
    response = api.post(GRAFANA, content=body, headers=grafana_headers(body))
    assert response.status_code == 202, response.text


@pytest.mark.parametrize("when", EXTREME_TIMES)
def test_an_extreme_uptime_kuma_time_is_accepted(api: TestClient, when: str) -> None:
    payload = sample("uptime_kuma_down.json")
    payload["heartbeat"]["time"] = when
    response = post_json(api, UPTIME_KUMA, payload)
    assert response.status_code == 202, response.text


def declare(api: TestClient, **changes: Any) -> Any:
    body = {"title": "Webmail down", "severity": "major", **changes}
    return post_json(api, INCIDENTS, body, role="staff")


@pytest.mark.parametrize("when", [*EXTREME_TIMES, "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z"])
def test_an_extreme_staff_eta_is_a_422_naming_the_field(api: TestClient, when: str) -> None:
    response = declare(api, eta=when)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", "eta"]
    incident = declare(api).json()["incident"]["id"]
    update = post_json(
        api, f"{INCIDENTS}/{incident}/updates", {"message": "x", "eta": when}, role="staff"
    )
    assert update.status_code == 422, update.text
    assert update.json()["detail"][0]["loc"] == ["body", "eta"]


# --- Grafana's timestamp header --------------------------------------------------------------


@pytest.mark.parametrize("stamp", ["9" * 400, "-" + "9" * 400, "1e9", "0x10", "1" * 5000])
def test_a_huge_grafana_timestamp_header_is_a_403_before_anything_else(
    api: TestClient, database_url: str, stamp: str
) -> None:
    body = json.dumps(sample("grafana_firing.json")).encode()
    response = api.post(GRAFANA, content=body, headers=grafana_headers(body, timestamp=stamp))
    assert response.status_code == 403, response.text
    assert "not a number of Unix seconds" in response.json()["detail"]
    assert stored_payloads(database_url) == []


# --- lone surrogates -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [{"title": "Webmail \ud800 down"}, {"summary": "\udfff"}, {"components": ["in\ud800"]}],
)
def test_a_lone_surrogate_in_a_staff_request_is_a_422_naming_the_field(
    api: TestClient, changes: dict[str, Any]
) -> None:
    response = declare(api, **changes)
    assert response.status_code == 422, response.text
    (field,) = changes
    assert field in response.text
    assert "surrogate" in response.text


def test_a_lone_surrogate_in_a_staff_note_is_a_422(api: TestClient) -> None:
    incident = declare(api).json()["incident"]["id"]
    note = post_json(api, f"{INCIDENTS}/{incident}/notes", {"text": "a\ud800b"}, role="staff")
    assert note.status_code == 422, note.text


def test_a_lone_surrogate_from_monitoring_is_kept_as_a_replacement_character(
    api: TestClient, database_url: str
) -> None:
    payload = sample("alertmanager_firing.json")
    payload["commonAnnotations"]["summary"] = "Mail queue \ud800 stuck"
    payload["commonLabels"]["service"] = "mail\udfff"
    response = post_json(api, ALERTMANAGER, payload)
    assert response.status_code == 202, response.text
    (stored,) = stored_payloads(database_url)
    assert stored["summary"] == "Mail queue \ufffd stuck"
    assert stored["service"] == "mail\ufffd"


def test_a_lone_surrogate_in_an_invalid_webhook_is_a_422_not_a_500(api: TestClient) -> None:
    # The 422 echoes the input; UTF-8 cannot encode the surrogate it holds.
    response = post_json(api, GENERIC, {"source": "\ud800", "status": "nonsense"})
    assert response.status_code == 422, response.text


# --- deep nesting ----------------------------------------------------------------------------


def test_a_signed_slack_payload_nested_20000_deep_is_a_400(api: TestClient) -> None:
    deep = "[" * 20_000 + "]" * 20_000
    body = urlencode({"payload": '{"type": "block_actions", "actions": ' + deep + "}"})
    response = api.post(INTERACTIVITY, content=body, headers=slack_headers(body))
    assert response.status_code == 400, response.text


@pytest.mark.parametrize("path", [ALERTMANAGER, GENERIC, UPTIME_KUMA])
def test_a_webhook_body_nested_20000_deep_is_a_4xx(api: TestClient, path: str) -> None:
    body = '{"labels": ' + "[" * 20_000 + "]" * 20_000 + "}"
    response = api.post(path, content=body, headers=bearer("monitor"))
    assert 400 <= response.status_code < 500, response.text


# --- authentication before the body ----------------------------------------------------------

MALFORMED = b'{"status": "firing", "alerts": [' + b"1," * 1000


@pytest.mark.parametrize("path", [ALERTMANAGER, GENERIC, UPTIME_KUMA, INCIDENTS])
@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-token-we-know"}],
    ids=["no token", "unknown token"],
)
def test_malformed_json_without_a_valid_token_is_a_401_not_a_422(
    api: TestClient, path: str, headers: dict[str, str]
) -> None:
    response = api.post(
        path, content=MALFORMED, headers={**headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 401, response.text


def test_malformed_json_from_a_token_of_too_low_a_role_is_a_403(api: TestClient) -> None:
    response = api.post(INCIDENTS, content=MALFORMED, headers=bearer("monitor"))
    assert response.status_code == 403, response.text


def test_malformed_json_to_grafana_without_a_signature_is_a_403(api: TestClient) -> None:
    response = api.post(GRAFANA, content=MALFORMED, headers={"Content-Type": "application/json"})
    assert response.status_code == 403, response.text


def test_malformed_json_with_a_valid_token_is_still_a_422(api: TestClient) -> None:
    response = api.post(ALERTMANAGER, content=MALFORMED, headers=bearer("monitor"))
    assert response.status_code == 422, response.text


def test_a_403_does_not_name_the_token(api: TestClient) -> None:
    response = post_json(api, INCIDENTS, {"title": "x"}, role="monitor")
    assert response.status_code == 403
    assert "monitor-bot" not in response.text
    assert "staff role" in response.json()["detail"]


def test_a_grafana_signature_is_remembered_once_when_checked_before_the_body(
    api: TestClient,
) -> None:
    # The route class and FastAPI both ask for the principal: the replay record is one.
    body = json.dumps(sample("grafana_firing.json")).encode()
    headers = grafana_headers(body)
    assert api.post(GRAFANA, content=body, headers=headers).status_code == 202
    again = api.post(GRAFANA, content=body, headers=headers)
    assert again.status_code == 403
    assert "replayed" in again.json()["detail"]


# --- inbound SMS without MessageSid ----------------------------------------------------------


def test_a_signed_inbound_sms_without_message_sid_is_refused_and_kept_nowhere(
    api: TestClient, database_url: str
) -> None:
    form = {"From": "+5511999990001", "To": "+15005550006", "Body": "STOP", "NumMedia": "0"}
    signature = RequestValidator(TWILIO_AUTH).compute_signature(PUBLIC + INBOUND, form)
    for _resend in range(2):
        response = api.post(INBOUND, data=form, headers={"X-Twilio-Signature": signature})
        assert response.status_code == 400, response.text
        assert "MessageSid" in response.text
    assert rows(database_url, InboundMessageRow) == []


# --- staff input over a limit ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "limit"),
    [
        ("title", "t" * 301, 300),
        ("service", "s" * 101, 100),
        ("summary", "x" * 5001, 5000),
        ("lead", "l" * 201, 200),
    ],
)
def test_staff_text_over_its_limit_is_a_422_naming_the_field_and_the_limit(
    api: TestClient, field: str, value: str, limit: int
) -> None:
    response = declare(api, **{field: value})
    assert response.status_code == 422, response.text
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", field]
    assert f"at most {limit} characters" in error["msg"]
