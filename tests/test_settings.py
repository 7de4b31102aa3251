"""Settings: flat variable names into nested models, secrets, production refusals."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from outage_notify.config.api_tokens import Role
from outage_notify.config.settings import Settings
from tests.fixtures.settings import build_settings, read_settings

ROOT = Path(__file__).resolve().parents[1]


def env_names(model: type[BaseModel], prefix: str = "OUTAGE_NOTIFY_") -> set[str]:
    names = set()
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if (
            isinstance(annotation, type)
            and issubclass(annotation, BaseModel)
            and name != "api_tokens"
        ):
            names |= {f"{prefix}{name.upper()}_{n}" for n in env_names(annotation, "")}
        else:
            names.add(f"{prefix}{name.upper()}")
    return names


# Still read, with a warning, but no longer offered in .env.example.
DEPRECATED = {"OUTAGE_NOTIFY_DELIVERY_SMS_BUDGET_PER_HOUR"}


def test_env_example_documents_every_setting_and_nothing_else() -> None:
    documented = set(
        re.findall(r"^(OUTAGE_NOTIFY_[A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M)
    )
    assert documented == env_names(Settings) - DEPRECATED


def test_the_old_per_incident_sms_budget_becomes_the_recipient_cap_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("OUTAGE_NOTIFY_DELIVERY_SMS_BUDGET_PER_HOUR", "2")
    with caplog.at_level("WARNING", logger="outage_notify.config.settings"):
        settings = build_settings()
    assert settings.recipient_max_per_hour == 2
    assert "OUTAGE_NOTIFY_RECIPIENT_MAX_PER_HOUR" in caplog.text
    assert "deprecated" in caplog.text
    # The new name wins when both are set.
    monkeypatch.setenv("OUTAGE_NOTIFY_RECIPIENT_MAX_PER_HOUR", "4")
    assert build_settings().recipient_max_per_hour == 4


def test_flood_control_defaults() -> None:
    settings = build_settings()
    assert settings.recipient_max_per_hour == 6
    assert settings.max_new_incidents_per_hour == 5
    assert settings.resolve_hold_seconds == 120


def test_env_example_itself_loads(tmp_path: Path) -> None:
    settings = read_settings(ROOT / ".env.example")
    assert settings.embedded
    assert settings.twilio.validity_period_seconds == 900
    assert [t.role for t in settings.api_tokens] == [Role.MONITOR, Role.STAFF]
    assert settings.alternatives == ["IT hotline +55 11 4000-1234", "Slack #it-help"]


def test_flat_names_fill_nested_provider_settings(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text(
        "OUTAGE_NOTIFY_TWILIO_ACCOUNT_SID=AC123\n"
        "OUTAGE_NOTIFY_TWILIO_AUTH_TOKEN=sekret\n"
        "OUTAGE_NOTIFY_TWILIO_FROM_NUMBER=+15005550006\n"
        "OUTAGE_NOTIFY_SLACK_BOT_TOKEN=xoxb-1\n"
        "OUTAGE_NOTIFY_FALLBACK_URLS=json://a.example/x, ntfy://b.example/y\n"
        "OUTAGE_NOTIFY_API_TOKENS=monitor:m1,staff:alice:s1\n"
        'OUTAGE_NOTIFY_ALTERNATIVES="Hotline 4000-1234, option 2;Slack #it-help"\n'
        "OUTAGE_NOTIFY_DELIVERY_BATCH_SIZE=50\n"
        "OUTAGE_NOTIFY_BROKER_URL=redis://127.0.0.1:6379/0\n"
    )
    settings = read_settings(env)
    assert settings.twilio.configured and settings.slack.configured
    assert settings.fallback.dry_run is None and not settings.fallback.live("development")
    assert settings.twilio.auth_token.get_secret_value() == "sekret"
    assert "sekret" not in repr(settings)
    assert settings.fallback.urls == ["json://a.example/x", "ntfy://b.example/y"]
    assert [(t.role, t.name) for t in settings.api_tokens] == [
        (Role.MONITOR, "monitor-1"),
        (Role.STAFF, "alice"),
    ]
    assert settings.alternatives == ["Hotline 4000-1234, option 2", "Slack #it-help"]
    assert settings.delivery.batch_size == 50
    assert not settings.embedded


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({}, "BROKER_URL is empty"),
        ({"broker_url": "redis://r"}, "API_TOKENS is empty"),
        ({"broker_url": "redis://r", "api_tokens": "staff:changeme"}, "placeholder"),
        (
            {
                "broker_url": "redis://r",
                "api_tokens": "staff:7f3c9a1e5b2d8f4a6c0e",
                "metrics_token": "changeme",
            },
            "METRICS_TOKEN is a placeholder",
        ),
        (
            {
                "broker_url": "redis://r",
                "api_tokens": "staff:7f3c9a1e5b2d8f4a6c0e",
                "subscribe": {"enabled": True, "secret": "changeme"},
            },
            "SUBSCRIBE_SECRET is empty",
        ),
    ],
)
def test_production_refuses_placeholders(values: dict[str, str], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        build_settings(environment="production", **values)


def test_bad_token_entry_is_named() -> None:
    with pytest.raises(ValidationError, match="entry 2"):
        build_settings(api_tokens="staff:ok,nonsense")


def test_example_tokens_are_refused_in_production() -> None:
    with pytest.raises(ValidationError, match="placeholder"):
        read_settings(ROOT / ".env.example", environment="production", broker_url="redis://r")


def test_a_misspelt_timezone_is_refused_at_start_up() -> None:
    with pytest.raises(ValidationError, match="America/Sao_Paolo"):
        build_settings(timezone="America/Sao_Paolo")


def test_sentinel_master_name_reaches_the_broker_options() -> None:
    from outage_notify.worker.celery_app import transport_options

    settings = build_settings(
        broker_url="sentinel://127.0.0.1:26379", broker_sentinel_master="mymaster"
    )
    assert transport_options(settings) == {"visibility_timeout": 3600, "master_name": "mymaster"}


PRODUCTION = {
    "environment": "production",
    "broker_url": "redis://r",
    "api_tokens": "staff:oncall:a-real-staff-token-0123456789",
}


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"twilio": {"account_sid": "AC1", "from_number": "+15005550006"}}, "TWILIO_AUTH_TOKEN"),
        (
            {"twilio": {"messaging_service_sid": "MG1", "auth_token": "changeme"}},
            "TWILIO_AUTH_TOKEN",
        ),
        ({"twilio": {"account_sid": "AC1", "auth_token": "short"}}, "TWILIO_AUTH_TOKEN"),
        ({"slack": {"bot_token": "xoxb-change-me-please-0000"}}, "SLACK_BOT_TOKEN"),
        ({"slack": {"base_url": "https://slack.example.org/api/"}}, "SLACK_BOT_TOKEN"),
        (
            {
                "slack": {
                    "bot_token": "xoxb-1234567890-0987654321-abcdefghijkl",
                    "signing_secret": "change-me-please-0000",
                }
            },
            "SLACK_SIGNING_SECRET",
        ),
        ({"slack": {"signing_secret": "short"}}, "SLACK_SIGNING_SECRET"),
    ],
)
def test_production_refuses_placeholder_provider_secrets(
    values: dict[str, object], problem: str
) -> None:
    with pytest.raises(ValidationError, match=problem) as refused:
        build_settings(**{**PRODUCTION, **values})
    # The refusal names the setting, never the value it holds.
    assert "change-me-please" not in str(refused.value)


def test_production_accepts_real_provider_secrets_and_unused_providers() -> None:
    build_settings(**PRODUCTION)
    build_settings(
        **PRODUCTION,
        twilio={"account_sid": "AC1", "from_number": "+1500", "auth_token": "f" * 32},
        slack={
            "bot_token": "xoxb-1234567890-0987654321-abcdefghijkl",
            "signing_secret": "8f14e45fceea167a5a36dedd4bea2543",
        },
    )


@pytest.mark.parametrize(
    ("environment", "setting", "live"),
    [
        ("development", None, False),
        ("production", None, True),
        ("development", "false", True),
        ("production", "true", False),
    ],
)
def test_fallback_dry_run_defaults_by_environment(
    tmp_path: Path, environment: str, setting: str | None, live: bool
) -> None:
    env_file = tmp_path / ".env"
    # Empty, as .env.example leaves it, is unset.
    lines = [f"OUTAGE_NOTIFY_FALLBACK_DRY_RUN={setting or ''}"]
    env_file.write_text("\n".join(lines) + "\n")

    settings = read_settings(env_file)

    assert settings.fallback.live(environment) is live
    assert build_settings().fallback.dry_run is None


def test_subscribe_settings_from_the_env_file(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text(
        "OUTAGE_NOTIFY_SUBSCRIBE_ENABLED=true\nOUTAGE_NOTIFY_SUBSCRIBE_COUNTRIES=br, pt\n"
        "OUTAGE_NOTIFY_DEFAULT_REGION=US\n",
        encoding="utf-8",
    )
    settings = read_settings(env)
    assert settings.subscribe.enabled and settings.subscribe_countries == ("BR", "PT")
    assert build_settings(default_region="PT").subscribe_countries == ("PT",)
    with pytest.raises(ValidationError, match="unknown phone region 'XX'"):
        build_settings(subscribe={"countries": "BR,XX"})
