"""`outage-notify reload`: every process loads the contacts, routing and templates again.

Workers are reached through the broker (a Celery remote-control command, one answer each);
API processes through `POST /api/v1/admin/reload` when `--url` (OUTAGE_NOTIFY_URL) and an
admin `--token` (OUTAGE_NOTIFY_TOKEN) are given. In embedded mode `serve` holds the only
worker, and one call to its API (or a SIGHUP) reloads both.
"""

from __future__ import annotations

from typing import Annotated

import httpx
import typer

from outage_notify.cli.output import console, fail, load_settings, stderr

# How long workers get to answer the ping that counts them before the reload is broadcast.
PING_SECONDS = 2.0


def reload_command(
    url: Annotated[
        str | None,
        typer.Option(
            envvar="OUTAGE_NOTIFY_URL",
            help="The API's base URL (e.g. http://127.0.0.1:8000): it reloads too.",
        ),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(envvar="OUTAGE_NOTIFY_TOKEN", help="An admin API token, for --url."),
    ] = None,
    timeout: Annotated[
        float,
        typer.Option(
            min=0.5,
            help="The longest wait for answers (a worker reads every contact again); the "
            "command returns once every worker that answered a ping has answered.",
        ),
    ] = 60.0,
) -> None:
    """Reload contacts, routing and templates in every worker (via the broker) and the API.

    A process that finds the new files invalid keeps its old snapshot and says why; the
    exit code is then 1. Check first with `contacts check` and `templates check`.
    """
    settings = load_settings()
    if settings.embedded and not url:
        fail(
            "BROKER_URL is not set: in embedded mode the worker runs inside `serve`; send "
            "`serve` a SIGHUP, or give --url (OUTAGE_NOTIFY_URL) and an admin --token"
        )
    refused = 0
    reached = 0
    if not settings.embedded:
        from outage_notify.worker.celery_app import create_celery
        from outage_notify.worker.reload_control import live_workers, reload_workers

        celery = create_celery(settings)
        try:
            # Wait for as many answers as workers answer a ping, not the whole timeout (which
            # is sized for the slowest reload, not the usual one).
            alive = live_workers(celery, timeout=min(timeout, PING_SECONDS))
            answers = reload_workers(celery, timeout=timeout, expected=len(alive) or None)
        finally:
            celery.close()
        if not answers:
            stderr.print(
                f"[yellow]warning:[/] no worker answered within {timeout:g} s", highlight=False
            )
        for answer in answers:
            reached += 1
            refused += _report(f"worker {answer.worker}", answer.hash, answer.error)
    if url:
        if not token:
            fail("--url needs an admin API token: --token or OUTAGE_NOTIFY_TOKEN")
        reached += 1
        refused += _reload_api(url, token, timeout=timeout)
    if refused or not reached:
        raise typer.Exit(1)


def _reload_api(url: str, token: str, *, timeout: float) -> int:
    """1 when the API refused the new files, 0 when it reloaded; exits on other answers."""
    endpoint = url.rstrip("/") + "/api/v1/admin/reload"
    try:
        response = httpx.post(
            endpoint, headers={"Authorization": f"Bearer {token}"}, timeout=timeout
        )
    except httpx.HTTPError as error:
        fail(f"cannot reach the API at {endpoint}: {type(error).__name__}: {error}")
    if response.status_code not in (200, 422):
        detail = response.text[:200]
        fail(f"the API at {endpoint} answered {response.status_code}: {detail}")
    body = response.json()
    return _report(f"API {url}", str(body["hash"]), body.get("error"))


def _report(who: str, hash: str, error: str | None) -> int:
    if error is None:
        console.print(f"{who}: reloaded, snapshot {hash}", highlight=False)
        return 0
    stderr.print(
        f"[bold red]{who}: refused[/], snapshot {hash} stays in force: {error}", highlight=False
    )
    return 1
