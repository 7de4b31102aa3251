"""The post-incident report as Markdown or JSON (pure). HTML is in `report_html`.

Titles, notes and messages are untrusted: every such string goes through `_md`, which
backslash-escapes Markdown and HTML syntax so a hostile title renders as text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from outage_notify.report.calls import CallFigure
from outage_notify.report.model import CoverageFigure, Report
from outage_notify.report.wording import (
    COVERAGE_NOTE,
    DETECT_BASIS_TEXT,
    ETA_SOURCE_TEXT,
    PHASE_BASIS_TEXT,
    TEMPLATES,
    ReportWords,
    format_duration,
    format_minutes,
)

# Inline syntax anywhere in a line, and what starts a block at the start of a paragraph.
_MARKDOWN_SYNTAX = re.compile(r"([\\`*_\[\]<>|~&])")
_BLOCK_START = re.compile(r"^(\d*)([#=+.)-])")


# The phone-call table's columns, in both renderers.
CALL_COLUMNS = (
    "audience", "people_called", "calls_placed", "answered", "confirmed", "no_answer", "busy",
    "voicemail", "failed", "in_progress", "unreached_after_calls",
)  # fmt: skip


def call_cells(calls: CallFigure) -> list[int]:
    """The phone-call table's figures after the audience, in `CALL_COLUMNS` order."""
    return [
        calls.people, calls.placed, calls.answered, calls.confirmed, calls.no_answer,
        calls.busy, calls.voicemail, calls.failed, calls.in_progress, len(calls.unreached),
    ]  # fmt: skip


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


def to_markdown(report: Report, *, templates_dir: Path = TEMPLATES) -> str:
    """The report as a Markdown document, one section per SOP question, in the report's locale."""
    w = ReportWords(report.locale, report.timezone, templates_dir)
    s, t = report.summary, report.timings
    out = [
        "# " + w("title", title=_md(s.title)),
        "",
        w(
            "meta",
            id=s.incident_id,
            service=_md(s.service),
            severity=_md(s.severity),
            phase=_md(w.value(s.phase)),
            generated=w.time(report.generated_at),
        ),
        "",
        "## " + w("summary"),
        "",
        f"- {w('opened')}: {w.time(s.opened_at)}",
        f"- {w('resolved')}: {w.time(s.resolved_at)}",
        f"- {w('components')}: {_md(', '.join(s.components)) or '-'}",
        f"- {w('lead')}: {_md(s.lead) or '-'}",
        f"- {w('audiences_told')}: {_md(', '.join(s.audiences_told)) or w('none')}",
        f"- {w('recipients')}: "
        + w("recipients_line", contacts=s.total_contacts, messages=s.total_messages),
    ]
    if s.summary:
        out += ["", _md_paragraph(s.summary)]
    first = {f.audience: f for f in t.first_message}
    out += ["", "## " + w("impact"), ""]
    out += _table(
        [w(k) for k in ("audience", "contacts", "broadcasts", "messages")]
        + [w("first_message"), w("after_opening")],
        (
            [
                _md(r.audience),
                r.contacts,
                r.broadcasts,
                r.messages,
                w.time(first[r.audience].sent_at),
                format_duration(first[r.audience].seconds_after_open),
            ]
            for r in s.recipients
        ),
    )
    taken = w("taken_from", basis=w.text(DETECT_BASIS_TEXT[t.detect_basis]))
    out += [
        "",
        "## " + w("timings"),
        "",
        f"- {w('outage_started')}: {w.time(t.outage_started_at)} ({taken})",
        f"- {w('time_to_detect')}: {format_duration(t.time_to_detect_seconds)}",
        f"- {w('time_to_resolve')}: {format_duration(t.time_to_resolve_seconds)}",
        f"- {w('outage_duration')}: {format_duration(t.outage_duration_seconds)}",
        "",
        "## " + w("phases"),
        "",
        w("phase_times", basis=w.text(PHASE_BASIS_TEXT[report.phase_basis])),
        "",
    ]
    out += _table(
        [w("phase"), w("time_spent"), w("visits")],
        ([w.value(p.phase), format_duration(p.seconds), p.visits] for p in report.phase_durations),
    )
    out += ["", "## " + w("timeline"), ""]
    out += _table(
        [w("time"), w("kind"), w("who"), w("what"), w("seen_by")],
        (
            [
                w.time(e.at),
                _md(e.kind),
                _md(e.actor),
                _md(e.text),
                w("stakeholders") if e.public else w("internal"),
            ]
            for e in report.timeline
        ),
    )
    out += _deliveries(report, w) + _coverage(report, w)
    out += _eta_and_cadence(report, w) + _analysis(report, w)
    return "\n".join(out) + "\n"


