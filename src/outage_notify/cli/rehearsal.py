"""`outage-notify send-test`: a rehearsal, a marked [TEST] message to a contact or audience."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from outage_notify.core.errors import ConfigError
from outage_notify.observability.logs import configure_logging


def send_test(
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
    import asyncio

    from rich.progress import Progress

    from outage_notify.cli.main import console, fail, load_settings
    from outage_notify.contacts.loading import load_contacts
    from outage_notify.delivery.rehearsal import results_table, select_recipients
    from outage_notify.delivery.rehearsal import send_test as rehearse
    from outage_notify.integrations.registry import PROVIDERS

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
            rehearse(
                targets,
                settings=settings,
                providers=PROVIDERS,
                on_finished=lambda _: progress.advance(task),
            )
        )
    console.print(results_table(results))
    if any(result.dry_run for result in results):
        console.print(
            "[yellow]note:[/] 'dry run' channels are not configured and only logged the message"
        )
    missed = sum(not result.reached for result in results)
    if missed:
        fail(f"{missed} of {len(results)} recipient(s) not reached; see the table", code=1)
    console.print(f"test message reached all {len(results)} recipient(s)")
