"""The doctor's `voice` and `whatsapp templates` lines (issue 20): what each needs beyond the
Twilio credentials, judged offline from the settings, the contacts and content.yaml."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from outage_notify.config.settings import TwilioSettings
from outage_notify.doctor.check import Context, Result
from outage_notify.doctor.voice import voice, whatsapp
from tests.fixtures.settings import ROOT, TWILIO_SID, build_settings

PUBLIC = "https://notify.example.org"
TWILIO = TwilioSettings(
    account_sid=TWILIO_SID, auth_token=SecretStr("test-twilio-auth"), from_number="+15005550006"
)
ACKNOWLEDGE = "rules:\n  - audience: management\nacknowledge:\n  - audience: management\n"


def contacts(
    folder: Path, *, locale: str = "pt-BR", channels: str = "sms", ack: bool = True
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "management.yaml").write_text(
        "audience: management\ncontacts:\n"
        f"  - {{id: mara, name: Mara Dias, phone: '+5511990000011', channels: [{channels}], "
        f"locale: {locale}}}\n"
        "  - {id: nico, name: Nico Ramos, phone: '+5511990000012', channels: [sms], locale: en}\n"
    )
    routing = ACKNOWLEDGE if ack else "rules:\n  - audience: management\n"
    (folder / "routing.yaml").write_text(routing)
    return folder


def line(check: Any, tmp_path: Path, **values: Any) -> Result:
    settings = build_settings(
        contacts_dir=values.pop("contacts_dir", None) or contacts(tmp_path / "contacts"),
        templates_dir=values.pop("templates_dir", ROOT / "templates"),
        **values,
    )
    result: Result = check(Context(settings, timeout=1.0))
    return result


ON = {"enabled": True}


@pytest.mark.parametrize(
    ("values", "status", "says"),
    [
        ({}, "ok", "voice escalation is off"),
        ({"voice": ON, "public_base_url": PUBLIC}, "fail", "no Twilio account SID"),
        (
            {"voice": ON, "twilio": TWILIO, "public_base_url": "http://127.0.0.1:8000"},
            "fail",
            "PUBLIC_BASE_URL http://127.0.0.1:8000 is not an https address",
        ),
        (
            {"voice": ON, "twilio": TWILIO, "public_base_url": "https://10.0.0.5"},
            "fail",
            "not an https address Twilio can reach",
        ),
        (
            {
                "voice": {**ON, "voices": {"en": "Polly.Joanna"}},
                "twilio": TWILIO,
                "public_base_url": PUBLIC,
            },
            "fail",
            "no <Say> voice for pt-BR (e.g. mara)",
        ),
        (
            {
                "voice": {**ON, "calls_per_second": 3},
                "twilio": TWILIO,
                "public_base_url": PUBLIC,
            },
            "ok",
            f"en Polly.Joanna, pt-BR Polly.Camila; 3 call(s) a second (VOICE_CALLS_PER_SECOND); "
            f"callbacks to {PUBLIC}, signed with the auth token",
        ),
    ],
    ids=["off", "no account", "loopback", "private", "no voice for a locale", "configured"],
)
def test_the_voice_line(tmp_path: Path, values: dict[str, Any], status: str, says: str) -> None:
    result = line(voice, tmp_path, **values)
    assert (result.status, says in result.detail) == (status, True), result
    assert result.fix.endswith(".") if status != "ok" else result.fix == ""


def test_voice_with_nobody_to_phone_warns(tmp_path: Path) -> None:
    folder = contacts(tmp_path / "contacts", ack=False)
    result = line(
        voice, tmp_path, voice=ON, twilio=TWILIO, public_base_url=PUBLIC, contacts_dir=folder
    )
    assert result.status == "warn" and "nobody would be phoned" in result.detail


def test_the_whatsapp_line(tmp_path: Path) -> None:
    assert line(whatsapp, tmp_path).detail == "no contact uses WhatsApp."
    folder = contacts(tmp_path / "contacts", channels="whatsapp")
    no_sender = line(whatsapp, tmp_path, twilio=TWILIO, contacts_dir=folder)
    assert no_sender.status == "warn"  # a dry run, in development
    assert "no WhatsApp sender is set" in no_sender.detail
    sender = TWILIO.model_copy(update={"whatsapp_from": "+15005550007"})
    good = line(whatsapp, tmp_path, twilio=sender, contacts_dir=folder)
    assert good.status == "ok", good
    # A content.yaml without pt-BR's "opened": Mara (pt-BR, WhatsApp) could not be told.
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    content = templates / "whatsapp" / "content.yaml"
    text = content.read_text()
    content.write_text(text.replace("    pt-BR: HX00000000000000000000000000010003\n", "", 1))
    missing = line(whatsapp, tmp_path, twilio=sender, contacts_dir=folder, templates_dir=templates)
    assert missing.status == "fail", missing
    assert "templates.opened pt-BR" in missing.detail and str(content) in missing.detail
