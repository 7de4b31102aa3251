"""The `outage-notify` command."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console

from outage_notify.errors import ConfigError
from outage_notify.logs import configure_logging
from outage_notify.settings import Settings

app = typer.Typer(no_args_is_help=True, help="Keep everyone informed while email is down.")
db_app = typer.Typer(no_args_is_help=True, help="Database schema.")
contacts_app = typer.Typer(no_args_is_help=True, help="Contact lists.")
templates_app = typer.Typer(no_args_is_help=True, help="Message templates.")
app.add_typer(db_app, name="db")
app.add_typer(contacts_app, name="contacts")
app.add_typer(templates_app, name="templates")

console = Console()
errors = Console(stderr=True)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print one sentence and exit non-zero (no traceback for bad input)."""
    errors.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}"
            for e in error.errors()
        )
        fail(f"invalid configuration (OUTAGE_NOTIFY_* / .env): {problems}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Run the API (and, without BROKER_URL, a worker in the same process)."""
    import uvicorn

    from outage_notify.runner import build_service

    settings = load_settings()
    configure_logging(settings)
    try:
        service = build_service(settings)
    except ConfigError as error:
        fail(str(error))
    service.announce(console, host=host, port=port)
    service.start_worker()
    try:
        uvicorn.run(service.api, host=host, port=port, log_level=settings.log_level.lower())
    finally:
        service.stop()


@app.command()
def worker(
    concurrency: Annotated[int | None, typer.Option(help="Worker processes.")] = None,
) -> None:
    """Run a Celery worker on BROKER_URL (distributed mode)."""
    from outage_notify.worker import names
    from outage_notify.worker.celery_app import create_celery

    settings = load_settings()
    if settings.embedded:
        fail("BROKER_URL is not set: in embedded mode `outage-notify serve` runs the worker itself")
    _check_config(settings)
    configure_logging(settings)
    celery = create_celery(settings)
    celery.worker_main(
        [
            "worker",
            f"--concurrency={concurrency or settings.worker_concurrency}",
            f"--queues={','.join(names.ALL_QUEUES)}",
            f"--loglevel={settings.log_level}",
            "--without-gossip",
            "--without-mingle",
        ]
    )


@app.command()
def beat() -> None:
    """Run the scheduler (sweeper) once per deployment (distributed mode)."""
    from outage_notify.worker.celery_app import create_celery

    settings = load_settings()
    if settings.embedded:
        fail("BROKER_URL is not set: in embedded mode `outage-notify serve` runs beat itself")
    configure_logging(settings)
    create_celery(settings).start(["beat", f"--loglevel={settings.log_level}"])


@app.command("fake-providers")
def fake_providers(
    host: Annotated[str, typer.Option(help="Loopback interface.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port for the Twilio, Slack and Apprise fakes.")] = 8025,
) -> None:
    """Run local fakes of Twilio, Slack and an Apprise json:// target (development only)."""
    from outage_notify.fakes.server import run_fake_providers

    run_fake_providers(host, port)


@app.command()
def demo() -> None:
    """Play an email outage end to end against the fakes, and show who received what."""
    from outage_notify.demo import run_demo

    run_demo(console)


@app.command()
def report(
    incident_id: Annotated[int, typer.Argument(metavar="ID", help="The incident's id.")],
    format: Annotated[
        str, typer.Option("--format", help="md, html or json.", case_sensitive=False)
    ] = "md",
    output: Annotated[
        Path | None, typer.Option("--output", help="Write to FILE instead of stdout.")
    ] = None,
) -> None:
    """Write the post-incident report of incident ID, read from DATABASE_URL."""
    from datetime import UTC, datetime

    from outage_notify.report_html import to_html
    from outage_notify.report_render import to_json_text, to_markdown
    from outage_notify.store.engine import create_session_factory, create_store_engine
    from outage_notify.store.report import incident_report

    renderers = {"md": to_markdown, "html": to_html, "json": to_json_text}
    if format.lower() not in renderers:
        fail(f"unknown format {format!r}; use md, html or json")
    settings = load_settings()
    engine = create_store_engine(settings.database_url)
    try:
        with create_session_factory(engine)() as session:
            built = incident_report(
                session,
                incident_id,
                now=datetime.now(UTC),
                cadence_minutes=settings.update_cadence_minutes,
            )
    finally:
        engine.dispose()
    if built is None:
        fail(f"there is no incident {incident_id} in the database at DATABASE_URL")
    text = renderers[format.lower()](built)
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as error:
        fail(f"cannot write {output}: {error.strerror}")
    console.print(f"report of incident {incident_id} written to {output}", highlight=False)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the schema at DATABASE_URL."""
    from outage_notify.store.engine import create_store_engine, upgrade

    settings = load_settings()
    upgrade(create_store_engine(settings.database_url))
    console.print("schema is up to date")


def _check_config(settings: Settings) -> None:
    from outage_notify.contacts import load_directory
    from outage_notify.rendering import Renderer

    try:
        load_directory(settings.contacts_dir)
        problems = Renderer(settings.templates_dir).check()
    except ConfigError as error:
        fail(str(error))
    if problems:
        fail(f"{len(problems)} template problem(s): " + "; ".join(problems))


@contacts_app.command("check")
def contacts_check() -> None:
    """Validate every contact file and the routing file in CONTACTS_DIR."""
    from rich.table import Table

    from outage_notify.contacts import load_directory

    settings = load_settings()
    try:
        directory = load_directory(settings.contacts_dir)
    except ConfigError as error:
        fail(str(error))
    table = Table("audience", "deliver", "contacts", "broadcast targets")
    for name, audience in sorted(directory.audiences.items()):
        broadcast = len(audience.broadcast.slack_channels) + len(audience.broadcast.fallback_urls)
        table.add_row(name, audience.deliver, str(len(audience.contacts)), str(broadcast))
    console.print(table)
    for warning in directory.warnings:
        console.print(f"[yellow]warning:[/] {warning}")
    console.print(f"{settings.contacts_dir}: OK")


@templates_app.command("check")
def templates_check() -> None:
    """Render every template with sample data; fail on any error."""
    from outage_notify.rendering import Renderer

    settings = load_settings()
    try:
        problems = Renderer(settings.templates_dir).check()
    except ConfigError as error:
        fail(str(error))
    if problems:
        for problem in problems:
            errors.print(f"[red]{problem}[/]", highlight=False)
        fail(f"{len(problems)} template problem(s) in {settings.templates_dir}")
    console.print(f"{settings.templates_dir}: OK")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
