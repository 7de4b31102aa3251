"""A healthy deployment for the doctor: API on a socket, a worker, beat, the fakes, mail.

Everything `outage-notify doctor` asks about is real and answering: Redis, the database, a
Celery worker on every queue, Celery beat in a thread, the API at PUBLIC_BASE_URL, the fake
providers (accepting only the configured tokens), and the fake mail servers.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest
from celery.beat import EmbeddedService
from fastapi import FastAPI
from pydantic import SecretStr

from outage_notify.config.settings import Settings, SlackSettings, TwilioSettings
from outage_notify.fakes.mail import FakeMail
from outage_notify.integrations.fake_server import FakeProviders
from outage_notify.worker.beat_heartbeat import beat_age
from tests.fixtures.live_api import LiveApi
from tests.fixtures.service import ROOT, RunningService, wait_for
from tests.fixtures.settings import TWILIO_SID

SIGNING_SECRET = "doctor-test-signing-secret"
TWILIO_AUTH = "test-twilio-auth"
SLACK_TOKEN = "xoxb-test-token"


@dataclass
class Healthy:
    """The running parts and the settings that describe them."""

    settings: Settings
    service: RunningService
    folder: Path


def clean_contacts(folder: Path, providers: FakeProviders) -> Path:
    """Two managers with every channel: nothing for `contacts check` to warn about."""
    folder.mkdir(parents=True)
    people = "\n".join(
        f"  - id: m{i}\n    name: Manager {i}\n    phone: '+551199000000{i}'\n"
        f"    slack: U0000000{i}\n    fallback: {providers.fallback_url(f'm{i}')}\n"
        "    locale: en\n"
        for i in (1, 2)
    )
    (folder / "management.yaml").write_text(f"audience: management\ncontacts:\n{people}")
    (folder / "routing.yaml").write_text("rules:\n  - audience: management\n")
    return folder


def small_templates(folder: Path) -> Path:
    """The shipped English templates alone: every check still renders each audience, channel
    and kind, in a third of the time of all three locales."""
    shutil.copytree(ROOT / "templates" / "en", folder / "en")
    return folder


@pytest.fixture
def healthy(
    service_factory: Callable[..., RunningService],
    providers: FakeProviders,
    live_api: LiveApi,
    tmp_path: Path,
    database_url: str,
) -> Iterator[Healthy]:
    """A deployment on which every doctor line is ok, on SQLite and on PostgreSQL."""
    yield from start_healthy(service_factory, providers, live_api, tmp_path, database_url)


@pytest.fixture
def healthy_on_postgres(
    service_factory: Callable[..., RunningService],
    providers: FakeProviders,
    live_api: LiveApi,
    tmp_path: Path,
    postgres_url: str,
) -> Iterator[Healthy]:
    """The same on PostgreSQL alone (production's database), for the table of broken pieces."""
    yield from start_healthy(service_factory, providers, live_api, tmp_path, postgres_url)


def start_healthy(
    service_factory: Callable[..., RunningService],
    providers: FakeProviders,
    live_api: LiveApi,
    tmp_path: Path,
    database_url: str,
) -> Iterator[Healthy]:
    with FakeMail() as mail:
        overrides: dict[str, Any] = {
            "contacts_dir": clean_contacts(tmp_path / "contacts", providers),
            "templates_dir": small_templates(tmp_path / "templates"),
            "public_base_url": live_api.base_url,
            "slack": SlackSettings(
                bot_token=SecretStr(SLACK_TOKEN),
                base_url=providers.slack_base_url,
                signing_secret=SecretStr(SIGNING_SECRET),
                timeout_seconds=5,
            ),
            "probe": mail.probe_settings(),
            # Every channel configured, WhatsApp too (its doctor line asks Twilio like SMS's).
            "twilio": TwilioSettings(
                account_sid=TWILIO_SID,
                auth_token=SecretStr(TWILIO_AUTH),
                from_number="+15005550006",
                whatsapp_from="+15005550007",
                base_url=providers.twilio_base_url,
                timeout_seconds=5,
            ),
        }
        running = service_factory(database_url, **overrides)
        providers.require_credentials(twilio_auth_token=TWILIO_AUTH, slack_token=SLACK_TOKEN)
        live_api.serve(cast(FastAPI, running.api.app))
        # The scheduler `outage-notify beat` runs (the embedded service defaults to another).
        scheduler = running.celery.conf.beat_scheduler
        beat = EmbeddedService(running.celery, thread=True, scheduler_cls=scheduler)
        beat.start()
        settings = running.settings
        try:
            wait_for(
                lambda: (
                    beat_age(
                        settings.heartbeat_redis_url,
                        key_prefix=settings.redis_key_prefix,
                        timeout=2,
                    )
                    is not None
                ),
                timeout=20,
                what="beat's first tick",
            )
            yield Healthy(settings, running, tmp_path)
        finally:
            beat.stop()
            live_api.stop()
