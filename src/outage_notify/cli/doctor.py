"""`outage-notify doctor`: every check of the day's dependencies, one line each."""

from __future__ import annotations

import sys
from typing import Annotated, Literal

import typer

Environment = Literal["development", "production"]


def doctor_command(
    json_output: Annotated[
        bool, typer.Option("--json", help="Print JSON (exit_code and checks) instead of a table.")
    ] = False,
    environment: Annotated[
        str | None,
        typer.Option(
            help="Check as development or production (default: OUTAGE_NOTIFY_ENVIRONMENT), e.g. "
            "production before switching."
        ),
    ] = None,
    timeout: Annotated[
        float, typer.Option(min=0.5, max=60, help="Seconds each network check may take.")
    ] = 5.0,
) -> None:
    """Check settings, database, broker, providers, contacts, templates, mail servers, workers
    and beat. Exit 0 when all is ok, 1 with warnings only, 2 with any failure."""
    from outage_notify.cli.output import console, fail
    from outage_notify.doctor.check import exit_code
    from outage_notify.doctor.configuration import load_settings
    from outage_notify.doctor.registry import diagnose
    from outage_notify.doctor.report import summary, to_json, to_table

    chosen: Environment | None = None
    if environment is not None:
        if environment not in ("development", "production"):
            fail(f"--environment must be development or production, not {environment!r}")
        chosen = "production" if environment == "production" else "development"
    settings, settings_line = load_settings(chosen)
    checks = diagnose(settings, settings_line, timeout=timeout)
    if json_output:
        # Plain stdout: the rich console would wrap long lines inside the JSON strings.
        sys.stdout.write(to_json(checks) + "\n")
    else:
        console.print(to_table(checks))
        console.print(summary(checks), highlight=False)
    raise typer.Exit(exit_code(checks))