def _deliveries(report: Report, w: ReportWords) -> list[str]:
    out = ["", "## " + w("deliveries"), ""]
    header = [w(k) for k in ("audience", "channel", "total", "sent", "delivered", "failed")]
    header += [w(k) for k in ("undelivered", "superseded", "pending", "fallback_used", "dry_run")]
    totals = report.delivery_totals
    everyone = f"**{w('all')}**"
    rows = [*report.deliveries, totals.model_copy(update={"audience": everyone, "channel": ""})]
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
                r.dry_run,
            ]
            for r in rows
        ),
    )
    out += ["", w("unreached_contacts", count=len(report.unreached) or w("none"))]
    out += [
        f"- {_md(u.name)} ({_md(u.audience)}): "
        + w.failed_deliveries(u.deliveries, _md(u.last_error) or "-")
        for u in report.unreached
    ]
    if report.attempts:
        out += ["", w("attempts_by_channel"), ""]
        out += _table(
            [w("channel"), w("outcome"), w("attempts")],
            ([_md(a.channel), _md(a.outcome), a.count] for a in report.attempts),
        )
    return out


def _coverage(report: Report, w: ReportWords) -> list[str]:
    out = ["", "## " + w("coverage"), "", w.text(COVERAGE_NOTE), ""]
    header = [w(k) for k in ("audience", "contacts", "sent", "delivered", "ack_asked")]
    header += [w(k) for k in ("acknowledged", "deadline", "met", "missed", "pending")]
    header += [w("unreached"), w("broadcasts"), w("posted")]
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
    unreached = [(name, c) for c in report.coverage for name in c.unreached]
    out += ["", w("call_them", count=len(unreached) or w("none"))]
    out += [
        f"- {_md(name)} ({_md(c.audience)})" + (f": {note}" if (note := called(c, name, w)) else "")
        for name, c in unreached
    ]
    dry = sum(c.dry_run for c in report.coverage)
    if dry:
        out += ["", w("dry_run_only", count=dry)]
    return out + _calls(report, w)


def called(coverage: CoverageFigure, name: str, w: ReportWords) -> str:
    """'called 3 times without answer' when the calls to `name` ended so; else ''."""
    calls = next((c.calls for c in coverage.calls.unreached if c.name == name), 0)
    return w.called_unanswered(calls) if calls else ""


def _calls(report: Report, w: ReportWords) -> list[str]:
    """The phone-call figures per audience, when voice escalation phoned anyone."""
    phoned = [c for c in report.coverage if c.calls.people]
    if not phoned:
        return []
    out = ["", "### " + w("phone_calls"), "", w("calls_note"), ""]
    return out + _table(
        [w(k) for k in CALL_COLUMNS],
        ([_md(c.audience), *call_cells(c.calls)] for c in phoned),
    )


