"""The post-incident report: figures from constructed rows, and what the renderers show."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from outage_notify.core.models import Severity
from outage_notify.report.build import build_report
from outage_notify.report.html import to_html
from outage_notify.report.model import Report
from outage_notify.report.render import to_json, to_markdown
from outage_notify.report.timeline import transition_target
from outage_notify.report.wording import format_time
from outage_notify.store.coverage import AudienceCoverage, DeadlineCoverage
from outage_notify.store.tables import (
    ActionItemRow,
    AttemptRow,
    DeliveryRow,
    EtaRow,
    IncidentRow,
    PhaseTransitionRow,
    ProbeRow,
    TimelineRow,
    UpdateRow,
)

T0 = datetime(2025, 3, 10, 13, 45, tzinfo=UTC)
CADENCE = {Severity.CRITICAL: 30, Severity.MAJOR: 60, Severity.MINOR: 120}
ENTRY_IDS = itertools.count(1)
HOSTILE = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def incident(**values: Any) -> IncidentRow:
    defaults: dict[str, Any] = {
        "id": 7,
        "service": "email",
        "title": "Email is down",
        "summary": "Nobody can send mail",
        "severity": "critical",
        "phase": "resolved",
        "components": ["inbound", "outbound"],
        "active_groups": [],
        "notified_audiences": {},
        "opened_at": T0,
        "resolved_at": at(90),
        "created_by": "alertmanager",
        "lead": "alice",
        "root_cause": "",
    }
    return IncidentRow(**{**defaults, **values})


def entry(minutes: float, kind: str, text: str = "", **data: Any) -> TimelineRow:
    return TimelineRow(
        id=next(ENTRY_IDS),
        incident_id=7,
        at=at(minutes),
        actor="ops",
        kind=kind,
        text=text,
        data=data,
    )


def update(
    id: int,
    minutes: float,
    *,
    kind: str = "update",
    phase: str = "investigating",
    severity: str = "critical",
    eta: datetime | None = None,
    recipients: list[str] | None = None,
) -> UpdateRow:
    return UpdateRow(
        id=id,
        incident_id=7,
        kind=kind,
        message=f"update {id}",
        phase=phase,
        severity=severity,
        components=[],
        eta=eta,
        created_at=at(minutes),
        created_by="ops",
        recipients=recipients,
    )


def delivery(
    id: int,
    *,
    audience: str = "users",
    key: str = "",
    state: str = "sent",
    routes: tuple[str, ...] = ("sms", "slack"),
    channel: str | None = None,
    sent: float | None = 1,
    kind: str = "contact",
    update_id: int = 1,
) -> DeliveryRow:
    return DeliveryRow(
        id=id,
        update_id=update_id,
        incident_id=7,
        audience=audience,
        recipient_key=key or f"contact:{id}",
        recipient_name=f"Person {key or id}",
        recipient_kind=kind,
        locale="en",
        routes=[{"channel": c, "address": f"{c}-{id}"} for c in routes],
        route_index=0,
        state=state,
        channel=routes[0] if channel is None else channel,
        error="21211 invalid number" if state == "failed" else "",
        created_at=T0,
        updated_at=at(2),
        sent_at=at(sent) if sent is not None and state in ("sent", "delivered") else None,
    )


def eta_row(id: int, set_minutes: float, eta_minutes: float | None) -> EtaRow:
    return EtaRow(
        id=id,
        incident_id=7,
        eta=at(eta_minutes) if eta_minutes is not None else None,
        set_at=at(set_minutes),
        set_by="ops",
        announced=True,
    )


def report(**rows: Any) -> Report:
    values: dict[str, Any] = {
        "incident": incident(),
        "timeline": [],
        "updates": [],
        "deliveries": [],
        "attempts": [],
        "eta_history": [],
        "action_items": [],
        "probes": [],
        "now": at(120),
        "cadence_minutes": CADENCE,
    }
    return build_report(**{**values, **rows})


# --- phases ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "data", "phase"),
    [
        ("opened as detected", {}, "detected"),
        ("declared by staff as investigating", {}, "investigating"),
        ("fixing → verifying", {}, "verifying"),
        ("resolved → investigating (reopened)", {}, "investigating"),
        ("something else happened", {}, None),
        ("moved", {"to": "identified"}, "identified"),
        # Issue 14: the reason after the colon broke the reading, so a reopen was lost.
        (
            "resolved → investigating: the alert fired again within the hold-down",
            {},
            "investigating",
        ),
        ("verifying → investigating: fix did not hold", {}, "investigating"),
        ("opened as detected by the mail probe", {}, "detected"),
    ],
)
def test_a_transition_entry_names_the_phase_it_moved_to(
    text: str, data: dict[str, str], phase: str | None
) -> None:
    target = transition_target(entry(0, "transition", text, **data))
    assert (target.value if target else None) == phase


@pytest.mark.parametrize(
    ("timeline", "updates", "resolved", "expected", "basis"),
    [
        (
            [
                entry(0, "transition", "opened as detected"),
                entry(5, "transition", "detected → investigating"),
                entry(20, "transition", "investigating → fixing"),
                entry(70, "transition", "fixing → verifying"),
                entry(90, "transition", "verifying → resolved"),
            ],
            [],
            at(90),
            {
                "detected": 300,
                "investigating": 900,
                "identified": 0,
                "fixing": 3000,
                "verifying": 1200,
            },
            "timeline",
        ),
        (
            # Reopened: the second stretch of investigating adds to the first.
            [
                entry(0, "transition", "declared by staff as investigating"),
                entry(10, "transition", "investigating → resolved"),
                entry(30, "transition", "resolved → investigating"),
                entry(40, "transition", "investigating → resolved"),
            ],
            [],
            at(40),
            {"detected": 0, "investigating": 1200, "identified": 0, "fixing": 0, "verifying": 0},
            "timeline",
        ),
        (
            # Still open: the current phase runs to `now` (120 min).
            [entry(0, "transition", "opened as detected"), entry(60, "transition", "→ identified")],
            [],
            None,
            {"detected": 3600, "investigating": 0, "identified": 3600, "fixing": 0, "verifying": 0},
            "timeline",
        ),
        (
            # No transition entries: the updates' phases, reminders ignored.
            [],
            [
                update(1, 0, kind="opened", phase="detected"),
                update(2, 15, phase="fixing"),
                update(3, 20, phase="verifying", recipients=["alice"]),
                update(4, 45, kind="resolved", phase="resolved"),
            ],
            at(45),
            {"detected": 900, "investigating": 0, "identified": 0, "fixing": 1800, "verifying": 0},
            "updates",
        ),
    ],
)
def test_phase_durations(
    timeline: list[TimelineRow],
    updates: list[UpdateRow],
    resolved: datetime | None,
    expected: dict[str, float],
    basis: str,
) -> None:
    built = report(
        incident=incident(resolved_at=resolved, phase="resolved" if resolved else "identified"),
        timeline=timeline,
        updates=updates,
    )
    assert {p.phase: p.seconds for p in built.phase_durations} == expected
    assert built.phase_basis == basis
    if resolved is None:
        assert built.phases[-1].ongoing and built.phases[-1].end == at(120)


def transition(minutes: float, before: str | None, after: str) -> PhaseTransitionRow:
    return PhaseTransitionRow(
        id=next(ENTRY_IDS),
        incident_id=7,
        from_phase=before,
        to_phase=after,
        at=at(minutes),
        actor="ops",
    )


def test_phase_stretches_come_from_the_transition_rows_a_reopen_included() -> None:
    """Issue 14: a reopened stretch counted as resolved (timeline text broke on a colon)."""
    rows = [
        transition(0, None, "detected"),
        transition(10, "detected", "fixing"),
        transition(30, "fixing", "resolved"),
        transition(40, "resolved", "investigating"),
        transition(70, "investigating", "resolved"),
    ]
    # The timeline says otherwise; the rows are what counts.
    misleading = [entry(0, "transition", "opened as detected")]
    built = report(incident=incident(resolved_at=at(70)), transitions=rows, timeline=misleading)
    assert built.phase_basis == "transitions"
    durations = {p.phase: p.seconds for p in built.phase_durations}
    assert durations == {
        "detected": 600,
        "investigating": 1800,
        "identified": 0,
        "fixing": 1200,
        "verifying": 0,
    }
    assert [p.phase for p in built.phases] == ["detected", "fixing", "resolved", "investigating"]


def test_without_transition_rows_the_reopen_text_of_older_incidents_still_counts() -> None:
    built = report(
        incident=incident(resolved_at=at(70)),
        timeline=[
            entry(0, "transition", "opened as detected"),
            entry(30, "transition", "detected → resolved"),
            entry(40, "transition", "resolved → investigating: the alert fired again: disk"),
            entry(70, "transition", "investigating → resolved"),
        ],
    )
    assert built.phase_basis == "timeline"
    assert {p.phase: p.seconds for p in built.phase_durations}["investigating"] == 1800


# --- timings ----------------------------------------------------------------------------------


def test_time_to_detect_comes_from_the_alerts_own_start_times() -> None:
    """Issue 14: "Time to detect: 0s … as no alert carried a start time" with a startsAt."""
    built = report(alert_starts=[at(-3), at(-7.5)], timeline=[entry(0, "alert", "firing")])
    assert built.timings.detect_basis == "alert_starts_at"
    assert built.timings.outage_started_at == at(-7.5)
    assert built.timings.time_to_detect_seconds == 450
    assert "Time to detect: 7m 30s" in to_markdown(built)


@pytest.mark.parametrize(
    ("zone", "moment", "text"),
    [
        ("UTC", at(0), "Mar 10, 2025, 13:45:00 UTC"),
        ("America/Sao_Paulo", at(0), "Mar 10, 2025, 10:45:00 GMT-03:00 (13:45:00 UTC)"),
        # Past midnight in UTC but not in São Paulo: the UTC date is named.
        (
            "America/Sao_Paulo",
            at(11 * 60),
            "Mar 10, 2025, 21:45:00 GMT-03:00 (Mar 11, 2025, 00:45:00 UTC)",
        ),
        ("Europe/London", at(0), "Mar 10, 2025, 13:45:00 GMT (13:45:00 UTC)"),
        ("America/Sao_Paulo", None, "-"),
    ],
)
def test_report_times_are_in_the_organisations_zone_with_utc_beside(
    zone: str, moment: datetime | None, text: str
) -> None:
    assert format_time(moment, zone) == text


def test_the_report_is_in_the_organisations_zone_and_action_items_have_a_status() -> None:
    built = report(
        timezone="America/Sao_Paulo",
        action_items=[
            ActionItemRow(
                id=1,
                incident_id=7,
                text="Alert on disk",
                owner="bob",
                status="done",
                created_at=at(100),
                created_by="ops",
            )
        ],
    )
    assert built.timezone == "America/Sao_Paulo"
    assert [(a.owner, a.status) for a in built.action_items] == [("bob", "done")]
    text = to_markdown(built)
    assert "- Opened: Mar 10, 2025, 10:45:00 GMT-03:00 (13:45:00 UTC)" in text
    assert "| 1 | Alert on disk | bob | done |" in text
    page = to_html(built)
    assert "10:45:00 GMT-03:00 (13:45:00 UTC)" in page and "<td>done</td>" in page


@pytest.mark.parametrize(
    ("data", "started", "basis", "detect"),
    [
        ({"started_at": "2025-03-10T13:40:52.5Z"}, at(-4.125), "alert_starts_at", 247.5),
        ({"startsAt": at(-10).isoformat()}, at(-10), "alert_starts_at", 600),
        ({}, T0, "opened_at", 0),
        # A start after the opening says nothing about detection.
        ({"started_at": at(3).isoformat()}, T0, "opened_at", 0),
    ],
)
def test_time_to_detect_says_what_it_was_measured_from(
    data: dict[str, str], started: datetime, basis: str, detect: float
) -> None:
    built = report(timeline=[entry(0, "alert", "alertmanager firing", **data)])
    assert built.timings.outage_started_at == started
    assert built.timings.detect_basis == basis
    assert built.timings.time_to_detect_seconds == pytest.approx(detect)
    assert built.timings.time_to_resolve_seconds == 90 * 60
    assert built.timings.outage_duration_seconds == pytest.approx(90 * 60 + detect)


def test_time_to_first_message_per_audience_comes_from_sent_deliveries() -> None:
    built = report(
        deliveries=[
            delivery(1, audience="management", sent=0.5),
            delivery(2, audience="management", sent=0.25),
            delivery(3, audience="users", sent=2),
            delivery(4, audience="partners", state="failed"),
        ]
    )
    first = {f.audience: f.seconds_after_open for f in built.timings.first_message}
    assert first == {"management": 15, "partners": None, "users": 120}
    assert built.summary.audiences_told == ["management", "users"]


# --- deliveries -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "fallback"),
    [
        (delivery(1, routes=("sms", "slack"), channel="slack"), 1),
        (delivery(1, routes=("sms", "slack"), channel="sms"), 0),
        (delivery(1, routes=("slack", "sms"), channel="slack"), 0),
        # Tried the second route too and failed there: the fallback was still used.
        (delivery(1, routes=("sms", "slack"), channel="slack", state="failed"), 1),
        # Never attempted (superseded before sending): no channel, no fallback.
        (delivery(1, state="superseded", channel=""), 0),
        (delivery(1, routes=("fallback",), channel="fallback", kind="broadcast"), 0),
    ],
)
def test_fallback_used_means_the_final_channel_is_not_the_first_route(
    row: DeliveryRow, fallback: int
) -> None:
    built = report(deliveries=[row])
    assert built.delivery_totals.fallback_used == fallback
    assert [d.fallback_used for d in built.deliveries] == [fallback]


@pytest.mark.parametrize(
    ("rows", "unreached"),
    [
        ([delivery(1, key="a", state="failed"), delivery(2, key="a", state="failed")], ["a"]),
        ([delivery(1, key="a", state="failed"), delivery(2, key="a", state="sent")], []),
        ([delivery(1, key="a", state="failed"), delivery(2, key="a", state="delivered")], []),
        ([delivery(1, key="a", state="failed"), delivery(2, key="a", state="superseded")], ["a"]),
        ([delivery(1, key="a", state="superseded")], []),
        ([delivery(1, key="room", state="failed", kind="broadcast")], []),
        ([delivery(1, key="a", state="failed"), delivery(2, key="b", state="sent")], ["a"]),
    ],
)
def test_unreached_contacts_are_those_with_failures_and_no_message_sent(
    rows: list[DeliveryRow], unreached: list[str]
) -> None:
    built = report(deliveries=rows)
    assert [u.recipient for u in built.unreached] == unreached
    for person in built.unreached:
        assert person.last_error == "21211 invalid number"


def test_delivery_figures_per_audience_and_channel_add_up_to_the_rows() -> None:
    rows = [
        delivery(1, audience="users", channel="sms", sent=1),
        delivery(2, audience="users", channel="slack", sent=1.5),
        delivery(3, audience="users", state="delivered", channel="sms", sent=1.2),
        delivery(4, audience="users", state="failed", channel="slack"),
        delivery(5, audience="management", state="superseded", channel=""),
        delivery(6, audience="management", state="planned", channel=""),
        delivery(7, audience="management", state="undelivered", channel="sms"),
        delivery(8, audience="everyone", routes=("fallback",), kind="broadcast", sent=0.1),
    ]
    attempts = [
        AttemptRow(
            id=1, delivery_id=2, channel="sms", address="x", started_at=T0, outcome="permanent"
        ),
        AttemptRow(
            id=2, delivery_id=2, channel="slack", address="y", started_at=T0, outcome="sent"
        ),
    ]
    built = report(deliveries=rows, attempts=attempts)
    figures = {
        (f.audience, f.channel): (
            f.total,
            f.sent,
            f.delivered,
            f.failed,
            f.undelivered,
            f.superseded,
            f.pending,
            f.fallback_used,
        )
        for f in built.deliveries
    }
    assert figures == {
        ("everyone", "fallback"): (1, 1, 0, 0, 0, 0, 0, 0),
        ("management", "-"): (2, 0, 0, 0, 0, 1, 1, 0),
        ("management", "sms"): (1, 0, 0, 0, 1, 0, 0, 0),
        ("users", "slack"): (2, 1, 0, 1, 0, 0, 0, 2),
        ("users", "sms"): (2, 2, 1, 0, 0, 0, 0, 0),
    }
    totals = built.delivery_totals
    assert (totals.total, totals.sent, totals.fallback_used) == (8, 4, 2)
    reach = {r.audience: (r.contacts, r.broadcasts, r.messages) for r in built.summary.recipients}
    assert reach == {"everyone": (0, 1, 1), "management": (3, 0, 3), "users": (4, 0, 4)}
    assert [(a.channel, a.outcome, a.count) for a in built.attempts] == [
        ("slack", "sent", 1),
        ("sms", "permanent", 1),
    ]
    curves = {c.channel: [(p.at, p.count) for p in c.points] for c in built.send_curves}
    assert curves == {
        "fallback": [(at(0.1).replace(microsecond=0), 1)],
        "slack": [(at(1.5), 1)],
        "sms": [(at(1), 1), (at(1.2), 2)],
    }


# --- ETA accuracy -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("eta", "resolved", "outcome", "error"),
    [
        (60, 90, "late", 1800),
        (120, 90, "early", -1800),
        (88, 90, "on_time", 120),
        (93, 90, "on_time", -180),
        (None, 90, "cleared", None),
        (100, None, "overrun", 1200),  # still open at now = 120 min
        (150, None, "open", None),
    ],
)
def test_eta_accuracy_against_the_resolution(
    eta: float | None, resolved: float | None, outcome: str, error: float | None
) -> None:
    built = report(
        incident=incident(resolved_at=at(resolved) if resolved is not None else None),
        eta_history=[eta_row(1, 10, eta)],
    )
    assert built.eta_source == "eta_history"
    assert [(e.outcome, e.error_seconds) for e in built.etas] == [(outcome, error)]


def test_without_eta_history_the_etas_announced_in_updates_are_judged() -> None:
    built = report(
        updates=[
            update(1, 0, kind="opened"),
            update(2, 10, kind="eta_changed", eta=at(60)),
            update(3, 20, eta=at(60)),
            update(4, 30, kind="eta_changed", eta=at(100)),
            update(5, 90, kind="resolved", eta=at(100)),
        ]
    )
    assert built.eta_source == "updates"
    assert [(e.set_at, e.outcome, e.error_seconds) for e in built.etas] == [
        (at(10), "late", 1800),
        (at(30), "early", -600),
    ]


# --- update cadence ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("updates", "resolved", "gaps"),
    [
        (
            [
                update(1, 0, kind="opened"),
                update(2, 20),
                update(3, 65),
                update(4, 90, kind="resolved"),
            ],
            90,
            [(1, 2, 1200, False, 0), (2, 3, 2700, True, 900), (3, 4, 1500, False, 0)],
        ),
        (
            # Major promises an hour; reminders to the lead are not stakeholder updates.
            [
                update(1, 0, kind="opened", severity="major"),
                update(2, 50, recipients=["alice"]),
                update(3, 70, severity="major"),
            ],
            None,
            [(1, 3, 4200, True, 600), (3, None, 3000, False, 0)],
        ),
    ],
)
def test_update_gaps_are_flagged_when_over_the_promised_cadence(
    updates: list[UpdateRow],
    resolved: float | None,
    gaps: list[tuple[int, int | None, float, bool, float]],
) -> None:
    built = report(
        incident=incident(resolved_at=at(resolved) if resolved is not None else None),
        updates=updates,
    )
    assert [
        (g.from_update, g.to_update, g.seconds, g.overdue, g.over_seconds)
        for g in built.update_gaps
    ] == gaps
    assert [g.ongoing for g in built.update_gaps] == [g[1] is None for g in gaps]


# --- analysis and rendering -------------------------------------------------------------------


def full_report(title: str = "Email is down") -> Report:
    return report(
        incident=incident(title=title, root_cause=f"Relay disk full {HOSTILE}"),
        timeline=[
            entry(0, "alert", "alertmanager firing: outbound"),
            entry(0, "transition", "opened as detected"),
            entry(0, "update", "opened", update_id=1),
            entry(30, "finding", f"Queue is stuck {HOSTILE}"),
            entry(35, "note", "called the vendor"),
            entry(36, "note", "vendor called back"),
            entry(40, "transition", "detected → fixing"),
            entry(50, "reminder", "update overdue", update_id=2),
            entry(50, "update", "update: reminder", update_id=2),
            entry(90, "transition", "fixing → resolved"),
        ],
        updates=[
            update(1, 0, kind="opened", phase="detected"),
            update(2, 50, recipients=["alice"]),
            update(3, 90, kind="resolved", phase="resolved"),
        ],
        deliveries=[
            delivery(1, audience="users", sent=0.5),
            delivery(2, audience="users", channel="slack", sent=1),
            delivery(3, audience="management", state="failed"),
        ],
        eta_history=[eta_row(1, 10, 60)],
        action_items=[
            ActionItemRow(
                id=1,
                incident_id=7,
                text=f"Alert on disk {HOSTILE}",
                owner="bob",
                created_at=at(100),
                created_by="ops",
            )
        ],
        probes=[
            ProbeRow(id=1, at=at(80), ok=False, stage="imap", error="timeout", total_seconds=30),
            ProbeRow(id=2, at=at(85), ok=True, stage="done", error="", total_seconds=2),
        ],
        # What store.coverage counts from the same rows (tests/store/test_coverage.py).
        coverage=[
            AudienceCoverage(
                audience="management",
                recipients=1,
                sent=0,
                delivered=0,
                acknowledged=0,
                ack_required=1,
                unreached=(f"Person 3 {HOSTILE}",),
                deadline=DeadlineCoverage(minutes=10.0, met=0, missed=1, pending=0),
                broadcasts=0,
                broadcasts_sent=0,
            ),
            AudienceCoverage(
                audience="users",
                recipients=2,
                sent=2,
                delivered=0,
                acknowledged=1,
                ack_required=0,
                unreached=(),
                deadline=None,
                broadcasts=1,
                broadcasts_sent=1,
            ),
        ],
    )


def test_findings_notes_root_cause_action_items_and_visibility() -> None:
    built = full_report()
    assert [f.text for f in built.findings] == [f"Queue is stuck {HOSTILE}"]
    assert built.notes_count == 2
    assert built.root_cause.startswith("Relay disk full")
    assert [(a.text.split()[0], a.owner) for a in built.action_items] == [("Alert", "bob")]
    public = [(t.kind, t.text) for t in built.timeline if t.public]
    # The reminder's update went to the lead only: internal.
    assert public == [("update", "opened")]
    assert (built.probes.total, built.probes.passed, built.probes.last_ok) == (2, 1, True)


def test_markdown_has_every_section_and_escapes_untrusted_text() -> None:
    text = to_markdown(full_report(title=f"Mail down {HOSTILE}"))
    headings = re.findall(r"^## (.+)$", text, flags=re.MULTILINE)
    assert headings == [
        "Summary",
        "Impact",
        "Timings",
        "Phases",
        "Timeline",
        "Deliveries",
        "Coverage",
        "ETA accuracy",
        "Update cadence",
        "Findings",
        "Root cause",
        "Action items",
        "Mail probes",
    ]
    # Every "<" is backslash-escaped: a Markdown viewer shows it as text, never as a tag.
    assert re.search(r"(?<!\\)<", text) is None
    assert "\\<img src=x" in text
    assert text.startswith("# Post-incident report: Mail down \\<script\\>")
    assert "late by 30m 00s" in text
    assert "| detected | 40m 00s | 1 |" in text
    assert "Unreached contacts: 1" in text


def test_html_is_one_page_with_two_charts_and_no_unescaped_hostile_text() -> None:
    page = to_html(full_report(title=f"Mail down {HOSTILE}"))
    assert page.startswith("<!doctype html>")
    assert page.count("<svg") == 2
    assert "<script" not in page and "<img" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    # The timeline chart draws one band per phase and one marker per update.
    timeline_svg = page[page.index("<svg") : page.index("</svg>")]
    assert timeline_svg.count("<rect") == 2 + 2  # two bands, two legend swatches
    assert timeline_svg.count("<circle") == 2  # the reminder to the lead is not drawn


def test_coverage_shows_every_figure_per_audience_and_who_to_call() -> None:
    built = full_report()
    assert [(c.audience, c.recipients, c.unreached) for c in built.coverage] == [
        ("management", 1, [f"Person 3 {HOSTILE}"]),
        ("users", 2, []),
    ]
    assert built.coverage[0].deadline is not None and built.coverage[0].deadline.missed == 1
    text = to_markdown(built)
    section = text[text.index("## Coverage") : text.index("## ETA accuracy")]
    assert "| management | 1 | 0 | 0 | 1 | 0 | 10 min | 0 | 1 | 0 | 1 | 0 | 0 |" in section
    assert "| users | 2 | 2 | 0 | 0 | 1 | - | - | - | - | 0 | 1 | 1 |" in section
    assert "Unreached - call them: 1" in section
    assert "- Person 3 \\<script\\>" in section
    page = to_html(built)
    section = page[page.index("<h2>Coverage</h2>") : page.index("<h2>ETA accuracy</h2>")]
    assert "<td>10 min</td>" in section
    assert "Unreached - call them: 1" in section
    assert "<li>Person 3 &lt;script&gt;" in section
    assert "Unreached - call them: none" in to_markdown(report())


def test_html_draws_an_empty_delivery_chart_when_nothing_was_sent() -> None:
    page = to_html(report())
    assert page.count("<svg") == 2
    assert "No message was sent." in page


def test_json_is_the_model_dump_and_round_trips() -> None:
    built = full_report()
    data = to_json(built)
    assert data["summary"]["title"] == "Email is down"
    assert data["delivery_totals"]["fallback_used"] == 1
    assert Report.model_validate(data) == built
