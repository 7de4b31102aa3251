"""How the demo shows what happened: the messages people received, the acknowledgements,
the delivery figures, and in plain words what each odd figure means."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table

from outage_notify.demo.words import has, say
from outage_notify.fakes.state import FakeRecord

PLAIN_STATES = ("sent", "delivered")


def local_time(value: str | datetime, zone: str) -> str:
    """HH:MM:SS of an API timestamp in the demo's zone."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return f"{moment.astimezone(ZoneInfo(zone)):%H:%M:%S}"


def show_messages(console: Console, records: list[FakeRecord], contacts: int) -> None:
    """Every message if they fit on a screen, else one row per distinct body with a count."""
    if len(records) > 40:
        console.print(_summary(records))
    else:
        table = Table("channel", "to", "message", show_lines=True)
        for record in records:
            table.add_row(
                record.channel,
                record.to,
                (f"[bold]{record.title}[/]\n" if record.title else "") + record.body,
            )
        console.print(table)
    console.print(say("lines.received", count=len(records), contacts=contacts))


def _summary(records: list[FakeRecord]) -> Table:
    bodies = Counter((r.channel, (r.title + "\n" if r.title else "") + r.body) for r in records)
    table = Table("channel", "recipients", "message", show_lines=True)
    for (channel, body), count in bodies.most_common():
        table.add_row(channel, str(count), body)
    return table


def show_acknowledgements(
    console: Console, deliveries: list[dict[str, Any]], kinds: dict[int, str], zone: str
) -> None:
    """One line per manager and message that asked for a confirmation."""
    asked = [d for d in deliveries if d["ack_required"] and d["recipient_name"]]
    for delivery in sorted(asked, key=lambda d: (d["update_id"], d["recipient_name"])):
        kind = kinds.get(delivery["update_id"], "")
        if delivery["acked_at"]:
            console.print(
                say(
                    "lines.acked",
                    name=delivery["recipient_name"],
                    kind=kind,
                    via=delivery["acked_via"] or "reply",
                    at=local_time(delivery["acked_at"], zone),
                )
            )
        elif delivery["unreached_at"] or delivery["state"] == "failed":
            tried = dict.fromkeys(a["channel"] for a in delivery["attempts"])
            console.print(
                say(
                    "lines.not_acked",
                    name=delivery["recipient_name"],
                    kind=kind,
                    channels=", then ".join(tried) or delivery["channel"],
                )
            )


def show_counts(console: Console, counts: list[dict[str, Any]]) -> None:
    table = Table("audience", "channel", "state", "deliveries")
    for row in counts:
        table.add_row(row["audience"], row["channel"], row["state"], str(row["count"]))
    console.print(table)


def explain_counts(
    console: Console,
    counts: list[dict[str, Any]],
    reasons: dict[tuple[str, str, str], str],
    *,
    silent: str | None,
    renotify: str,
) -> list[str]:
    """Print, and return, a plain-words line for every figure that is not plainly "sent"."""
    lines = [say(f"explain.{key}") for key in ("received", "timeline_counts", "probe", "reminder")]
    if silent:
        lines.append(say("explain.chase", minutes=renotify, silent=silent))
    for row in counts:
        state, channel = row["state"], row["channel"]
        if state in PLAIN_STATES or not has(f"explain.states.{state}"):
            continue
        reason = reasons.get((row["audience"], channel, state), "")
        values = {**row, "reason_words": say("explain.reason", reason=reason) if reason else ""}
        line = say(f"explain.states.{state}", **values)
        if has(f"explain.channels.{channel}"):
            line += " " + say(f"explain.channels.{channel}", **row)
        lines.append(line)
    console.rule(say("explain.heading"))
    for line in lines:
        console.print(f"• {line}")
    return lines


def first_reason(deliveries: list[dict[str, Any]]) -> str:
    """The first provider error among `deliveries`' attempts, on one line, shortened."""
    for delivery in deliveries:
        for attempt in reversed(delivery["attempts"]):
            text = " ".join(str(attempt.get("error_text") or "").split()).rstrip(".")
            if text:
                return text if len(text) <= 200 else text[:199] + "…"
    return ""
