"""`outage-notify doctor` passes on a healthy deployment and names each broken piece.

Issue 16, item 5: every line ok against the fakes (exit 0, `--json` parses), and a table of
broken pieces, each failing (or warning) its own line with a fix, the other lines unaffected,
and the exit code that follows.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import SecretStr

from outage_notify.config.settings import FallbackSettings, Settings, TwilioSettings
from outage_notify.doctor.check import Check, exit_code
from outage_notify.doctor.configuration import settings_line
from outage_notify.doctor.registry import diagnose
from outage_notify.store.diagnostics import probe_engine, revisions
from outage_notify.store.engine import create_store_engine, upgrade
from tests.doctor.conftest import SIGNING_SECRET, Healthy
from tests.fixtures.settings import ROOT
from tests.test_cli import run

TIMEOUT = 5.0
CLOSED_PORT = 1


def doctor(settings: Settings) -> dict[str, Check]:
    checks = diagnose(settings, settings_line(settings), timeout=TIMEOUT)
    return {check.name: check for check in checks}


def shown(checks: dict[str, Check]) -> str:
    return "\n".join(f"{c.status} {c.name}: {c.detail} | {c.fix}" for c in checks.values())


def environment_of(settings: Settings) -> dict[str, str]:
    """The OUTAGE_NOTIFY_* variables an operator would set for these settings."""
    probe = settings.probe
    values = {
        "ENVIRONMENT": settings.environment,
        "DATABASE_URL": settings.database_url,
        "BROKER_URL": settings.broker_url,
        "REDIS_KEY_PREFIX": settings.redis_key_prefix,
        "CONTACTS_DIR": str(settings.contacts_dir),
        "TEMPLATES_DIR": str(settings.templates_dir),
        "PUBLIC_BASE_URL": settings.public_base_url,
        "API_TOKENS": ",".join(
            f"{token.role.value}:{token.name}:{token.token.get_secret_value()}"
            for token in settings.api_tokens
        ),
        "TWILIO_ACCOUNT_SID": settings.twilio.account_sid,
        "TWILIO_AUTH_TOKEN": settings.twilio.auth_token.get_secret_value(),
        "TWILIO_FROM_NUMBER": settings.twilio.from_number,
        # Every channel configured: WhatsApp too (its line asks Twilio like SMS's).
        "TWILIO_WHATSAPP_FROM": "+15005550007",
        "TWILIO_BASE_URL": settings.twilio.base_url,
        "SLACK_BOT_TOKEN": settings.slack.bot_token.get_secret_value(),
        "SLACK_BASE_URL": settings.slack.base_url,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "FALLBACK_URLS": ",".join(settings.fallback.urls),
        "FALLBACK_DRY_RUN": "false",
        "PROBE_ENABLED": "true",
        "PROBE_SMTP_HOST": probe.smtp_host,
        "PROBE_SMTP_PORT": str(probe.smtp_port),
        "PROBE_SMTP_STARTTLS": probe.smtp_starttls,
        "PROBE_IMAP_HOST": probe.imap_host,
        "PROBE_IMAP_PORT": str(probe.imap_port),
        "PROBE_IMAP_SSL": "false",
        "PROBE_MAILBOX_ADDRESS": probe.mailbox_address,
    }
    return {f"OUTAGE_NOTIFY_{name}": value for name, value in values.items()}


def test_every_line_is_ok_on_a_healthy_deployment_and_the_command_says_so(
    healthy: Healthy,
) -> None:
    checks = doctor(healthy.settings)
    assert all(c.status == "ok" for c in checks.values()), shown(checks)
    assert exit_code(checks.values()) == 0
    assert "worker(s) answered" in checks["workers"].detail
    assert "beat ticked" in checks["beat"].detail
    assert "accepted" in checks["channel sms"].detail

    # The real command, configured only through the environment, as an operator runs it.
    env = environment_of(healthy.settings)
    result = run("doctor", "--json", "--timeout", str(TIMEOUT), env=env)
    assert "Traceback" not in result.stderr
    payload = json.loads(result.stdout)
    lines = {line["name"]: line for line in payload["checks"]}
    not_ok = [line for line in payload["checks"] if line["status"] != "ok"]
    assert result.returncode == payload["exit_code"] == 0, not_ok
    assert set(lines) == set(checks)
    assert all(line["status"] == "ok" and line["detail"] for line in lines.values())

    table = run("doctor", env=env, columns=250)
    assert table.returncode == 0
    assert "outage-notify doctor" in table.stdout and "all ok (exit 0)" in table.stdout


@dataclass(frozen=True)
class Broken:
    """One broken piece: how it is broken, and the lines it must turn (the rest stay ok)."""

    name: str
    breaks: Callable[[Healthy], dict[str, Any]]
    lines: dict[str, str]
    contains: str = ""


def behind(healthy: Healthy) -> dict[str, Any]:
    """A database of its own, migrated to the revision before head."""
    url = f"sqlite:///{healthy.folder / 'behind.db'}"
    engine = create_store_engine(url)
    found = revisions(probe_engine(healthy.settings.database_url, timeout=TIMEOUT))
    upgrade(engine, found.known[-2])
    engine.dispose()
    return {"database_url": url}


def broken_template(healthy: Healthy) -> dict[str, Any]:
    template = next((healthy.settings.templates_dir / "en" / "sms").glob("opened.default.j2"))
    template.write_text("{{ incident.title ")
    return {}


def broken_incident_template(healthy: Healthy) -> dict[str, Any]:
    folder = healthy.folder / "incident_templates"
    shutil.copytree(ROOT / "incident_templates", folder)
    (folder / "webmail-down.yaml").write_text("severity: huge\n")
    return {"incident_templates_dir": folder}


def broken_contacts(healthy: Healthy) -> dict[str, Any]:
    folder = healthy.settings.contacts_dir
    (folder / "extra.yaml").write_text(
        "audience: management\ncontacts:\n  - id: x\n    name: X\n    phone: '12345'\n"
    )
    return {}


def twilio_with(healthy: Healthy, **changes: Any) -> TwilioSettings:
    return healthy.settings.twilio.model_copy(update=changes)


CASES = [
    Broken(
        "wrong Twilio token",
        lambda h: {"twilio": twilio_with(h, auth_token=SecretStr("a-wrong-twilio-token"))},
        # One account: WhatsApp's line is refused with SMS's.
        {"channel sms": "fail", "channel whatsapp": "fail"},
        "refused the credentials",
    ),
    Broken(
        "wrong Slack token",
        lambda h: {
            "slack": h.settings.slack.model_copy(update={"bot_token": SecretStr("xoxb-wrong")})
        },
        {"channel slack": "fail"},
        "invalid_auth",
    ),
    Broken(
        "an e-mail Apprise URL",
        lambda h: {"fallback": FallbackSettings(urls=["mailto://ops@example.org"], dry_run=False)},
        {"channel fallback": "fail"},
        "mailto://",
    ),
    Broken(
        "an Apprise URL nobody can parse",
        lambda h: {"fallback": FallbackSettings(urls=["nosuchscheme://room"], dry_run=False)},
        {"channel fallback": "fail"},
        "nosuchscheme://",
    ),
    Broken(
        "database unreachable",
        lambda h: {"database_url": f"postgresql://127.0.0.1:{CLOSED_PORT}/outage_notify"},
        {"database": "fail", "migrations": "fail", "clock": "fail"},
        "does not answer",
    ),
    Broken("migrations behind", behind, {"migrations": "fail"}, "1 migration(s) behind"),
    Broken(
        "broker unreachable",
        lambda h: {"broker_url": f"redis://127.0.0.1:{CLOSED_PORT}/0"},
        {"broker": "fail", "workers": "fail", "beat": "fail"},
        "does not answer",
    ),
    Broken("broken template", broken_template, {"templates": "fail"}, "opened.default.j2"),
    Broken(
        "broken incident template",
        broken_incident_template,
        {"incident templates": "fail"},
        "webmail-down.yaml: field 'severity'",
    ),
    Broken(
        "broken contact file",
        broken_contacts,
        # The templates are still checked, against default budgets, and say so; WhatsApp's
        # content.yaml cannot be, without the locales its readers use.
        {"contacts": "fail", "templates": "warn", "whatsapp templates": "warn"},
        "extra.yaml",
    ),
    Broken(
        "no worker and no beat under this prefix",
        lambda h: {"redis_key_prefix": h.settings.redis_key_prefix + "nobody:"},
        {"workers": "fail", "beat": "fail"},
        "no worker answered",
    ),
    Broken(
        "mail server unreachable",
        lambda h: {"probe": h.settings.probe.model_copy(update={"smtp_port": CLOSED_PORT})},
        {"mail smtp": "fail"},
        "cannot be reached",
    ),
    Broken(
        "unreachable PUBLIC_BASE_URL",
        lambda h: {"public_base_url": f"http://127.0.0.1:{CLOSED_PORT}"},
        {"public base url": "fail"},
        "from this machine failed",
    ),
    Broken(
        "SMS not configured, in development: a dry run",
        lambda h: {"twilio": TwilioSettings()},
        {"channel sms": "warn"},
        "dry run",
    ),
    Broken(
        "SMS not configured, in production",
        lambda h: {"twilio": TwilioSettings(), "environment": "production"},
        {"channel sms": "fail"},
        "use it",
    ),
    Broken(
        "the mail probes off",
        lambda h: {"probe": h.settings.probe.model_copy(update={"enabled": False})},
        {"mail smtp": "warn", "mail imap": "warn"},
        "probes are off",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_each_broken_piece_turns_its_own_line_with_a_fix(
    healthy_on_postgres: Healthy, case: Broken
) -> None:
    healthy = healthy_on_postgres
    settings = healthy.settings.model_copy(update=case.breaks(healthy))
    checks = doctor(settings)
    report = shown(checks)
    for name, status in case.lines.items():
        assert checks[name].status == status, report
        assert checks[name].fix.strip().endswith("."), report
    assert case.contains in " ".join(checks[name].detail for name in case.lines), report
    others = {name: c.status for name, c in checks.items() if name not in case.lines}
    assert set(others.values()) == {"ok"}, report
    expected = 2 if "fail" in case.lines.values() else 1
    assert exit_code(checks.values()) == expected
