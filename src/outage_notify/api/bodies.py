"""Response bodies of the incident API built from stored rows (an incident through its
mapper, `store.mappers`). Named for what it returns; it was `views.py`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from outage_notify.actions.staff import ActionResult
from outage_notify.api.listing_schemas import AttemptOut, DeliveryCount, DeliveryOut
from outage_notify.api.schemas import (
    IncidentDetail,
    IncidentOut,
    RevisionOut,
    StaffActionOut,
    TimelineEntryOut,
    TruncationOut,
    UpdateOut,
)
from outage_notify.core.models import DeliveryState
from outage_notify.report.coverage import AudienceCoverage
from outage_notify.report.deliveries import coverage_figures
from outage_notify.store.mappers import incident_state
from outage_notify.store.tables import (
    AttemptRow,
    DeliveryRow,
    IncidentRevisionRow,
    IncidentRow,
    TimelineRow,
    UpdateRow,
)


def incident(row: IncidentRow) -> IncidentOut:
    state = incident_state(row)
    return IncidentOut(
        id=row.id,
        service=state.service,
        title=state.title,
        public_title=row.public_title,
        summary=state.summary,
        severity=state.severity,
        phase=state.phase,
        components=state.components,
        eta=state.eta,
        next_update_at=state.next_update_at,
        opened_at=state.opened_at,
        resolved_at=state.resolved_at,
        retracted_at=state.retracted_at,
        notified_audiences=sorted(state.notified_audiences),
        lead=state.lead,
        root_cause=row.root_cause,
        verify_passes=state.verify_passes,
        cause_category=state.cause_category,
        security_since=state.security_since,
    )


def staff_action(result: ActionResult, truncated: Sequence[TruncationOut] = ()) -> StaffActionOut:
    return StaffActionOut(
        incident=incident(result.incident),
        update_id=result.update_id,
        queued=result.queued,
        truncated=list(truncated),
    )


def incident_detail(
    row: IncidentRow,
    timeline: Sequence[TimelineRow],
    updates: Sequence[UpdateRow],
    coverage: Sequence[AudienceCoverage],
    revisions: Sequence[IncidentRevisionRow] = (),
) -> IncidentDetail:
    return IncidentDetail(
        **incident(row).model_dump(),
        coverage=coverage_figures(coverage),
        revisions=[
            RevisionOut(at=r.at, actor=r.actor, field=r.field, old=r.old, new=r.new)
            for r in revisions
        ],
        timeline=[
            TimelineEntryOut(at=t.at, actor=t.actor, kind=t.kind, text=t.text) for t in timeline
        ],
        updates=[
            UpdateOut(
                id=u.id,
                kind=u.kind,
                message=u.message,
                phase=u.phase,
                eta=u.eta,
                created_at=u.created_at,
                created_by=u.created_by,
                planned=u.planned_at is not None,
                public=u.public,
                config_hash=u.config_hash,
            )
            for u in updates
        ],
    )


def deliveries(rows: Sequence[DeliveryRow], attempts: Sequence[AttemptRow]) -> list[DeliveryOut]:
    by_delivery: defaultdict[int, list[AttemptOut]] = defaultdict(list)
    for a in attempts:
        by_delivery[a.delivery_id].append(
            AttemptOut(
                channel=a.channel,
                address=a.address,
                started_at=a.started_at,
                outcome=a.outcome,
                provider_id=a.provider_id,
                error_code=a.error_code,
                error_text=a.error_text,
            )
        )
    return [
        DeliveryOut(
            id=r.id,
            update_id=r.update_id,
            audience=r.audience,
            recipient=r.recipient_key,
            recipient_name=r.recipient_name,
            channel=r.channel or r.routes[r.route_index]["channel"],
            state=DeliveryState(r.state),
            provider_id=r.provider_id,
            error=r.error,
            sent_at=r.sent_at,
            ack_required=r.ack_required,
            acked_at=r.acked_at,
            acked_via=r.acked_via,
            acked_by=r.acked_by,
            unreached_at=r.unreached_at,
            attempts=by_delivery[r.id],
        )
        for r in rows
    ]


def counts(rows: Sequence[tuple[str, str, str, int]]) -> list[DeliveryCount]:
    return [
        DeliveryCount(audience=a, channel=c or "-", state=DeliveryState(s), count=n)
        for a, c, s, n in rows
    ]
