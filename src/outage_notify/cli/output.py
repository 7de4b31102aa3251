"""Where the CLI writes: the consoles for stdout and stderr, and failing with one sentence.

Apart from `cli.main` so that its sub-commands (`cli.contacts`, `cli.templates`) use them
without importing the module that imports them.
"""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.text import Text

from outage_notify.config.settings import Settings

console = Console()
# Named for where it writes: `errors` shadowed `outage_notify.core.errors` in readers' minds.
stderr = Console(stderr=True)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print one sentence and exit non-zero (no traceback for bad input).

    The sentence is shown as written: it quotes what the operator typed, which rich would
    otherwise read as markup (`[/x]` was a traceback, `[red]alice` showed as `alice`) or
    emoji codes (`:salt:`)."""
    stderr.print(Text.assemble(("error:", "bold red"), " ", message), highlight=False)
    raise typer.Exit(code)


def load_settings() -> Settings:
    try:
        settings = Settings()
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}"
            for e in error.errors()
        )
        fail(f"invalid configuration (OUTAGE_NOTIFY_* / .env): {problems}")
    # Here, not in Settings: the configuration layer does not import SQLAlchemy, whose parser
    # decides what a URL is. A bad one was a traceback at the first engine.
    from outage_notify.store.engine import url_problem

    problem = url_problem(settings.database_url)
    if problem is not None:
        fail(f"invalid configuration (OUTAGE_NOTIFY_* / .env): database_url: {problem}")
    return settings


REPORT_FORMATS = ("md", "html", "json")


def report_format(given: str) -> str:
    """`given` as one of REPORT_FORMATS (any case), or fail naming them."""
    if given.lower() not in REPORT_FORMATS:
        fail(f"unknown format {given!r}; give md, html or json")
    return given.lower()


def write_report(text: str, output: Path | None, incident_id: int) -> None:
    """A report to stdout (ending in one newline) or to `output`, confirmed on the console.

    Both `report` commands (from the database, and `incident report` over the API) write here.
    """
    if output is None:
        typer.echo(text, nl=not text.endswith("\n"))
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as error:
        fail(f"cannot write {output}: {error.strerror}")
    console.print(f"Wrote the report of incident {incident_id} to {output}.", highlight=False)
