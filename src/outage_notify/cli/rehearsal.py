"""`outage-notify send-test`: a clearly marked test message to one contact or audience, sent now.

It goes through the channels a worker would use (real where configured, a console dry run
where not), along each recipient's routes in order, moving to the next channel on a permanent
failure exactly as a delivery does (`delivery.next_step`), under the shared provider rate
limits. It is sent from this process, not through the queue, and nothing is written to the
database: a rehearsal is not an incident, so it must not show up in reports or metrics.
"""

from __future__ import annotations

import asyncio
import random
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from outage_notify.channels.base import Channel
from outage_notify.channels.console import mask_address
from outage_notify.channels.provider import Provider
from outage_notify.channels.registry import build_channels, close_channels
from outage_notify.cli.output import console, fail, load_settings
from outage_notify.config.settings import Settings
from outage_notify.contacts.directory import Directory
from outage_notify.contacts.loading import load_contacts
from outage_notify.contacts.routing import recipients
from outage_notify.core.errors import ConfigError
from outage_notify.core.models import (
    Audience,
    ChannelName,
    DeliveryState,
    OutboundMessage,
    Recipient,
)
from outage_notify.delivery.send import Job, Outcome, next_step, send_jobs
from outage_notify.delivery.throttling import Throttle
from outage_notify.integrations.registry import PROVIDERS
from outage_notify.messages.catalogs import N_, Words
from outage_notify.messages.filters import clean_text, slack_escape
from outage_notify.messages.planning import find_contact
from outage_notify.messages.transliteration import transliterate_sms
from outage_notify.observability.logs import configure_logging
from outage_notify.ratelimit.limiter import limiter_for
from outage_notify.worker.runtime import RATELIMIT_PREFIX

# Every rehearsal message starts with this, whatever its language, so it can be filtered.
TEST_MARK = "[TEST]"
# Worded in each recipient's locale from the catalogs beside the templates.
_TITLE = N_("Outage notification rehearsal")
_BODY = N_(
    "%(mark)s %(organisation)s: a test of the email-outage notifications by %(channel)s. "
    "This is a rehearsal, no action needed."
)
_CHANNELS = {
    "sms": N_("SMS"),
    "slack": N_("Slack"),
    "fallback": N_("the backup channel"),
    "whatsapp": N_("WhatsApp"),
}


@dataclass
class RehearsalResult:
    """What happened to one recipient: every attempt, and how it ended."""

    recipient: Recipient
    outcomes: list[Outcome] = field(default_factory=list)
    state: DeliveryState = DeliveryState.PLANNED

    @property
    def reached(self) -> bool:
        return self.state is DeliveryState.SENT

    @property
    def dry_run(self) -> bool:
        """Ended on a channel that is not configured: logged, nobody told (not reached)."""
        return self.state is DeliveryState.DRY_RUN


def rehearsal_message(
    *,
    channel: ChannelName,
    locale: str,
    organisation: str,
    transliterate: bool = False,
    templates_dir: Path = Path("templates"),
) -> tuple[str, str]:
    """Title and body of the test message for one channel and locale."""
    words = Words.of(templates_dir, locale)
    title = words(_TITLE)
    escape = slack_escape if channel is ChannelName.SLACK else clean_text
    body = words(
        _BODY,
        mark=TEST_MARK,
        organisation=escape(organisation),
        channel=words(_CHANNELS[channel.value]),
    )
    if channel is ChannelName.SMS:
        return "", transliterate_sms(body) if transliterate else body
    return f"{TEST_MARK} {title}", body


