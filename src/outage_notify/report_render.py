"""The post-incident report as Markdown or JSON (pure). HTML is in `report_html`.

Titles, notes and messages are untrusted: every such string goes through `_md`, which
backslash-escapes Markdown and HTML syntax so a hostile title renders as text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from outage_notify.report_model import Report
from outage_notify.report_text import (
    COVERAGE_NOTE,
    DETECT_BASIS_TEXT,
    ETA_SOURCE_TEXT,
    PHASE_BASIS_TEXT,
    format_duration,
    format_eta_error,
    format_minutes,
    format_time,
)

# Inline syntax anywhere in a line, and what starts a block at the start of a paragraph.
_MARKDOWN_SYNTAX = re.compile(r"([\\`*_\[\]<>|~&])")
_BLOCK_START = re.compile(r"^(\d*)([#=+.)-])")


def _md(text: str) -> str:
    return _MARKDOWN_SYNTAX.sub(r"\\\1", " ".join(str(text).split()))


def _md_paragraph(text: str) -> str:
    return _BLOCK_START.sub(r"\1\\\2", _md(text))


def _table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


def to_json(report: Report) -> dict[str, Any]:
    """The report as JSON-ready data (the pydantic model dump)."""
    return report.model_dump(mode="json")


def to_json_text(report: Report) -> str:
    """The report as an indented JSON document."""
    return json.dumps(to_json(report), indent=2, ensure_ascii=False) + "\n"


def to_markdown(report: Report) -> str:
    """The report as a Markdown document, one section per SOP question."""
    s, t = report.summary, report.timings
    out = [
        f"# Post-incident report: {_md(s.title)}",
        "",
        f"Incident #{s.incident_id} · service {_md(s.service)} · severity {_md(s.severity)}"
        f" · phase {_md(s.phase)} · generated {format_time(report.generated_at, report.timezone)}",
        "",
        "## Summary",
        "",
        f"- Opened: {format_time(s.opened_at, report.timezone)}",
        f"- Resolved: {format_time(s.resolved_at, report.timezone)}",
        f"- Components: {_md(', '.join(s.components)) or '-'}",
        f"- Incident lead: {_md(s.lead) or '-'}",
        f"- Audiences told: {_md(', '.join(s.audiences_told)) or 'none'}",
        f"- Recipients: {s.total_contacts} contacts, {s.total_messages} messages",
    ]
    if s.summary:
        out += ["", _md_paragraph(s.summary)]
    first = {f.audience: f for f in t.first_message}
    out += ["", "## Impact", ""]
    out += _table(
        ["Audience", "Contacts", "Broadcast targets", "Messages", "First message", "After opening"],
        (
            [
                _md(r.audience),
                r.contacts,
                r.broadcasts,
                r.messages,
                format_time(first[r.audience].sent_at, report.timezone),
                format_duration(first[r.audience].seconds_after_open),
            ]
            for r in s.recipients
        ),
    )
    out += [
        "",
        "## Timings",
        "",
        f"- Outage started: {format_time(t.outage_started_at, report.timezone)}"
        f" (taken from {DETECT_BASIS_TEXT[t.detect_basis]})",
        f"- Time to detect: {format_duration(t.time_to_detect_seconds)}",
        f"- Time to resolve (from opening): {format_duration(t.time_to_resolve_seconds)}",
        f"- Outage duration (from start): {format_duration(t.outage_duration_seconds)}",
        "",
        "## Phases",
        "",
        f"Phase times {PHASE_BASIS_TEXT[report.phase_basis]}.",
        "",
    ]
    out += _table(
        ["Phase", "Time spent", "Visits"],
        ([p.phase, format_duration(p.seconds), p.visits] for p in report.phase_durations),
    )
    out += ["", "## Timeline", ""]
    out += _table(
        ["Time", "Kind", "Who", "What", "Seen by"],
        (
            [
                format_time(e.at, report.timezone),
                _md(e.kind),
                _md(e.actor),
                _md(e.text),
                "stakeholders" if e.public else "internal",
            ]
            for e in report.timeline
        ),
    )
    out += _deliveries(report) + _coverage(report) + _eta_and_cadence(report) + _analysis(report)
    return "\n".join(out) + "\n"


def _deliveries(report: Report) -> list[str]:
    out = ["", "## Deliveries", ""]
    header = ["Audience", "Channel", "Total", "Sent", "Delivered", "Failed", "Undelivered"]
    header += ["Superseded", "Pending", "Fallback used"]
    totals = report.delivery_totals
    rows = [*report.deliveries, totals.model_copy(update={"audience": "**all**", "channel": ""})]
    out += _table(
        header,
        (
            [
                r.audience if r is rows[-1] else _md(r.audience),
                _md(r.channel),
                r.total,
                r.sent,
                r.delivered,
                r.failed,
                r.undelivered,
                r.superseded,
                r.pending,
                r.fallback_used,
            ]
            for r in rows
        ),
    )
    out += ["", f"Unreached contacts: {len(report.unreached) or 'none'}"]
    out += [
        f"- {_md(u.name)} ({_md(u.audience)}): {u.deliveries} deliveries failed;"
        f" last error: {_md(u.last_error) or '-'}"
        for u in report.unreached
    ]
    if report.attempts:
        out += ["", "Attempts by channel and outcome:", ""]
        out += _table(
            ["Channel", "Outcome", "Attempts"],
            ([_md(a.channel), _md(a.outcome), a.count] for a in report.attempts),
        )
    return out


def _coverage(report: Report) -> list[str]:
    out = ["", "## Coverage", "", COVERAGE_NOTE, ""]
    header = ["Audience", "Contacts", "Sent", "Delivered", "Asked to acknowledge"]
    header += ["Acknowledged", "Deadline", "Met", "Missed", "Pending", "Unreached"]
    header += ["Broadcast targets", "Posted"]
    out += _table(
        header,
        (
            [
                _md(c.audience),
                c.recipients,
                c.sent,
                c.delivered,
                c.ack_required,
                c.acknowledged,
                format_minutes(c.deadline.minutes if c.deadline else None),
                c.deadline.met if c.deadline else "-",
                c.deadline.missed if c.deadline else "-",
                c.deadline.pending if c.deadline else "-",
                len(c.unreached),
                c.broadcasts,
                c.broadcasts_sent,
            ]
            for c in report.coverage
        ),
    )
    unreached = [(name, c.audience) for c in report.coverage for name in c.unreached]
    out += ["", f"Unreached - call them: {len(unreached) or 'none'}"]
    out += [f"- {_md(name)} ({_md(audience)})" for name, audience in unreached]
    return out


def _eta_and_cadence(report: Report) -> list[str]:
    out = ["", "## ETA accuracy", "", f"ETAs {ETA_SOURCE_TEXT[report.eta_source]}.", ""]
    if report.etas:
        out += _table(
            ["Set at", "By", "ETA", "Announced", "Outcome", "Against resolution"],
            (
                [
                    format_time(e.set_at, report.timezone),
                    _md(e.set_by),
                    format_time(e.eta, report.timezone),
                    "yes" if e.announced else "no",
                    e.outcome.replace("_", " "),
                    format_eta_error(e.outcome, e.error_seconds),
                ]
                for e in report.etas
            ),
        )
    promised = ", ".join(f"{s} every {m} min" for s, m in report.cadence_minutes.items())
    overdue = sum(g.overdue for g in report.update_gaps)
    out += ["", "## Update cadence", "", f"Promised: {promised or '-'}.", ""]
    out += [f"Gaps over the promise: {overdue} of {len(report.update_gaps)}.", ""]
    out += _table(
        ["From update", "To update", "Gap", "Promised", "Over", "Flag"],
        (
            [
                f"#{g.from_update}",
                f"#{g.to_update}" if g.to_update is not None else "(none yet)",
                format_duration(g.seconds),
                format_duration(g.promised_seconds),
                format_duration(g.over_seconds),
                "OVERDUE" if g.overdue else "ok",
            ]
            for g in report.update_gaps
        ),
    )
    return out


def _analysis(report: Report) -> list[str]:
    out = ["", "## Findings", ""]
    out += [
        f"- {format_time(f.at, report.timezone)} - {_md(f.actor)}: {_md(f.text)}"
        for f in report.findings
    ]
    out += [] if report.findings else ["None recorded."]
    out += ["", f"Internal notes: {report.notes_count}."]
    out += ["", "## Root cause", "", _md_paragraph(report.root_cause) or "Not recorded."]
    out += ["", "## Action items", ""]
    if report.action_items:
        out += _table(
            ["#", "Action", "Owner", "Status", "Added"],
            (
                [
                    n,
                    _md(a.text),
                    _md(a.owner) or "-",
                    a.status,
                    format_time(a.created_at, report.timezone),
                ]
                for n, a in enumerate(report.action_items, 1)
            ),
        )
    else:
        out += ["None recorded."]
    p = report.probes
    out += [
        "",
        "## Mail probes",
        "",
        f"{p.total} round trips: {p.passed} passed, {p.failed} failed.",
    ]
    out += [
        f"- {format_time(f.at, report.timezone)} failed at {_md(f.stage)}: {_md(f.error)}"
        for f in p.failures
    ]
    return out
