"""How the staff CLI prints a preview (`--preview`) and asks before sending."""

from __future__ import annotations

from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from outage_notify.cli.output import console as stdout
from outage_notify.cli.output import stderr


def print_preview(preview: dict[str, Any], *, to_stderr: bool = False) -> None:
    """Each body with who gets it, its SMS figures and any cut, then the totals (on stderr
    when stdout is kept for `--json`)."""
    console: Console = stderr if to_stderr else stdout
    if not preview["messages"]:
        console.print("[bold]Nothing would be sent.[/]")
    for message in preview["messages"]:
        zone = f", times in {message['timezone']}" if message["timezone"] else ""
        head = (
            f"[bold]{message['audience']}[/] · {message['kind']} · {message['channel']} · "
            f"{message['locale']}{zone} — {message['recipients']} reader(s)"
        )
        if message["fallback_recipients"]:
            head += f", {message['fallback_recipients']} more if earlier channels fail"
        console.print(head, highlight=False)
        if message["names"]:
            shown = ", ".join(message["names"][:8])
            more = message["recipients"] - min(len(message["names"]), 8)
            console.print(f"  to: {shown}{f' and {more} more' if more > 0 else ''}", markup=False)
        sms = message["sms"]
        if sms:
            console.print(
                f"  SMS: {sms['segments']} segment(s), {sms['encoding']}, {sms['length']} "
                f"units; {sms['cost_per_message']:.4f} each, {sms['cost_total']:.4f} in all",
                highlight=False,
            )
        if message["truncated"]:
            cut = message["truncated"]
            console.print(
                f"  [yellow]shortened:[/] the staff text keeps {cut['kept']} of {cut['of']} "
                "characters",
                highlight=False,
            )
        if message["title"]:
            console.print(f"  | {message['title']}", markup=False, highlight=False)
        for line in message["body"].splitlines():
            console.print(f"  | {line}", markup=False, highlight=False)
        _print_extras(console, message)
        console.print()
    table = Table(show_header=False, box=None)
    table.add_row("audiences", ", ".join(preview["audiences"]) or "none")
    table.add_row("readers", str(preview["recipients"]))
    table.add_row("SMS cost", f"{preview['sms_cost']:.4f}")
    console.print(table)
    for warning in preview["warnings"]:
        console.print(f"[yellow]warning:[/] {warning}", highlight=False)


def _print_extras(console: Console, message: dict[str, Any]) -> None:
    """A WhatsApp body's Content Template, and the voice call reading a body out."""
    template = message.get("whatsapp")
    if template:
        sid = template["content_sid"] or "none configured: not sent"
        console.print(f"  outside the 24-hour window, as template {sid}:", highlight=False)
        for key, value in template["variables"].items():
            console.print(f"    {{{{{key}}}}} = {value}", markup=False, highlight=False)
        for line in template["text"].splitlines():
            console.print(f"  | {line}", markup=False, highlight=False)
    call = message.get("call")
    if call:
        console.print(
            f"  [bold]voice call, {call['condition']}[/] ({call['voice']}, {call['language']}):",
            highlight=False,
        )
        for part in call["script"]:
            console.print(f"    [{part['when']}]", markup=False, highlight=False)
            for said in part["says"]:
                for line in said.splitlines():
                    console.print(f"    | {line}", markup=False, highlight=False)


def confirm_or_stop(yes: bool) -> None:
    """Go on when `yes`, else ask (on stderr); stop with exit code 1 when the answer is no."""
    if yes:
        return
    if not typer.confirm("Send it?", default=False, err=True):
        stderr.print("Not sent.")
        raise typer.Exit(1)