def select_recipients(
    directory: Directory, *, contact_id: str | None = None, audience: str | None = None
) -> list[Recipient]:
    """The recipients of one contact (alone) or of one whole audience, broadcasts included."""
    if (contact_id is None) == (audience is None):
        raise ConfigError("name exactly one of a contact or an audience")
    if contact_id is not None:
        contact = find_contact(directory, contact_id)
        if contact is None:
            raise ConfigError(f"there is no contact {contact_id!r} in {directory.source}")
        own = directory.audiences[contact.audience]
        alone = Audience(name=own.name, deliver=own.deliver, contacts=[contact])
        found = list(recipients(alone))
        if not found:
            raise ConfigError(f"contact {contact_id!r} has no address on any of its channels")
        return found
    assert audience is not None
    group = directory.audience(audience)
    if group is None:
        known = ", ".join(sorted(directory.audiences))
        raise ConfigError(f"there is no audience {audience!r} in {directory.source} ({known})")
    found = list(recipients(group, broadcast_locale=directory.broadcast_locale(audience)))
    if not found:
        raise ConfigError(f"audience {audience!r} has nobody reachable")
    return found


@dataclass
class _Progress:
    """Where one recipient stands between rounds."""

    result: RehearsalResult
    route_index: int = 0
    attempts_on_route: int = 0
    route_started_at: datetime | None = None
    unknown_since: datetime | None = None
    due: datetime = field(default_factory=lambda: datetime.now(UTC))


async def send_test(
    targets: Sequence[Recipient],
    *,
    settings: Settings,
    providers: Sequence[Provider],
    on_finished: Callable[[RehearsalResult], None] | None = None,
) -> list[RehearsalResult]:
    """Rehearse on this event loop with the providers' channels and the shared rate limits."""
    # No status callbacks: the API would look for a delivery that was never stored.
    channels = await build_channels(settings, providers, status_callback_url=None)
    # The same buckets as the workers', so a rehearsal during an incident cannot overrun them.
    limiter = limiter_for(
        settings.ratelimit_redis_url or None,
        prefix=settings.redis_key_prefix + RATELIMIT_PREFIX,
        jitter=settings.ratelimit.jitter_seconds,
    )
    try:
        return await rehearse(
            targets,
            settings=settings,
            channels=channels,
            throttle=Throttle(limiter, settings, providers),
            on_finished=on_finished,
        )
    finally:
        await close_channels(channels)
        await limiter.aclose()


async def rehearse(
    targets: Sequence[Recipient],
    *,
    settings: Settings,
    channels: Mapping[str, Channel],
    throttle: Throttle | None,
    on_finished: Callable[[RehearsalResult], None] | None = None,
) -> list[RehearsalResult]:
    """Send the test message to every target, with fallback and retries; never raises per send."""
    policy, rng = settings.delivery, random.Random()
    waiting = {
        index: _Progress(RehearsalResult(recipient)) for index, recipient in enumerate(targets)
    }
    done: dict[int, RehearsalResult] = {}
    while waiting:
        now = datetime.now(UTC)
        due = [index for index, progress in waiting.items() if progress.due <= now]
        if not due:
            earliest = min(progress.due for progress in waiting.values())
            await asyncio.sleep((earliest - now).total_seconds())
            continue
        jobs = [_job(index, waiting[index], settings) for index in due]
        outcomes = await send_jobs(
            jobs, channels, concurrency=policy.concurrency, throttle=throttle
        )
        finished = datetime.now(UTC)
        for outcome in outcomes:
            progress = waiting[outcome.delivery_id]
            result = progress.result
            if outcome.result != "deferred":
                result.outcomes.append(outcome)
            step = next_step(
                outcome=outcome,
                route_index=progress.route_index,
                route_count=len(result.recipient.routes),
                attempts_on_route=progress.attempts_on_route,
                route_started_at=progress.route_started_at,
                unknown_since=progress.unknown_since,
                policy=policy,
                reconcile_max_seconds=settings.reconcile_max_seconds,
                now=finished,
                rng=rng,
            )
            if step.state is DeliveryState.PLANNED:
                progress.route_index = step.route_index
                progress.attempts_on_route = step.attempts_on_route
                progress.route_started_at = step.route_started_at
                progress.unknown_since = step.unknown_since
                progress.due = step.next_attempt_at or finished
                continue
            result.state = step.state
            done[outcome.delivery_id] = waiting.pop(outcome.delivery_id).result
            if on_finished is not None:
                on_finished(result)
    return [done[index] for index in range(len(targets))]


