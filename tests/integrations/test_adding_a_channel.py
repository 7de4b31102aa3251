"""A channel added the documented way (docs/developer/adding-a-channel.md) is used for real.

The toy pager (`tests/integrations/toy/`) is a package with its channel and its descriptor;
registering it is one more entry in the providers tuple. Its messages then go through the
project's own channel registry (`channels.registry.build_channels`), rate limits
(`delivery.throttling.Throttle`) and send path (`delivery.send.send_jobs`, what a worker runs
for claimed deliveries), never through the toy's methods called directly.
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import logging
import random
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from outage_notify.channels.console import ConsoleChannel
from outage_notify.channels.provider import Provider, by_channel
from outage_notify.channels.registry import build_channels, close_channels, preload_channels
from outage_notify.config.settings import DeliverySettings, Settings
from outage_notify.core.models import ChannelName, DeliveryState, OutboundMessage
from outage_notify.delivery.send import Job, Outcome, next_step, send_jobs
from outage_notify.delivery.throttling import RATE_LIMITED_CODES, Throttle
from outage_notify.integrations.registry import PROVIDERS
from outage_notify.ratelimit.limiter import Bucket, LocalRateLimiter
from tests.integrations.toy.channel import LIMITS, PagerChannel
from tests.integrations.toy.provider import PAGER

# The registration, as the guide has it: the registered providers plus the new one.
REGISTERED = (*PROVIDERS, PAGER)
SETTINGS = Settings(_env_file=None)
POLICY = DeliverySettings(max_attempts_per_channel=3, retry_base_seconds=2, retry_max_seconds=60)


def deliver(
    jobs: Sequence[Job], providers: Sequence[Provider], *, concurrency: int = 4
) -> tuple[dict[str, object], list[Outcome]]:
    """Build the providers' channels, send `jobs` as a worker does, close the channels."""

    async def run() -> tuple[dict[str, object], list[Outcome]]:
        channels = await build_channels(SETTINGS, providers)
        try:
            throttle = Throttle(LocalRateLimiter(), SETTINGS, providers)
            outcomes = await send_jobs(jobs, channels, concurrency=concurrency, throttle=throttle)
        finally:
            await close_channels(channels)
        return dict(channels), outcomes

    return asyncio.run(run())


def test_a_registered_provider_receives_its_messages_through_the_delivery_path() -> None:
    jobs = [
        Job(1, "pager", OutboundMessage("ana", "Email is down since 09:12.")),
        Job(2, "pager", OutboundMessage("bruno", "Email is down since 09:12.")),
        # The built-in channels are still there beside it (dry runs: nothing configured).
        Job(3, ChannelName.SMS, OutboundMessage("+5511999990001", "Email is down.")),
    ]

    channels, outcomes = deliver(jobs, REGISTERED)

    pager = channels["pager"]
    assert isinstance(pager, PagerChannel)
    assert [(page.address, page.body) for page in pager.outbox] == [
        ("ana", "Email is down since 09:12."),
        ("bruno", "Email is down since 09:12."),
    ]
    assert [(o.delivery_id, o.channel, o.result) for o in outcomes] == [
        (1, "pager", "sent"),
        (2, "pager", "sent"),
        (3, ChannelName.SMS, "dry_run"),
    ]
    assert {o.provider_id for o in outcomes[:2]} == {page.page_id for page in pager.outbox}
    assert isinstance(channels[ChannelName.SMS], ConsoleChannel)
    assert set(channels) == {*ChannelName, "pager"}


def test_an_unregistered_channel_is_not_built() -> None:
    channels, _ = deliver([], PROVIDERS)

    assert "pager" not in channels


def test_its_rate_limit_buckets_come_from_its_descriptor() -> None:
    throttle = Throttle(LocalRateLimiter(), SETTINGS, REGISTERED)

    assert throttle.buckets("pager", "ana") == (Bucket("pager:account", 50.0),)
    # The others keep theirs.
    assert throttle.buckets(ChannelName.SMS, "+5511999990001") == (
        Bucket("twilio:sender:default", SETTINGS.ratelimit.twilio_per_second),
    )


