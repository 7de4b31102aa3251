"""The units of work behind the tasks: load, call the pure core, save. Each is idempotent.

A task that runs twice (redelivery after a crash, the sweeper) finds its work done or claimed
and does nothing more: events carry `processed_at`, updates `planned_at`, deliveries a state.
"""

from __future__ import annotations

import logging
import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from outage_notify import lifecycle
from outage_notify.delivery import Job, Outcome, next_step, send_jobs
from outage_notify.models import (
    AlertEvent,
    ChannelName,
    DeliveryState,
    Phase,
    RenderedMessage,
    Severity,
    UpdateKind,
)
from outage_notify.planning import (
    STAFF,
    WHOLE,
    AudiencePlan,
    Renderings,
    asks_acknowledgement,
    find_contact,
    iter_deliveries,
    notified_after,
    plan_audiences,
)
from outage_notify.rendering import IncidentView, MessageContext
from outage_notify.store import acknowledgements as ack_store
from outage_notify.store import deliveries as delivery_store
from outage_notify.store import incidents as incident_store
from outage_notify.store.engine import transaction
from outage_notify.store.tables import EventRow, IncidentRow, TimelineRow, UpdateRow
from outage_notify.worker.outbound import outbound_message, route_channel, sms_held
from outage_notify.worker.outcome_writes import write_outcomes
from outage_notify.worker.runtime import WorkerRuntime

log = logging.getLogger(__name__)
_rng = random.Random()


@dataclass
class FollowUp:
    """Work a step hands back to be enqueued: delivery batches, now or after a delay."""

    now: list[int] = field(default_factory=list)
    later: dict[int, list[int]] = field(default_factory=dict)  # countdown seconds → ids


def process_event(runtime: WorkerRuntime, event_id: int) -> list[int]:
    """Apply pending events of the event's service, in order; return updates to plan."""
    now = datetime.now(UTC)
    cadence = runtime.settings.update_cadence_minutes
    update_ids: list[int] = []
    with transaction(runtime.sessions) as session:
        event = session.get(EventRow, event_id)
        if event is None or event.processed_at is not None:
            return []
        incident_store.lock_service(session, event.service)
        for pending in incident_store.pending_events(
            session, service=event.service, up_to=event_id
        ):
            alert = AlertEvent.model_validate(pending.payload)
            row = incident_store.latest_incident(session, pending.service)
            state = incident_store.to_state(row) if row is not None else None
            decision = lifecycle.apply_alert(
                state,
                alert,
                now=now,
                cadence_minutes=cadence,
                hold_down=timedelta(minutes=runtime.settings.hold_down_minutes),
                verify=bool(runtime.settings.verification),
            )
            if decision.incident is not None and decision.incident.id is None:
                decision.incident.lead = runtime.settings.default_lead
            saved, update = incident_store.save_decision(
                session, decision, row=row, now=now, actor=pending.source
            )
            pending.processed_at = now
            pending.incident_id = saved.id if saved is not None else None
            log.info(
                "event %s (%s) applied: incident %s %s%s",
                pending.id,
                pending.source,
                pending.incident_id,
                saved.phase if saved is not None else "none",
                f", update {update.id} {update.kind}" if update is not None else "",
                extra={"event_id": pending.id, "incident_id": pending.incident_id},
            )
            if update is not None:
                update_ids.append(update.id)
    return update_ids


# Kinds a manager must never wait for behind a large fan-out.
URGENT_KINDS = frozenset({UpdateKind.OPENED, UpdateKind.RESOLVED, UpdateKind.REOPENED})


@dataclass
class Planned:
    """The new deliveries of an update: for the urgent lane, and for everyone else."""

    urgent: list[int] = field(default_factory=list)
    rest: list[int] = field(default_factory=list)


