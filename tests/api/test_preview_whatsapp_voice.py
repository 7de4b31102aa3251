"""The update preview shows what WhatsApp sends outside the 24-hour window (the Content
Template and its variables) and the voice call a reader asked to acknowledge would get if they
do not, on SQLite and PostgreSQL; asking sends nothing: no message, no call."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from outage_notify.cli.incident_preview import print_preview
from outage_notify.cli.output import console
from outage_notify.config.voice import VoiceSettings
from outage_notify.integrations.fake_server import FakeProviders
from tests.api.hardened_app import INCIDENTS, bearer
from tests.console.console_client import sign_in, submit
from tests.fixtures.app import api_client
from tests.fixtures.service import TOKENS, make_settings

MANAGEMENT = """audience: management
contacts:
  - id: bea
    name: Bea Costa
    phone: "+5511990000021"
    whatsapp: "+5521987650002"
    locale: pt-BR
    channels: [whatsapp, sms]
  - {id: ann, name: Ann Lee, phone: "+5511990000022", locale: en, channels: [sms, whatsapp]}
"""
ROUTING = """rules:
  - audience: management
acknowledge:
  - audience: management
    kinds: [opened]
"""
DECLARE = {"title": "Mail down", "summary": "Nobody can send mail.", "severity": "major"}


def contacts(tmp_path: Path) -> Path:
    folder = tmp_path / "contacts"
    folder.mkdir()
    (folder / "management.yaml").write_text(MANAGEMENT, encoding="utf-8")
    (folder / "routing.yaml").write_text(ROUTING, encoding="utf-8")
    return folder


@pytest.fixture
def api(
    providers: FakeProviders, database_url: str, redis_url: str, tmp_path: Path
) -> Iterator[TestClient]:
    settings = make_settings(
        database_url=database_url,
        broker_url=redis_url,
        providers=providers,
        contacts_dir=contacts(tmp_path),
        organisation_name="Example Corp",
        voice=VoiceSettings(enabled=True),
    )
    with api_client(settings, raise_server_exceptions=False) as client:
        yield client


def preview(api: TestClient) -> dict[str, Any]:
    answer = api.post(f"{INCIDENTS}/preview", json=DECLARE, headers=bearer("staff"))
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def test_a_whatsapp_body_shows_its_content_template_and_variables(api: TestClient) -> None:
    messages = preview(api)["messages"]

    [whatsapp] = [m for m in messages if m["channel"] == "whatsapp" and m["locale"] == "pt-BR"]
    assert whatsapp["names"] == ["Bea Costa"]
    template = whatsapp["whatsapp"]
    assert template["content_sid"] == "HX00000000000000000000000000010003"  # opened, pt-BR
    assert list(template["variables"]) == ["1"]
    assert "Nobody can send mail." in template["variables"]["1"]
    assert "\n" not in template["variables"]["1"]
    assert template["text"].startswith("Aviso de serviço: [Example Corp TI] ")
    assert template["text"].endswith("(mensagem automática do serviço de status de TI)")
    # Other channels carry no template.
    assert all(m["whatsapp"] is None for m in messages if m["channel"] != "whatsapp")


def test_the_call_script_is_shown_if_not_acknowledged_and_nothing_is_sent(
    api: TestClient, providers: FakeProviders
) -> None:
    messages = preview(api)["messages"]

    called = {(m["channel"], m["locale"]): m["call"] for m in messages if m["call"]}
    # One call per locale, reading the SMS body (as the worker's call does).
    assert set(called) == {("sms", "pt-BR"), ("sms", "en")}
    call = called[("sms", "pt-BR")]
    assert call["condition"] == "if not acknowledged"
    assert (call["voice"], call["language"]) == ("Polly.Camila", "pt-BR")
    answered = call["script"][0]
    body = next(m["body"] for m in messages if m["channel"] == "sms" and m["locale"] == "pt-BR")
    assert answered == {
        "when": "answered",
        "says": [
            "Aviso de indisponibilidade de Example Corp.",
            body,
            "Pressione 1 para confirmar que ouviu esta mensagem.",
        ],
    }
    assert called[("sms", "en")]["script"][0]["says"][0] == (
        "This is an outage notice from Example Corp."
    )
    assert providers.records() == []
    assert httpx.get(providers.base_url + "/_fake/twilio/calls").json() == {"calls": []}


def test_the_cli_preview_prints_the_template_and_the_call(api: TestClient) -> None:
    with console.capture() as captured:
        print_preview(preview(api))

    text = " ".join(captured.get().split())
    assert "outside the 24-hour window, as template HX00000000000000000000000000010003:" in text
    assert "{{1}} = [Example Corp TI] E-mail fora do ar" in text
    assert "voice call, if not acknowledged (Polly.Camila, pt-BR):" in text
    assert "[1 pressed] | Obrigado. Sua confirmação foi registrada. Até logo." in text


def test_the_console_preview_shows_the_template_and_the_call(api: TestClient) -> None:
    assert sign_in(api, TOKENS["staff"], name="Ann Lee").status_code == 303
    fields = {"title": "Mail down", "severity": "major", "message": "Nobody can send mail."}

    page = submit(api, "/console/incidents", "/console/incidents", intent="preview", **fields)

    assert page.status_code == 200, page.text
    assert "Preview: nothing has been sent" in page.text
    assert "as the Content Template <code>HX00000000000000000000000000010003</code>" in page.text
    assert "<summary>Voice call, if not acknowledged</summary>" in page.text
    assert "Aviso de indisponibilidade de Example Corp." in page.text