def test_its_errors_follow_the_delivery_rules() -> None:
    _, [busy] = deliver([Job(1, "pager", OutboundMessage("busy", "Email is down."))], REGISTERED)
    _, [nobody] = deliver(
        [Job(2, "pager", OutboundMessage("nobody", "Email is down."))], REGISTERED
    )

    assert (busy.result, busy.error_code, busy.retry_after) == ("transient", "429", 5.0)
    assert (nobody.result, nobody.error_code) == ("permanent", "unknown_pager")
    now = datetime.now(UTC)
    waited, moved = (
        next_step(
            outcome=outcome,
            route_index=0,
            route_count=2,
            attempts_on_route=0,
            route_started_at=None,
            unknown_since=None,
            policy=POLICY,
            reconcile_max_seconds=300.0,
            now=now,
            rng=random.Random(1),
        )
        for outcome in (busy, nobody)
    )
    # Rate limited: the same route later, no attempt spent. Permanent: the next channel now.
    assert (waited.state, waited.route_index, waited.attempts_on_route) == (
        DeliveryState.PLANNED,
        0,
        0,
    )
    assert waited.next_attempt_at is not None and waited.next_attempt_at > now
    assert (moved.state, moved.route_index, moved.next_attempt_at) == (
        DeliveryState.PLANNED,
        1,
        None,
    )


def test_its_429_pauses_its_bucket_for_the_messages_after() -> None:
    jobs = [
        Job(1, "pager", OutboundMessage("busy", "Email is down.")),
        Job(2, "pager", OutboundMessage("ana", "Email is down.")),
    ]

    channels, (busy, ana) = deliver(jobs, REGISTERED, concurrency=1)

    assert busy.result == "transient"
    # The pager's Retry-After (5 s, over the 2-s wait a send may take) holds its bucket:
    # Ana's page is handed back to wait, not sent.
    assert ana.result == "deferred" and ana.retry_after > 2.0
    pager = channels["pager"]
    assert isinstance(pager, PagerChannel) and pager.outbox == []


def test_an_unconfigured_provider_is_a_dry_run_named_in_the_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    unconfigured = dataclasses.replace(PAGER, configured=lambda settings: False)
    job = Job(1, "pager", OutboundMessage("ana", "Email is down."))

    with caplog.at_level(logging.WARNING, logger="outage_notify.channels"):
        channels, [outcome] = deliver([job], (*PROVIDERS, unconfigured))

    pager = channels["pager"]
    assert isinstance(pager, ConsoleChannel)
    assert (pager.name, pager.limits) == ("pager", LIMITS)
    assert outcome.result == "dry_run" and outcome.provider_id.startswith("dry-run-")
    messages = [record.getMessage() for record in caplog.records]
    assert any(
        "channel pager is not configured" in m and PAGER.missing_settings in m for m in messages
    )


def test_a_prefork_parent_imports_the_configured_providers_modules_only() -> None:
    missing = dataclasses.replace(PAGER, modules=("tests.integrations.toy.no_such_module",))
    preload_channels(SETTINGS, [dataclasses.replace(missing, configured=lambda settings: False)])
    with pytest.raises(ModuleNotFoundError, match="no_such_module"):
        preload_channels(SETTINGS, [missing])


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda provider: provider.channel)
def test_every_registered_provider_names_modules_that_exist(provider: Provider) -> None:
    for module in provider.modules:
        importlib.import_module(module)


def test_two_providers_for_one_channel_are_refused() -> None:
    with pytest.raises(ValueError, match="channel 'pager' has two providers"):
        by_channel((*REGISTERED, dataclasses.replace(PAGER, name="another-pager")))


def test_every_registered_rate_limit_code_slows_delivery_down() -> None:
    registered = frozenset().union(*(provider.rate_limited_codes for provider in REGISTERED))

    assert registered == RATE_LIMITED_CODES
    assert len(by_channel(PROVIDERS)) == len(PROVIDERS)


@pytest.mark.parametrize("module", ["channel.py", "provider.py"])
def test_the_developer_guide_shows_the_toy_as_it_is(module: str) -> None:
    root = Path(__file__).parents[2]
    guide = (root / "docs" / "developer" / "adding-a-channel.md").read_text(encoding="utf-8")
    code = (Path(__file__).parent / "toy" / module).read_text(encoding="utf-8")

    assert f"```python\n{code.rstrip()}\n```" in guide