def plan_update(runtime: WorkerRuntime, update_id: int) -> Planned:
    """Write one delivery per recipient of an update (once); return the delivery ids."""
    now = datetime.now(UTC)
    directory = runtime.directory
    with transaction(runtime.sessions) as session:
        update = session.get(UpdateRow, update_id, with_for_update=True)
        if update is None or update.planned_at is not None:
            return Planned()
        incident = incident_store.get_incident(session, update.incident_id, for_update=True)
        assert incident is not None
        staff = [c for i in update.recipients or [] if (c := find_contact(directory, i))]
        if update.recipients is not None:
            plans = [AudiencePlan(STAFF, UpdateKind(update.kind), WHOLE)] if staff else []
        else:
            plans = plan_audiences(
                kind=UpdateKind(update.kind),
                explicit=update.audiences,
                severity=Severity(update.severity),
                components=update.components,
                notified=incident.notified_audiences,
                directory=directory,
                everyone=bool(runtime.settings.fallback.urls),
            )
        renderings = Renderings(_renderer_for(runtime, incident, update))
        ids = delivery_store.insert_deliveries(
            session,
            iter_deliveries(
                plans,
                directory=directory,
                renderings=renderings,
                everyone_urls=tuple(runtime.settings.fallback.urls),
                everyone_locale=runtime.settings.default_locale,
                staff=staff,
            ),
            update_id=update.id,
            incident_id=incident.id,
            now=now,
        )
        delivery_store.insert_messages(session, renderings.messages, update_id=update.id)
        if update.recipients is None:
            incident.notified_audiences = notified_after(incident.notified_audiences, plans)
        # When planning finished (it can take seconds for a large audience), not when it began.
        update.planned_at = datetime.now(UTC)
        session.add(
            TimelineRow(
                incident_id=incident.id,
                at=now,
                actor="planner",
                kind="planned",
                text=f"{update.kind}: {len(ids)} deliveries to "
                + ", ".join(f"{p.audience} ({p.kind})" for p in plans),
                data={
                    "update_id": update.id,
                    "deliveries": len(ids),
                    "audiences": {p.audience: p.kind.value for p in plans},
                    # The task's start to the last row written; the commit follows.
                    "planning_seconds": round((update.planned_at - now).total_seconds(), 3),
                },
            )
        )
        lane = {
            p.audience
            for p in plans
            if p.kind in URGENT_KINDS and p.audience in runtime.settings.urgent_audiences
        }
        urgent = set(delivery_store.ids_in_audiences(session, update_id=update.id, audiences=lane))
    log.info(
        "update %s planned: %s deliveries (%s urgent)",
        update_id,
        len(ids),
        len(urgent),
        extra={"update_id": update_id, "incident_id": incident.id},
    )
    return Planned(urgent=[i for i in ids if i in urgent], rest=[i for i in ids if i not in urgent])


def _renderer_for(runtime: WorkerRuntime, incident: IncidentRow, update: UpdateRow):  # type: ignore[no-untyped-def]
    settings = runtime.settings
    view = IncidentView(
        id=incident.id,
        title=incident.title,
        summary=incident.summary,
        severity=Severity(update.severity),
        phase=Phase(update.phase),
        components=tuple(update.components),
        opened_at=incident.opened_at,
        eta=update.eta,
        next_update_at=update.next_update_at,
        resolved_at=incident.resolved_at,
    )

    def render(
        audience: str, kind: UpdateKind, channel: ChannelName, locale: str
    ) -> RenderedMessage:
        context = MessageContext(
            kind=kind,
            audience=audience,
            locale=locale,
            incident=view,
            message=update.message,
            alternatives=tuple(settings.alternatives),
            organisation=settings.organisation_name,
            status_page_url=settings.status_page_url,
            timezone=settings.timezone,
            acknowledge=asks_acknowledgement(runtime.directory.routing, audience, kind),
        )
        return runtime.renderer.render(channel=channel, context=context)

    return render