def _job(index: int, progress: _Progress, settings: Settings) -> Job:
    recipient = progress.result.recipient
    route = recipient.routes[progress.route_index]
    title, body = rehearsal_message(
        channel=route.channel,
        locale=recipient.locale,
        organisation=settings.organisation_name,
        transliterate=settings.sms_transliterate,
        templates_dir=settings.templates_dir,
    )
    message = OutboundMessage(route.address, body, title, reference=f"send-test-{index}")
    return Job(delivery_id=index, channel=route.channel, message=message)


def results_table(results: Sequence[RehearsalResult]) -> Table:
    """One row per recipient: where it ended, how, and what failed on the way."""
    table = Table(title="Test message", title_justify="left")
    for header in ("recipient", "audience", "channel", "address", "outcome"):
        table.add_column(header)
    table.add_column("provider id / error")
    table.add_column("earlier attempts")
    for result in results:
        last = result.outcomes[-1] if result.outcomes else None
        outcome = str(result.state)
        if last is None:
            detail = ""
        elif last.result in ("sent", "dry_run"):
            detail = last.provider_id
        else:
            detail = f"{last.error_code}: {last.error_text}".strip(": ")
        earlier = "; ".join(
            f"{o.channel} {o.result} {o.error_code}".strip() for o in result.outcomes[:-1]
        )
        style = "green" if result.reached else "yellow" if result.dry_run else "red"
        cells = (
            result.recipient.name,
            result.recipient.audience,
            str(last.channel) if last else "",
            mask_address(last.channel, last.address) if last else "",
            outcome,
            detail,
            earlier,
        )
        # Text, not markup: names and provider errors may hold "[...]".
        table.add_row(*(Text(cell) for cell in cells), style=style)
    return table


def send_test_command(
    contact: Annotated[
        str | None, typer.Option("--contact", metavar="ID", help="One contact, by id.")
    ] = None,
    audience: Annotated[
        str | None,
        typer.Option(
            "--audience", metavar="NAME", help="Every contact and broadcast target of an audience."
        ),
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", help="Send to a whole audience without asking first.")
    ] = False,
) -> None:
    """Rehearse: send a marked [TEST] message to one contact or one audience.

    It goes out now, from this process (not through the queue), on the channels configured
    (a console dry run for those that are not), each contact's channels in order with fallback,
    under the shared rate limits. Nothing is written to the database: a rehearsal is not an
    incident. Exits 1 if anyone was not reached.
    """
    from rich.progress import Progress

    settings = load_settings()
    try:
        directory = load_contacts(settings)
        targets = select_recipients(directory, contact_id=contact, audience=audience)
    except ConfigError as error:
        hint = " (use --contact ID or --audience NAME)" if contact == audience else ""
        fail(f"{error}{hint}")
    if audience is not None and not yes:
        if not sys.stdin.isatty():
            fail("sending to a whole audience needs --yes when not run interactively")
        typer.confirm(f"Send a test to {len(targets)} recipients of {audience}?", abort=True)
    configure_logging(settings)
    with Progress(console=console, disable=audience is None) as progress:
        task = progress.add_task("sending test messages", total=len(targets))
        results = asyncio.run(
            send_test(
                targets,
                settings=settings,
                providers=PROVIDERS,
                on_finished=lambda _: progress.advance(task),
            )
        )
    console.print(results_table(results))
    dry = sum(result.dry_run for result in results)
    if dry:
        console.print(
            f"[yellow]note:[/] {dry} 'dry_run' recipient(s): their channel is not configured, "
            "the message was only logged and nobody was told"
        )
    missed = sum(not result.reached for result in results)
    if missed:
        fail(f"{missed} of {len(results)} recipient(s) not reached; see the table", code=1)
    console.print(f"test message reached all {len(results)} recipient(s)")
