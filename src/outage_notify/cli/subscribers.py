"""`outage-notify subscribers list|export|remove`: the people who subscribed on the status
page, read from and removed in DATABASE_URL (as `report` reads it: no API needed)."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from outage_notify.cli.output import console, fail, load_settings
from outage_notify.core.digits import ascii_digits
from outage_notify.core.redaction import mask_phone

subscribers_app = typer.Typer(
    no_args_is_help=True, help="People who subscribed on the status page (/status/subscribe)."
)


@contextmanager
def _session() -> Iterator[Session]:
    from outage_notify.store.engine import create_session_factory, create_store_engine, transaction

    settings = load_settings()
    engine = create_store_engine(settings.database_url)
    try:
        with transaction(create_session_factory(engine)) as session:
            yield session
    except SQLAlchemyError as error:
        fail(f"the database at DATABASE_URL could not be read: {type(error).__name__}")
    finally:
        engine.dispose()


@subscribers_app.command("list")
def list_command(
    full: Annotated[bool, typer.Option("--full", help="Show whole numbers, not masked.")] = False,
) -> None:
    """A table of subscribers: id, number (masked unless --full), language, components."""
    from outage_notify.store import subscribers as store

    with _session() as session:
        rows = store.listed(session)
        table = Table(title=f"{len(rows)} subscriber(s)", title_justify="left")
        for header in ("id", "number", "language", "components", "since (UTC)"):
            table.add_column(header)
        for row in rows:
            table.add_row(
                str(row.id),
                row.phone if full else mask_phone(row.phone),
                row.locale,
                ", ".join(row.components or ()) or "all",
                row.subscribed_at.strftime("%Y-%m-%d %H:%M"),
            )
    console.print(table)


@subscribers_app.command("export")
def export_command(
    format: Annotated[
        str, typer.Option("--format", help="csv or json.", case_sensitive=False)
    ] = "csv",
) -> None:
    """Every subscriber with the whole number, to stdout (personal data: keep it safe)."""
    from outage_notify.store import subscribers as store

    if format.lower() not in ("csv", "json"):
        fail(f"unknown format {format!r}; use csv or json")
    with _session() as session:
        rows = [
            {
                "id": row.id,
                "phone": row.phone,
                "locale": row.locale,
                "components": list(row.components or ()),
                "subscribed_at": row.subscribed_at.isoformat(),
            }
            for row in store.listed(session)
        ]
    if format.lower() == "json":
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    writer = csv.writer(sys.stdout)
    writer.writerow(["id", "phone", "locale", "components", "subscribed_at"])
    for item in rows:
        writer.writerow(
            [
                item["id"],
                item["phone"],
                item["locale"],
                "|".join(item["components"]),  # type: ignore[arg-type]
                item["subscribed_at"],
            ]
        )


@subscribers_app.command("remove")
def remove_command(
    subscriber: Annotated[
        str, typer.Argument(metavar="ID_OR_NUMBER", help="The subscriber's id or E.164 number.")
    ],
) -> None:
    """Unsubscribe one subscriber (they get no text about it)."""
    from outage_notify.store import subscribers as store

    with _session() as session:
        if ascii_digits(subscriber):
            removed = store.remove(session, int(subscriber))
        elif subscriber.startswith("+") and ascii_digits(subscriber[1:]):
            removed = store.remove_phone(session, subscriber)
        else:
            fail(f"{subscriber!r} is neither a subscriber id nor an E.164 number (+5511...)")
    if not removed:
        fail(f"there is no subscriber {subscriber}", code=1)
    console.print(f"subscriber {subscriber} removed")
