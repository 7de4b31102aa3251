"""How the doctor's lines are shown: a rich table for people, JSON for machines."""

from __future__ import annotations

import json
from collections.abc import Sequence

from rich.table import Table

from outage_notify.doctor.check import Check, exit_code

STYLES = {"ok": "green", "warn": "yellow", "fail": "bold red"}
SUMMARY = {0: "all ok", 1: "warnings only", 2: "failures"}


def to_table(checks: Sequence[Check], *, title: str = "outage-notify doctor") -> Table:
    """One row per check: status, name, what was found, the fix."""
    table = Table(title=title, show_lines=True)
    table.add_column("")
    table.add_column("check", no_wrap=True)
    # Folded, never cut with an ellipsis: a setting's name is the useful part of a fix.
    table.add_column("detail", overflow="fold", ratio=3)
    table.add_column("fix", overflow="fold", ratio=2)
    for check in checks:
        status = f"[{STYLES[check.status]}]{check.status}[/]"
        table.add_row(status, check.name, check.detail, check.fix)
    return table


def summary(checks: Sequence[Check]) -> str:
    """One line: how many of each, and the exit code it gives."""
    counts = {status: sum(1 for c in checks if c.status == status) for status in STYLES}
    code = exit_code(checks)
    parts = ", ".join(f"{count} {status}" for status, count in counts.items())
    return f"{parts}: {SUMMARY[code]} (exit {code})"


def to_json(checks: Sequence[Check]) -> str:
    """{"exit_code": n, "checks": [{name, status, detail, fix}, ...]}."""
    payload = {"exit_code": exit_code(checks), "checks": [check.to_json() for check in checks]}
    return json.dumps(payload, indent=2, ensure_ascii=False)
