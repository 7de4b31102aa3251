"""A channel that contacts use and nobody configured: refused in production, said in development.

Through the pure findings (`channels.unconfigured`), through `build_service` as `serve` calls
it, and through the `outage-notify serve` and `worker` commands as real processes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from rich.console import Console

from outage_notify.channels.unconfigured import dry_channels, notices, refusal
from outage_notify.config.settings import Settings, SlackSettings
from outage_notify.contacts.directory import load_directory
from outage_notify.core.errors import ConfigError
from outage_notify.integrations.registry import PROVIDERS
from outage_notify.service import build_service
from tests.fixtures.service import wait_for
from tests.fixtures.settings import ROOT, build_settings
from tests.test_cli import in_own_session, run

TOKEN = "staff:it-oncall:" + "s" * 8 + "-a-long-staff-token"
# Five contacts on SMS (named up to three in a refusal), one on Slack only.
TEAM = """\
audience: management
contacts:
  - {id: ana, name: Ana, phone: "+5511990000001", channels: [sms]}
  - {id: bruno, name: Bruno, phone: "+5511990000002", channels: [sms]}
  - {id: carla, name: Carla, phone: "+5511990000003", slack: U0CARLA, channels: [slack, sms]}
  - {id: dora, name: Dora, phone: "+5511990000004", channels: [sms]}
  - {id: enzo, name: Enzo, phone: "+5511990000005", channels: [sms]}
  - {id: fabi, name: Fabi, slack: U0FABI, channels: [slack]}
"""


@pytest.fixture
def contacts(tmp_path: Path) -> Path:
    folder = tmp_path / "contacts"
    folder.mkdir()
    (folder / "team.yaml").write_text(TEAM)
    (folder / "routing.yaml").write_text("rules:\n  - audience: management\n")
    return folder


def settings_for(contacts: Path, tmp_path: Path, environment: str, **values: Any) -> Settings:
    """Slack configured, Twilio not at all; production's other demands met."""
    return build_settings(
        **values,
        environment=environment,
        contacts_dir=contacts,
        templates_dir=ROOT / "templates",
        database_url=f"sqlite:///{tmp_path / 'service.db'}",
        broker_url="redis://127.0.0.1:6379/15" if environment == "production" else "",
        api_tokens=TOKEN,
        slack=SlackSettings(bot_token=SecretStr("xoxb-" + "1" * 24)),
    )


def test_the_findings_name_the_channel_and_who_depends_on_it(
    contacts: Path, tmp_path: Path
) -> None:
    settings = settings_for(contacts, tmp_path, "development")
    directory = load_directory(contacts)

    dry = {d.channel: d for d in dry_channels(settings, directory.audiences.values(), PROVIDERS)}

    # Slack is configured; the fallback channel and WhatsApp are dry runs in development but
    # nobody uses them.
    assert set(dry) == {"sms", "fallback", "whatsapp"}
    assert not dry["whatsapp"].used
    assert dry["sms"].contacts == ("ana", "bruno", "carla", "dora", "enzo")
    assert dry["sms"].who() == "ana, bruno, carla and 2 more contacts"
    assert not dry["fallback"].used
    reason = refusal(list(dry.values()))
    assert reason is not None
    assert "SMS is not configured (set OUTAGE_NOTIFY_TWILIO_" in reason
    assert "ana, bruno, carla and 2 more contacts use it" in reason
    assert "FALLBACK" not in reason
    assert notices(list(dry.values()))[0].endswith("5 contacts depend on it")


def test_an_organisation_wide_room_uses_the_fallback_channel(
    contacts: Path, tmp_path: Path
) -> None:
    settings = settings_for(
        contacts,
        tmp_path,
        "development",
        fallback={"urls": ["json://status.example.org/room"], "dry_run": True},
    )
    directory = load_directory(contacts)

    dry = {d.channel: d for d in dry_channels(settings, directory.audiences.values(), PROVIDERS)}

    assert dry["fallback"].broadcasts == 1
    reason = refusal([dry["fallback"]])
    assert reason is not None and "1 broadcast target uses it" in reason