def _eta_and_cadence(report: Report, w: ReportWords) -> list[str]:
    source = w.text(ETA_SOURCE_TEXT[report.eta_source])
    out = ["", "## " + w("eta_accuracy"), "", w("etas_from", source=source), ""]
    if report.etas:
        out += _table(
            [w(k) for k in ("set_at", "by", "eta", "announced", "outcome", "against_resolution")],
            (
                [
                    w.time(e.set_at),
                    _md(e.set_by),
                    w.time(e.eta),
                    w("yes") if e.announced else w("no"),
                    w.value(e.outcome),
                    w.eta_error(e.outcome, e.error_seconds),
                ]
                for e in report.etas
            ),
        )
    promised = ", ".join(
        w("promised_every", severity=s, minutes=m) for s, m in report.cadence_minutes.items()
    )
    overdue = sum(g.overdue for g in report.update_gaps)
    out += ["", "## " + w("cadence"), "", w("promised_line", promised=promised or "-"), ""]
    out += [w("gaps_over", overdue=overdue, total=len(report.update_gaps)), ""]
    out += _table(
        [w(k) for k in ("from_update", "to_update", "gap", "promised", "over", "flag")],
        (
            [
                f"#{g.from_update}",
                f"#{g.to_update}" if g.to_update is not None else w("none_yet"),
                format_duration(g.seconds),
                format_duration(g.promised_seconds),
                format_duration(g.over_seconds),
                w("overdue") if g.overdue else w("ok"),
            ]
            for g in report.update_gaps
        ),
    )
    return out


def _analysis(report: Report, w: ReportWords) -> list[str]:
    out = ["", "## " + w("findings"), ""]
    out += [f"- {w.time(f.at)} - {_md(f.actor)}: {_md(f.text)}" for f in report.findings]
    out += [] if report.findings else [w("none_recorded")]
    out += ["", w("notes", count=report.notes_count)]
    out += ["", "## " + w("root_cause"), "", _md_paragraph(report.root_cause) or w("not_recorded")]
    out += _cause_and_security(report, w)
    out += ["", "## " + w("action_items"), ""]
    if report.action_items:
        out += _table(
            ["#", w("action"), w("owner"), w("status"), w("added")],
            (
                [n, _md(a.text), _md(a.owner) or "-", w.value(a.status), w.time(a.created_at)]
                for n, a in enumerate(report.action_items, 1)
            ),
        )
    else:
        out += [w("none_recorded")]
    p = report.probes
    out += ["", "## " + w("probes"), ""]
    out += [w("probes_line", total=p.total, passed=p.passed, failed=p.failed)]
    out += [
        "- " + w("probe_failed", time=w.time(f.at), stage=_md(f.stage), error=_md(f.error))
        for f in p.failures
    ]
    return out


def _notifications(report: Report, w: ReportWords, heading: str) -> list[str]:
    part = report.notifications
    if part is None:
        return []
    out = ["", heading + " " + w("notifications"), ""]
    out += [w("personal_data_marked", time=w.time(part.marked_at), who=_md(part.marked_by)), ""]
    out += _table(
        [w(k) for k in ("obligation", "clock_started", "deadline", "notified", "who")]
        + [w("reference"), w("status")],
        (
            [
                n.label,
                w.time(n.started_at),
                w.time(n.deadline),
                w.time(n.notified_at) if n.notified_at else w("not_notified"),
                _md(n.notified_by) or "-",
                _md(n.reference) or "-",
                "-" if n.on_time is None else (w("ok") if n.on_time else w("late")),
            ]
            for n in part.notices
        ),
    )
    return out


def _cause_and_security(report: Report, w: ReportWords) -> list[str]:
    """The cause category and time to identify; in security mode, the security section, with
    the notification clock's part after its timeline (a part of its own when personal data
    was marked without security mode)."""
    cause = report.cause
    out = [
        "",
        f"- {w('cause_category')}: {w.value(cause.category)}",
        f"- {w('time_to_identify')}: {format_duration(cause.time_to_identify_seconds)}",
    ]
    section = report.security
    if section is None:
        return out + _notifications(report, w, "##")
    out += ["", "## " + w("security"), "", f"- {w('security_since')}: {w.time(section.since)}"]
    out += ["", "### " + w("security_timeline"), ""]
    out += _table(
        [w("time"), w("kind"), w("who"), w("what")],
        ([w.time(e.at), w.value(e.kind), _md(e.actor), _md(e.text)] for e in section.events),
    )
    return out + _notifications(report, w, "###")
