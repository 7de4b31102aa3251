"""`outage-notify maintenance …`: staff schedule and run maintenance windows from a terminal,
over the service's HTTP API (`/api/v1/maintenances`), like `outage-notify incident`.

Times are read as `cli.eta_words` reads ETAs, in the organisation's zone (asked of the
service): `--start 22:00` is the next 22:00 there; a duration in `--end` (`+2h`) counts from
the start, elsewhere from now. Failures are one sentence and a non-zero exit.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer

from outage_notify.cli.eta_words import EtaWordsError, parse_eta
from outage_notify.cli.output import console, fail
from outage_notify.cli.staff_calls import call, service_zone

maintenance_app = typer.Typer(
    no_args_is_help=True, help="Schedule and run maintenance windows on a running service."
)
MAINTENANCES = "/api/v1/maintenances"
TIME_HELP = "22:00 (next such time, organisation's zone), +2h, 1h30m or ISO"

Json = Annotated[bool, typer.Option("--json", help="Print the service's JSON answer.")]
Reason = Annotated[str, typer.Option("--reason", "-r", help="Why; on the window's timeline.")]


def _moment(text: str, *, what: str, now: datetime, zone: ZoneInfo) -> datetime:
    try:
        # The service judges how far past or ahead a window may be (maintenance/windows.py).
        return parse_eta(text, now=now, zone=zone, future=False, max_ahead=None)
    except EtaWordsError as error:
        sentence = str(error).replace("the ETA", "the time").replace("An ETA", "A time")
        fail(f"--{what}: {sentence.replace('That ETA', 'That time')}")


def _print(answer: Any, as_json: bool, sentence: str) -> None:
    if as_json:
        console.print_json(json.dumps(answer, default=str))
    else:
        console.print(sentence, markup=False, highlight=False)


def _line(window: dict[str, Any]) -> str:
    where = ", ".join(window["components"]) or "whole service"
    return (
        f"{window['id']:>5}  {window['state']:<10} {window['start']} to {window['end']}  "
        f"{window['service']} ({where}): {window['text']}"
    )


def _sentence(verb: str, window: dict[str, Any]) -> str:
    return (
        f"{verb} maintenance {window['id']} ({window['state']}), {window['start']} to "
        f"{window['end']}: {window['text']}"
    )


@maintenance_app.command("list")
def list_windows(
    open_only: Annotated[
        bool, typer.Option("--open", help="Only scheduled, active and verifying windows.")
    ] = False,
    as_json: Json = False,
) -> None:
    """Maintenance windows, newest start first."""
    page = call("GET", MAINTENANCES, params={"open_only": open_only})
    if as_json:
        _print(page, True, "")
        return
    if not page["items"]:
        console.print("No maintenance windows.")
    for window in page["items"]:
        console.print(_line(window), markup=False, highlight=False)


@maintenance_app.command()
def show(maintenance_id: int, as_json: Json = False) -> None:
    """One window: its times, audiences, the announcements taken and its timeline."""
    detail = call("GET", f"{MAINTENANCES}/{maintenance_id}")
    if as_json:
        _print(detail, True, "")
        return
    audiences = ", ".join(detail["audiences"]) if detail["audiences"] else "as routing selects"
    console.print(
        f"Maintenance {detail['id']} ({detail['state']}): {detail['text']}\n"
        f"{detail['service']}, components {', '.join(detail['components']) or 'all'}, "
        f"{detail['start']} to {detail['end']} (planned end {detail['planned_end']})\n"
        f"audiences {audiences}; probes required {'yes' if detail['require_probes'] else 'no'}; "
        f"announced: {', '.join(detail['steps']) or 'nothing yet'}",
        markup=False,
        highlight=False,
    )
    for entry in detail["timeline"]:
        console.print(
            f"  {entry['at']}  {entry['actor']}: {entry['text']}", markup=False, highlight=False
        )


@maintenance_app.command()
def schedule(
    start: Annotated[str, typer.Option(help=f"When the work starts: {TIME_HELP}.")],
    end: Annotated[str, typer.Option(help=f"When it ends: {TIME_HELP}; +2h is after --start.")],
    message: Annotated[
        str, typer.Option("--message", "-m", help="Public text: what every reader is told.")
    ],
    service: Annotated[str, typer.Option(help="The service the work is on.")] = "email",
    component: Annotated[
        list[str] | None, typer.Option(help="Affected component; repeat. None: all.")
    ] = None,
    audience: Annotated[
        list[str] | None, typer.Option(help="Who hears it; repeat. None: as routing selects.")
    ] = None,
    require_probes: Annotated[
        bool, typer.Option("--require-probes", help="Complete only after mail probes pass.")
    ] = False,
    as_json: Json = False,
) -> None:
    """Schedule a window; its audiences hear of it now, before, at the start and at the end."""
    zone = service_zone()
    starts = _moment(start, what="start", now=datetime.now(UTC), zone=zone)
    ends = _moment(end, what="end", now=starts, zone=zone)
    body: dict[str, Any] = {
        "service": service,
        "components": component or [],
        "start": starts.isoformat(),
        "end": ends.isoformat(),
        "text": message,
        "require_probes": require_probes,
    }
    if audience:
        body["audiences"] = audience
    answer = call("POST", MAINTENANCES, json=body)
    _print(answer, as_json, _sentence("Scheduled", answer))


@maintenance_app.command()
def extend(
    maintenance_id: int,
    end: Annotated[str, typer.Option(help=f"The new end: {TIME_HELP}; +1h is from now.")],
    reason: Reason = "",
    as_json: Json = False,
) -> None:
    """Move the end later; the audiences hear the new end."""
    ends = _moment(end, what="end", now=datetime.now(UTC), zone=service_zone())
    body = {"end": ends.isoformat(), "reason": reason}
    answer = call("POST", f"{MAINTENANCES}/{maintenance_id}/extend", json=body)
    _print(answer, as_json, _sentence("Extended", answer))


@maintenance_app.command()
def complete(maintenance_id: int, reason: Reason = "", as_json: Json = False) -> None:
    """End an active window now (after the probes pass, when the window requires them)."""
    path = f"{MAINTENANCES}/{maintenance_id}/complete"
    answer = call("POST", path, json={"reason": reason})
    _print(answer, as_json, _sentence("Completing", answer))


@maintenance_app.command()
def cancel(maintenance_id: int, reason: Reason = "", as_json: Json = False) -> None:
    """Call off a window that has not started."""
    path = f"{MAINTENANCES}/{maintenance_id}/cancel"
    answer = call("POST", path, json={"reason": reason})
    _print(answer, as_json, _sentence("Cancelled", answer))
