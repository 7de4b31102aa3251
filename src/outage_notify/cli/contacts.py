"""`outage-notify contacts check|import`: prepare the contact lists on a calm day."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from outage_notify.config.settings import Settings
    from outage_notify.contacts.check import Finding
    from outage_notify.contacts.directory import Directory

contacts_app = typer.Typer(no_args_is_help=True, help="Contact lists.")


@contacts_app.command("check")
def contacts_check(
    online: Annotated[
        bool,
        typer.Option(
            "--online",
            help="Also ask Slack (users.info) and Twilio (Lookup) about every address.",
        ),
    ] = False,
) -> None:
    """Validate every contact file and the routing file in CONTACTS_DIR; exit 2 on any error."""
    from outage_notify.cli.output import console, fail, load_settings, stderr
    from outage_notify.contacts.check import check_contacts
    from outage_notify.contacts.snapshot import read_snapshot

    settings = load_settings()
    folder = settings.contacts_dir
    report = check_contacts(folder, locales=_locales(settings), region=settings.default_region)
    findings = list(report.findings)
    if report.directory is not None:
        from outage_notify.integrations.twilio.whatsapp_check import whatsapp_findings

        findings += whatsapp_findings(report.directory, settings.templates_dir)
        console.print(_audience_table(report.directory))
        if online:
            findings += _online(report.directory, settings, console)
    snapshot = read_snapshot(folder)
    if snapshot is not None:
        age = datetime.now(UTC) - snapshot.imported_at
        console.print(
            f"snapshot of {snapshot.source} imported {snapshot.imported_at:%Y-%m-%d %H:%M} UTC "
            f"({age.days} day(s) ago)",
            highlight=False,
        )
    warnings = [f for f in findings if f.level == "warning"]
    problems = [f for f in findings if f.level == "error"]
    if warnings:
        console.print(_findings_table(f"{len(warnings)} warning(s)", warnings, "yellow"))
    if problems:
        stderr.print(_findings_table(f"{len(problems)} problem(s)", problems, "red"))
        first = problems[0]
        fail(
            f"{len(problems)} problem(s) in {folder}; the first: {first.file}: {first.entry}: "
            f"field '{first.field}': {first.problem}"
        )
    console.print(f"{folder}: OK", highlight=False)


@contacts_app.command("import")
def contacts_import(
    source: Annotated[
        Path, typer.Argument(help="Folder of the directory export (CSV/YAML files).")
    ],
    into: Annotated[
        Path | None, typer.Option("--into", help="Snapshot folder (default: CONTACTS_DIR).")
    ] = None,
) -> None:
    """Validate SOURCE and, only if valid, make it the snapshot the service reads."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from outage_notify.cli.output import console, fail, load_settings
    from outage_notify.contacts.snapshot import count_rows, import_snapshot
    from outage_notify.core.errors import ContactsError

    settings = load_settings()
    target = into or settings.contacts_dir
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(f"validating {source}", total=count_rows(source) or None)
        try:
            snapshot = import_snapshot(
                source,
                target,
                now=datetime.now(UTC),
                locales=_locales(settings),
                region=settings.default_region,
                on_contact=lambda _: progress.advance(task),
            )
        except ContactsError as error:
            progress.stop()
            fail(f"{error}; the snapshot in {target} is unchanged")
        except OSError as error:
            progress.stop()
            fail(f"cannot write the snapshot in {target}: {error}; it is unchanged")
    table = Table("audience", "contacts", title=f"snapshot in {target}")
    for name, count in snapshot.audiences.items():
        table.add_row(name, str(count))
    console.print(table)
    console.print(
        f"imported {snapshot.contacts} contacts from {snapshot.source} at "
        f"{snapshot.imported_at:%Y-%m-%d %H:%M:%S} UTC; restart the service to use them",
        highlight=False,
    )


def _locales(settings: Settings) -> frozenset[str]:
    """The locales that have templates: a contact in any other would get no message."""
    from outage_notify.cli.output import fail
    from outage_notify.contacts.loading import template_locales
    from outage_notify.core.errors import ConfigError

    try:
        return template_locales(settings)
    except ConfigError as error:
        fail(str(error))


def _online(directory: Directory, settings: Settings, console: Console) -> list[Finding]:
    from rich.progress import Progress

    from outage_notify.contacts.online import lookups_needed
    from outage_notify.integrations.lookups import check_online

    slack, twilio = settings.slack, settings.twilio
    total = lookups_needed(
        directory,
        slack=slack.configured,
        twilio=bool(twilio.account_sid and twilio.auth_token.get_secret_value()),
    )
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("asking Slack and Twilio", total=total)
        result = check_online(
            directory, slack=slack, twilio=twilio, advance=lambda: progress.advance(task)
        )
    for skipped in result.skipped:
        console.print(f"[yellow]online check skipped:[/] {skipped}", highlight=False)
    return list(result.findings)


def _audience_table(directory: Directory) -> Table:
    table = Table("audience", "deliver", "contacts", "broadcast targets", "selected by routing")
    for name, audience in sorted(directory.audiences.items()):
        broadcast = len(audience.broadcast.slack_channels) + len(audience.broadcast.fallback_urls)
        selected = "yes" if name in directory.routing.audiences else "no"
        table.add_row(name, audience.deliver, str(len(audience.contacts)), str(broadcast), selected)
    return table


def _findings_table(title: str, findings: list[Finding], colour: str) -> Table:
    table = Table("file", "entry", "field", "problem", title=title, title_style=colour)
    for finding in findings:
        table.add_row(finding.file, finding.entry, finding.field, finding.problem)
    return table
