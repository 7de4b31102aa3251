"""Where the CLI writes: the consoles for stdout and stderr, and failing with one sentence.

Apart from `cli.main` so that its sub-commands (`cli.contacts`, `cli.templates`) use them
without importing the module that imports them.
"""

from __future__ import annotations

from typing import NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console

from outage_notify.config.settings import Settings

console = Console()
# Named for where it writes: `errors` shadowed `outage_notify.core.errors` in readers' minds.
stderr = Console(stderr=True)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print one sentence and exit non-zero (no traceback for bad input)."""
    stderr.print(f"[bold red]error:[/] {message}", highlight=False)
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