def dispatch(runtime: WorkerRuntime, delivery_ids: list[int]) -> FollowUp:
    """Claim, send and record a batch of deliveries; hand back retries and fallbacks."""
    policy = runtime.settings.delivery
    now = datetime.now(UTC)
    with transaction(runtime.sessions) as session:
        claimed, unknown = delivery_store.claim(session, delivery_ids, now=now)
        messages = delivery_store.messages_for(session, claimed)
        stopped = ack_store.opted_out(
            session,
            (
                r.routes[r.route_index]["address"]
                for r in claimed
                if route_channel(r) is ChannelName.SMS
            ),
        )
        sms_sent: dict[tuple[int, str], int] = {}
        exempt: set[int] = set()
        if policy.sms_budget_per_hour:
            exempt = delivery_store.phase_change_updates(session, claimed)
            # Only SMS of updates that do not change the phase count against the budget; an
            # `opened` or `resolved` fan-out to 100,000 people never needs the lookup.
            budgeted = [
                r
                for r in claimed
                if r.update_id not in exempt and route_channel(r) is ChannelName.SMS
            ]
            sms_sent = delivery_store.sms_sent_since(
                session, budgeted, since=now - timedelta(hours=1)
            )
    if not claimed:
        return FollowUp()
    jobs = []
    not_sent: list[Outcome] = []
    for row in claimed:
        route = row.routes[row.route_index]
        if route["channel"] == ChannelName.SMS:
            sent_lately = sms_sent.get((row.incident_id, row.recipient_key), 0)
            held = sms_held(
                row, stopped=stopped, sent_lately=sent_lately, exempt=exempt, policy=policy, now=now
            )
            if held is not None:
                not_sent.append(held)
                continue
        message = messages[(row.update_id, row.audience, route["channel"], row.locale)]
        jobs.append(
            Job(
                delivery_id=row.id,
                channel=ChannelName(route["channel"]),
                message=outbound_message(runtime.renderer, row, message),
                reconcile_since=row.created_at if row.id in unknown else None,
            )
        )
    outcomes: list[Outcome] = not_sent + runtime.run_io(
        send_jobs(
            jobs, runtime.channels(), concurrency=policy.concurrency, throttle=runtime.throttle()
        )
    )
    by_id = {row.id: row for row in claimed}
    finished = datetime.now(UTC)
    results = []
    follow_up = FollowUp()
    for outcome in outcomes:
        row = by_id[outcome.delivery_id]
        step = next_step(
            outcome=outcome,
            route_index=row.route_index,
            route_count=len(row.routes),
            attempts_on_route=row.attempts_on_route,
            route_started_at=row.route_started_at,
            unknown_since=row.unknown_since,
            policy=policy,
            reconcile_max_seconds=runtime.settings.reconcile_max_seconds,
            now=finished,
            rng=_rng,
        )
        results.append((outcome, step))
        log.info(
            "delivery %s: %s via %s%s -> %s",
            row.id,
            outcome.result,
            outcome.channel.value,
            f" ({outcome.error_code} {outcome.error_text})".rstrip() if outcome.error_code else "",
            step.state.value,
            extra={
                "incident_id": row.incident_id,
                "delivery_id": row.id,
                "update_id": row.update_id,
            },
        )
        if step.state == DeliveryState.PLANNED:
            if step.next_attempt_at is None:
                follow_up.now.append(row.id)
            else:
                delay = math.ceil((step.next_attempt_at - finished).total_seconds())
                follow_up.later.setdefault(max(delay, 1), []).append(row.id)
    write_outcomes(
        runtime.sessions, results, retry_seconds=runtime.settings.outcome_write_retry_seconds
    )
    return follow_up


@dataclass
class SweepResult:
    events: list[int] = field(default_factory=list)
    updates: list[int] = field(default_factory=list)
    deliveries: list[int] = field(default_factory=list)


def sweep(runtime: WorkerRuntime) -> SweepResult:
    """Find work whose task was lost (a Redis restart, a killed worker) and hand it back."""
    settings = runtime.settings
    now = datetime.now(UTC)
    older = timedelta(seconds=settings.sweep_stale_seconds)
    result = SweepResult()
    with transaction(runtime.sessions) as session:
        from sqlalchemy import select

        result.events = list(
            session.scalars(
                select(EventRow.id)
                .where(EventRow.processed_at.is_(None), EventRow.received_at < now - older)
                .order_by(EventRow.id)
                .limit(1000)
            )
        )
        result.updates = list(
            session.scalars(
                select(UpdateRow.id)
                .where(UpdateRow.planned_at.is_(None), UpdateRow.created_at < now - older)
                .order_by(UpdateRow.id)
                .limit(1000)
            )
        )
        rows = delivery_store.stale(session, now=now, older_than=older, limit=10_000)
        sending_timeout = timedelta(seconds=settings.sending_timeout_seconds)
        lost = [
            r.id
            for r in rows
            if r.state == DeliveryState.SENDING and r.updated_at < now - sending_timeout
        ]
        delivery_store.mark_unknown(session, lost, now=now)
        result.deliveries = [
            r.id for r in rows if r.state != DeliveryState.SENDING or r.id in set(lost)
        ]
    found = {
        "events": len(result.events),
        "updates": len(result.updates),
        "deliveries": len(result.deliveries),
    }
    if any(found.values()):
        log.warning("sweeper re-enqueues lost work: %s", found)
    return result
