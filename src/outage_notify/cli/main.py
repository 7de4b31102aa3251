"""The `outage-notify` command."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from outage_notify.cli.lazy_group import LazyGroup
from outage_notify.cli.output import (
    console,
    fail,
    load_settings,
    report_format,
    stderr,
    write_report,
)
from outage_notify.config.api_tokens import Role
from outage_notify.config.settings import Settings
from outage_notify.core.errors import ConfigError
from outage_notify.observability.logs import configure_logging

if TYPE_CHECKING:
    from outage_notify.contacts.directory import Directory
    from outage_notify.messages.live_config import LiveConfig


class Commands(LazyGroup):
    """`outage-notify`: the commands of other modules are imported when they run."""

    lazy = {
        "login": ("outage_notify.cli.login", "login_command"),
        "send-test": ("outage_notify.cli.rehearsal", "send_test_command"),
        "doctor": ("outage_notify.cli.doctor", "doctor_command"),
        "reload": ("outage_notify.cli.reload", "reload_command"),
        "contacts": ("outage_notify.cli.contacts", "contacts_app"),
        "templates": ("outage_notify.cli.templates", "templates_app"),
        "incident": ("outage_notify.cli.incident", "incident_app"),
        "maintenance": ("outage_notify.cli.maintenance", "maintenance_app"),
        "subscribers": ("outage_notify.cli.subscribers", "subscribers_app"),
    }
    # `--help`'s order: the commands first, then the groups.
    order = (
        "login",
        "serve",
        "worker",
        "beat",
        "fake-providers",
        "demo",
        "report",
        "hash-token",
        "send-test",
        "doctor",
        "reload",
        "db",
        "contacts",
        "templates",
        "incident",
        "maintenance",
        "subscribers",
    )


app = typer.Typer(
    cls=Commands, no_args_is_help=True, help="Keep everyone informed while email is down."
)
db_app = typer.Typer(no_args_is_help=True, help="Database schema.")
app.add_typer(db_app, name="db")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="API processes (uvicorn workers) sharing the port. More than one needs "
            "BROKER_URL: in embedded mode the worker lives inside the one API process.",
        ),
    ] = 1,
) -> None:
    """Run the API (and, without BROKER_URL, a worker in the same process)."""
    import signal

    import uvicorn

    from outage_notify.core import heap
    from outage_notify.messages.live_config import sighup_handler
    from outage_notify.service import API_FACTORY, build_service

    settings = load_settings()
    configure_logging(settings)
    if workers > 1 and settings.embedded:
        fail(
            f"--workers {workers} needs BROKER_URL: without it (embedded mode) the API and "
            "the worker share one process and its in-memory broker, so `serve` runs exactly "
            "one; set BROKER_URL and start `outage-notify worker` processes to scale"
        )
    level = settings.log_level.lower()
    if workers > 1:
        _check_and_announce(settings, host=host, port=port, workers=workers)
        # Each process builds its own API from the same environment; this one supervises.
        uvicorn.run(
            API_FACTORY,
            factory=True,
            workers=workers,
            host=host,
            port=port,
            log_level=level,
            log_config=None,
        )
        return
    try:
        service = build_service(settings)
    except ConfigError as error:
        fail(str(error))
    service.announce(console, host=host, port=port)
    service.start_worker()
    # The API and the embedded worker share the snapshot: one reload covers both.
    signal.signal(signal.SIGHUP, sighup_handler(service.config))
    # Full collections over the contacts, templates and routes were most of the webhooks' p99.
    heap.freeze()
    try:
        # log_config=None: uvicorn's loggers go through our handler (and its redaction)
        # instead of handlers of their own.
        uvicorn.run(service.api, host=host, port=port, log_level=level, log_config=None)
    finally:
        service.stop()


def _check_and_announce(settings: Settings, *, host: str, port: int, workers: int) -> None:
    """Validate and migrate as a one-process `serve` would, then let go of what it loaded."""
    from outage_notify.service import build_service

    try:
        service = build_service(settings)
    except ConfigError as error:
        fail(str(error))
    service.announce(console, host=host, port=port)
    console.print(f"{workers} API processes (uvicorn workers) on port {port}")
    service.stop()


@app.command()
def worker(
    concurrency: Annotated[int | None, typer.Option(help="Worker processes.")] = None,
    queues: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated queues (default: all). E.g. outage_notify.dispatch for "
            "bulk workers and outage_notify.urgent,outage_notify.events for a lane worker, "
            "so that managers' opened/resolved messages never wait behind a fan-out."
        ),
    ] = None,
    nice: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=19,
            help="Niceness to add before Celery starts; its children inherit it. E.g. "
            "10 for a worker of outage_notify.dispatch alone, so that it yields the CPU to the "
            "worker of the urgent and events queues. Default: WORKER_NICE.",
        ),
    ] = None,
) -> None:
    """Run a Celery worker on BROKER_URL (distributed mode)."""
    from outage_notify.channels.registry import preload_channels
    from outage_notify.core import heap
    from outage_notify.integrations.registry import PROVIDERS
    from outage_notify.store.batch_sql import build_before_fork
    from outage_notify.worker import names
    from outage_notify.worker.celery_app import create_celery
    from outage_notify.worker.priority import lower_cpu_priority
    from outage_notify.worker.reload_control import install_sighup
    from outage_notify.worker.runtime import WorkerRuntime

    settings = load_settings()
    if settings.embedded:
        fail("BROKER_URL is not set: in embedded mode `outage-notify serve` runs the worker itself")
    chosen = [q.strip() for q in (queues or ",".join(names.ALL_QUEUES)).split(",") if q.strip()]
    unknown = sorted(set(chosen) - set(names.ALL_QUEUES))
    if unknown:
        fail(f"unknown queue(s) {', '.join(unknown)}; known: {', '.join(names.ALL_QUEUES)}")
    # Before the contacts are read and the pool forks: reading 100,000 contacts is seconds of CPU
    # a bulk worker restarting mid-outage should not take from the lane worker either.
    lower_cpu_priority(settings.worker_nice if nice is None else nice)
    config = _check_config(settings)
    _say_dry_channels(settings, config.current().directory)
    configure_logging(settings)
    # The prefork children inherit the contacts read here instead of each reading them again
    # on its first task (seconds for 100,000 contacts, which the first plan of an outage would
    # wait for); frozen, the collector leaves their pages shared between the children.
    celery = create_celery(settings, runtime=WorkerRuntime(settings, config=config))
    install_sighup(celery)
    # The channels' SDKs too: each child would import them on its first message of an outage.
    preload_channels(settings, PROVIDERS)
    # And the ORM's set-up and the claim statement, which each child built on its first batch.
    build_before_fork(settings.database_url)
    heap.freeze()
    celery.worker_main(
        [
            "worker",
            f"--concurrency={concurrency or settings.worker_concurrency}",
            f"--queues={','.join(chosen)}",
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
    from outage_notify.integrations.fake_server import run_fake_providers

    run_fake_providers(host, port)


@app.command()
def demo(
    report_dir: Annotated[
        Path,
        typer.Option("--report-dir", help="Where the post-incident report (md + html) is written."),
    ] = Path("outage-notify-demo"),
) -> None:
    """Play an email outage through the whole SOP against the fakes, in about a minute: who
    received what at each step, acknowledgements, and the post-incident report."""
    from outage_notify.demo.main import run_demo

    run_demo(console, report_dir)


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
    """Write the post-incident report of incident ID, read from DATABASE_URL.

    Acknowledgement deadlines come from the routing file in CONTACTS_DIR, if there is one.
    """
    from datetime import UTC, datetime

    from outage_notify.contacts.directory import routing_file
    from outage_notify.contacts.routing import load_routing
    from outage_notify.report.html import to_html
    from outage_notify.report.render import to_json_text, to_markdown
    from outage_notify.store.coverage import ack_deadlines
    from outage_notify.store.engine import create_session_factory, create_store_engine
    from outage_notify.store.report import incident_report

    renderers = {"md": to_markdown, "html": to_html}
    format = report_format(format)
    settings = load_settings()
    # Only the routing is needed: the report must not depend on the contact files validating.
    routing_path = routing_file(settings.contacts_dir)
    try:
        deadlines = ack_deadlines(load_routing(routing_path)) if routing_path else {}
    except ConfigError as error:
        fail(str(error))
    engine = create_store_engine(settings.database_url)
    try:
        with create_session_factory(engine)() as session:
            built = incident_report(
                session,
                incident_id,
                now=datetime.now(UTC),
                cadence_minutes=settings.update_cadence_minutes,
                deadlines=deadlines,
                timezone=settings.timezone,
                locale=settings.default_locale,
            )
    finally:
        engine.dispose()
    if built is None:
        fail(f"there is no incident {incident_id} in the database at DATABASE_URL")
    # Markdown and HTML speak the organisation's locale (DEFAULT_LOCALE) through the catalogs.
    text = (
        to_json_text(built)
        if format == "json"
        else renderers[format](built, templates_dir=settings.templates_dir)
    )
    write_report(text, output, incident_id)


@app.command("hash-token")
def hash_token(
    name: Annotated[str, typer.Option(help="Who holds the token; the audit log names them by it.")],
    role: Annotated[Role, typer.Option(help="monitor, staff or admin.")] = Role.STAFF,
    scheme: Annotated[
        str, typer.Option(help="sha256 (random tokens) or scrypt (a token a person chose).")
    ] = "sha256",
    generate: Annotated[
        bool, typer.Option("--generate", help="Make a random token; print it once, to stderr.")
    ] = False,
) -> None:
    """Print an API_TOKENS entry holding only a hash of a token read from stdin or a prompt."""
    from outage_notify.config import token_hashes
    from outage_notify.config.secrets import is_placeholder

    if not name or any(character in name for character in ":,;= \t"):
        fail("--name must be non-empty, without spaces, ':', ',', ';' or '='")
    if scheme not in token_hashes.HASH_SCHEMES:
        fail(f"unknown --scheme {scheme!r}; use sha256 or scrypt")
    if generate:
        token = token_hashes.generate_token()
        stderr.print(f"new token for {name} (shown once, stored nowhere):", highlight=False)
        stderr.print(token, highlight=False, soft_wrap=True)
    elif sys.stdin.isatty():
        token = typer.prompt("Token", hide_input=True, confirmation_prompt=True)
    else:
        token = sys.stdin.readline().rstrip("\r\n")
    if is_placeholder(token):
        fail("the token is a placeholder or shorter than 16 characters; try --generate")
    if scheme == "sha256" and not generate and len(token) < 32:
        stderr.print(
            "[yellow]warning:[/] a short token a person chose is better kept with --scheme scrypt",
            highlight=False,
        )
    # Plain stdout, not the rich console: the entry must not be wrapped or styled.
    hashed = token_hashes.hash_token(token, scheme="scrypt" if scheme == "scrypt" else "sha256")
    sys.stdout.write(f"{role.value}:{name}:{hashed}\n")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the schema at DATABASE_URL."""
    from outage_notify.store.engine import create_store_engine, upgrade

    settings = load_settings()
    try:
        upgrade(create_store_engine(settings.database_url))
    except ConfigError as error:
        fail(str(error))
    console.print("schema is up to date")


def _check_config(settings: Settings) -> LiveConfig:
    """The contacts and templates, once found valid; exits otherwise. Production also refuses
    contacts on a channel that is not configured, now and at every reload."""
    from outage_notify.messages.live_config import LiveConfig
    from outage_notify.service import no_dry_channels_in_use

    try:
        return LiveConfig.load(settings, validate=no_dry_channels_in_use(settings))
    except ConfigError as error:
        fail(str(error))


def _say_dry_channels(settings: Settings, directory: Directory) -> None:
    """Say which channels are dry runs and who depends on them (development only: production
    refused them in `_check_config`)."""
    from outage_notify.channels.unconfigured import dry_channels, notices
    from outage_notify.integrations.registry import PROVIDERS

    dry = dry_channels(settings, directory.audiences.values(), PROVIDERS)
    for line in notices(dry):
        console.print("[bold yellow]DRY RUN[/]: ", end="")
        console.print(line, markup=False)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
