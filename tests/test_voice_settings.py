"""Voice escalation's settings: flat names, voices per locale, production's refusal."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tests.fixtures.service import ROOT
from tests.fixtures.settings import build_settings, read_settings

PRODUCTION = {
    "environment": "production",
    "broker_url": "redis://r",
    "api_tokens": "staff:oncall:a-real-staff-token-0123456789",
}


def test_voice_is_off_by_default_with_the_issue_defaults() -> None:
    voice = build_settings().voice
    assert (voice.enabled, voice.retry_minutes, voice.max_calls) == (False, 10.0, 3)
    assert voice.calls_per_second == 1.0


def test_flat_variables_fill_the_voice_section() -> None:
    settings = read_settings(ROOT / ".env.example", voice={"enabled": True, "max_calls": 5})
    assert settings.voice.enabled and settings.voice.max_calls == 5
    assert settings.voice.voice_for("pt-BR") == ("Polly.Camila", "pt-BR")
    assert settings.voice.voice_for("en") == ("Polly.Joanna", "en-US")
    # An unknown locale is spoken with its own tag and the English voice.
    assert settings.voice.voice_for("fr") == ("Polly.Joanna", "fr")


@pytest.mark.parametrize(
    "base", ["http://127.0.0.1:8000", "https://localhost:8443", "http://status.example.org"]
)
def test_production_refuses_voice_without_a_public_https_base(base: str) -> None:
    with pytest.raises(ValidationError, match="VOICE_ENABLED needs PUBLIC_BASE_URL"):
        build_settings(**PRODUCTION, public_base_url=base, voice={"enabled": True})


def test_production_accepts_voice_with_a_public_base() -> None:
    settings = build_settings(
        **PRODUCTION, public_base_url="https://status.example.org", voice={"enabled": True}
    )
    assert settings.voice.enabled
    # Off, the base does not matter.
    build_settings(**PRODUCTION, public_base_url="http://127.0.0.1:8000")


@pytest.mark.parametrize(("field", "value"), [("max_calls", 0), ("retry_minutes", 0)])
def test_bad_voice_values_are_refused(field: str, value: int) -> None:
    with pytest.raises(ValidationError, match=field):
        build_settings(voice={field: value})