def test_production_build_service_refuses_sms_without_twilio(
    contacts: Path, tmp_path: Path
) -> None:
    settings = settings_for(contacts, tmp_path, "production")

    with pytest.raises(ConfigError) as refused:
        build_service(settings)

    message = str(refused.value)
    assert message.startswith("refusing to run in production: SMS is not configured")
    assert "ana, bruno, carla and 2 more contacts" in message
    # Refused before anything was migrated.
    assert not (tmp_path / "service.db").exists()


def test_development_build_service_starts_and_says_what_is_dry(
    contacts: Path, tmp_path: Path
) -> None:
    settings = settings_for(contacts, tmp_path, "development")

    service = build_service(settings)
    try:
        console = Console(record=True, width=300)
        service.announce(console, host="127.0.0.1", port=8000)
    finally:
        service.stop()

    said = console.export_text()
    assert "DRY RUN: sms is not configured" in said
    assert "5 contacts depend on it" in said
    assert "DRY RUN: fallback is not configured" in said


def cli_env(contacts: Path, tmp_path: Path, environment: str) -> dict[str, str]:
    return {
        "OUTAGE_NOTIFY_ENVIRONMENT": environment,
        "OUTAGE_NOTIFY_CONTACTS_DIR": str(contacts),
        "OUTAGE_NOTIFY_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        # Nothing listens here: the refusal comes before anything connects.
        "OUTAGE_NOTIFY_BROKER_URL": "redis://127.0.0.1:1/0",
        "OUTAGE_NOTIFY_API_TOKENS": TOKEN,
        "OUTAGE_NOTIFY_SLACK_BOT_TOKEN": "xoxb-" + "1" * 24,
    }


@pytest.mark.integration  # runs the command as a process
@pytest.mark.parametrize("command", [("serve", "--port", "1"), ("worker",)])
def test_production_commands_refuse_with_a_sentence(
    command: tuple[str, ...], contacts: Path, tmp_path: Path
) -> None:
    result = run(*command, env=cli_env(contacts, tmp_path, "production"))

    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    message = " ".join(result.stderr.split())
    assert "refusing to run in production: SMS is not configured" in message
    assert "ana, bruno, carla and 2 more contacts use it" in message
    assert not (tmp_path / "cli.db").exists()


def test_a_development_worker_starts_and_says_what_is_dry(
    contacts: Path, tmp_path: Path, redis_url: str
) -> None:
    env = cli_env(contacts, tmp_path, "development")
    del env["OUTAGE_NOTIFY_BROKER_URL"]
    log = tmp_path / "worker.log"
    with in_own_session(tmp_path, redis_url, "worker", "--concurrency", "1", env=env) as worker:

        def announced() -> bool:
            assert worker.poll() is None, log.read_text()
            said = " ".join(log.read_text().split())
            return "DRY RUN: sms is not configured" in said and "ready." in said

        wait_for(announced, timeout=90, what="the worker to start")
    said = " ".join(log.read_text().split())
    assert "5 contacts depend on it" in said


def test_a_production_reload_that_brings_a_contact_onto_a_dry_channel_is_refused(
    tmp_path: Path,
) -> None:
    # A reload must hold a new snapshot to the rule a start holds it to: in production, a
    # contact file edited mid-outage that puts someone on SMS with no Twilio set up would
    # tell them nothing while every count said they were told.
    folder = tmp_path / "contacts"
    folder.mkdir()
    (folder / "team.yaml").write_text(
        "audience: management\ncontacts:\n"
        "  - {id: fabi, name: Fabi, slack: U0FABI, channels: [slack]}\n"
    )
    (folder / "routing.yaml").write_text("rules:\n  - audience: management\n")
    service = build_service(settings_for(folder, tmp_path, "production"))
    before = service.config.current().hash
    (folder / "team.yaml").write_text(TEAM)

    outcome = service.config.reload()

    assert outcome.error is not None
    assert "SMS is not configured" in outcome.error
    assert "ana, bruno, carla and 2 more contacts use it" in outcome.error
    assert service.config.current().hash == before
    assert service.directory.contact_count == 1
    assert service.config.status().failures == 1
