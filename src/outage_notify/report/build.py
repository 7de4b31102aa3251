"""The post-incident report (SOP step 6): rows in, a typed `Report` out (pure).

Every figure is computed from the rows passed in; nothing is estimated. Delivery figures live in
`report_deliveries`, the model in `report_model`; `report_render` and `report_html` render it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime

from outage_notify.core.models import Severity, UpdateKind
from outage_notify.core.records import (
    ActionItemRecord,
    AttemptRecord,
    DeliveryRecord,
    EtaRecord,
    IncidentRecord,
    PhaseTransitionRecord,
    ProbeRecord,
    TimelineRecord,
    UpdateRecord,
)
from outage_notify.report import deliveries as figures
from outage_notify.report.coverage import AudienceCoverage
from outage_notify.report.eta import eta_accuracy
from outage_notify.report.model import (
    ActionItem,
    PhaseDuration,
    PhaseSpan,
    ProbeFailure,
    ProbeSummary,
    Report,
    Summary,
    TimelineItem,
    Timings,
    UpdateGap,
    UpdateItem,
)
from outage_notify.report.security import cause_summary, security_section
from outage_notify.report.timeline import (
    WORKING_PHASES,
    detection_start,
    phase_changes,
    phase_spans,
)

# Timeline kinds stakeholders saw; everything else (alerts, notes, findings...) is internal.
PUBLIC_KINDS = frozenset({"update"})
DEFAULT_CADENCE_MINUTES = 60


def build_report(
    *,
    incident: IncidentRecord,
    timeline: Sequence[TimelineRecord],
    updates: Sequence[UpdateRecord],
    deliveries: Sequence[DeliveryRecord],
    attempts: Sequence[AttemptRecord],
    eta_history: Sequence[EtaRecord],
    action_items: Sequence[ActionItemRecord],
    probes: Sequence[ProbeRecord],
    now: datetime,
    cadence_minutes: Mapping[Severity, int],
    coverage: Sequence[AudienceCoverage] = (),
    transitions: Sequence[PhaseTransitionRecord] = (),
    alert_starts: Sequence[datetime] = (),
    timezone: str = "UTC",
    locale: str = "en",
) -> Report:
    """The post-incident report of one incident, from its stored rows.

    `coverage` is what `store.coverage` counted in the database for the same `now`, so the
    report and the incident API show one set of numbers. `transitions` are the incident's
    phase changes and `alert_starts` when its alerts say their problems began.
    """
    entries = sorted(timeline, key=lambda t: (t.at, t.id or 0))
    ordered_updates = sorted(updates, key=lambda u: (u.created_at, u.id or 0))
    reminders = frozenset(u.id for u in updates if u.recipients)
    changes, phase_basis = phase_changes(entries, ordered_updates, transitions)
    spans = phase_spans(changes, now=now)
    by_channel, totals = figures.delivery_figures(deliveries)
    reach = figures.reach(deliveries)
    eta_source, etas = eta_accuracy(
        eta_history, ordered_updates, resolved_at=incident.resolved_at, now=now
    )
    return Report(
        generated_at=now,
        timezone=timezone,
        locale=locale,
        summary=Summary(
            incident_id=incident.id,
            title=incident.title,
            summary=incident.summary or "",
            service=incident.service,
            severity=incident.severity,
            # A retraction is what a reader of the report must see first.
            phase="retracted" if incident.retracted_at else incident.phase,
            components=list(incident.components or []),
            lead=incident.lead or "",
            opened_at=incident.opened_at,
            resolved_at=incident.resolved_at,
            retracted_at=incident.retracted_at,
            audiences_told=sorted(
                {d.audience for d in deliveries if d.state in figures.SENT_STATES}
            ),
            recipients=reach,
            total_contacts=len(
                {d.recipient_key for d in deliveries if d.recipient_kind != "broadcast"}
            ),
            total_messages=len(deliveries),
        ),
        timings=_timings(incident, entries, deliveries, alert_starts),
        phase_basis=phase_basis,
        phases=spans,
        phase_durations=_durations(spans),
        timeline=[_item(t, reminders) for t in entries],
        updates=_updates(ordered_updates, deliveries),
        cadence_minutes={str(s): m for s, m in cadence_minutes.items()},
        update_gaps=update_gaps(
            ordered_updates, cadence_minutes=cadence_minutes, incident=incident, now=now
        ),
        deliveries=by_channel,
        delivery_totals=totals,
        unreached=figures.unreached(deliveries),
        coverage=figures.coverage_figures(coverage),
        attempts=figures.attempt_figures(attempts),
        send_curves=figures.send_curves(deliveries),
        eta_source=eta_source,
        etas=etas,
        findings=[_item(t) for t in entries if t.kind == "finding"],
        notes_count=sum(1 for t in entries if t.kind == "note"),
        cause=cause_summary(incident),
        security=security_section(incident, entries),
        root_cause=incident.root_cause or "",
        action_items=[
            ActionItem(
                text=a.text,
                owner=a.owner,
                status="done" if a.status == "done" else "open",
                created_at=a.created_at,
                created_by=a.created_by,
            )
            for a in sorted(action_items, key=lambda a: (a.created_at, a.id or 0))
        ],
        probes=_probes(probes),
    )


def _item(entry: TimelineRecord, private_updates: frozenset[int] = frozenset()) -> TimelineItem:
    public = entry.kind in PUBLIC_KINDS
    if public and (entry.data or {}).get("update_id") in private_updates:
        public = False  # a reminder to the incident lead, not a stakeholder message
    return TimelineItem(
        at=entry.at, actor=entry.actor, kind=entry.kind, text=entry.text or "", public=public
    )


def _timings(
    incident: IncidentRecord,
    entries: Sequence[TimelineRecord],
    deliveries: Sequence[DeliveryRecord],
    alert_starts: Sequence[datetime],
) -> Timings:
    started_at, basis = detection_start(
        entries, opened_at=incident.opened_at, alert_starts=alert_starts
    )
    resolved = incident.resolved_at
    return Timings(
        outage_started_at=started_at,
        detect_basis=basis,
        time_to_detect_seconds=(incident.opened_at - started_at).total_seconds(),
        time_to_resolve_seconds=(resolved - incident.opened_at).total_seconds()
        if resolved
        else None,
        outage_duration_seconds=(resolved - started_at).total_seconds() if resolved else None,
        first_message=figures.first_messages(deliveries, incident.opened_at),
    )


def _durations(spans: Sequence[PhaseSpan]) -> list[PhaseDuration]:
    seconds: defaultdict[str, float] = defaultdict(float)
    visits: Counter[str] = Counter()
    for span in spans:
        seconds[span.phase] += span.seconds
        visits[span.phase] += 1
    return [
        PhaseDuration(phase=p.value, seconds=seconds[p.value], visits=visits[p.value])
        for p in WORKING_PHASES
    ]


def _updates(
    updates: Sequence[UpdateRecord], deliveries: Sequence[DeliveryRecord]
) -> list[UpdateItem]:
    total = Counter(d.update_id for d in deliveries)
    sent = Counter(d.update_id for d in deliveries if d.state in figures.SENT_STATES)
    return [
        UpdateItem(
            id=u.id,
            kind=u.kind,
            phase=u.phase,
            created_at=u.created_at,
            created_by=u.created_by,
            message=u.message or "",
            eta=u.eta,
            deliveries=total[u.id],
            sent=sent[u.id],
            reminder=bool(u.recipients),
        )
        for u in updates
    ]


def update_gaps(
    updates: Sequence[UpdateRecord],
    *,
    cadence_minutes: Mapping[Severity, int],
    incident: IncidentRecord,
    now: datetime,
) -> list[UpdateGap]:
    """Gaps between consecutive stakeholder updates against the cadence their severity promised."""
    # Updates sent to named contacts (reminders to the lead) are not stakeholder updates.
    told = [u for u in updates if not u.recipients]
    cadence = {str(severity): minutes for severity, minutes in cadence_minutes.items()}
    gaps = []
    for index, earlier in enumerate(told):
        if earlier.kind in (UpdateKind.RESOLVED.value, UpdateKind.RETRACTED.value):
            continue  # nothing is promised after "it's fixed" or "it was a mistake"
        later = told[index + 1] if index + 1 < len(told) else None
        if later is None and incident.resolved_at is not None:
            continue
        end = later.created_at if later is not None else now
        promised = 60.0 * cadence.get(earlier.severity, DEFAULT_CADENCE_MINUTES)
        seconds = (end - earlier.created_at).total_seconds()
        gaps.append(
            UpdateGap(
                from_update=earlier.id,
                to_update=later.id if later is not None else None,
                start=earlier.created_at,
                end=end,
                seconds=seconds,
                promised_seconds=promised,
                over_seconds=max(0.0, seconds - promised),
                overdue=seconds > promised,
                ongoing=later is None,
            )
        )
    return gaps


def _probes(probes: Sequence[ProbeRecord]) -> ProbeSummary:
    ordered = sorted(probes, key=lambda p: (p.at, p.id or 0))
    passed = sum(1 for p in ordered if p.ok)
    return ProbeSummary(
        total=len(ordered),
        passed=passed,
        failed=len(ordered) - passed,
        last_at=ordered[-1].at if ordered else None,
        last_ok=ordered[-1].ok if ordered else None,
        failures=[ProbeFailure(at=p.at, stage=p.stage, error=p.error) for p in ordered if not p.ok],
    )
