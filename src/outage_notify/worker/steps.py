"""The units of work behind the tasks: load, call the pure core, save. Each is idempotent.

A task that runs twice (redelivery after a crash, the sweeper) finds its work done or claimed
and does nothing more: events carry `processed_at`, updates `planned_at`, deliveries a state.
"""

from __future__ import annotations

import logging
import math
import random
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from outage_notify.contacts.subscribers import with_subscribers
from outage_notify.core.models import (
    ChannelName,
    DeliveryState,
    UpdateKind,
)
from outage_notify.delivery.send import Job, Outcome, next_step, send_jobs
from outage_notify.incidents.update_messages import renderer_for, update_plans
from outage_notify.messages.planning import (
    STAFF,
    WHOLE,
    AudiencePlan,
    Renderings,
    find_contact,
    iter_deliveries,
    notified_after,
)
from outage_notify.store import acknowledgements as ack_store
from outage_notify.store import deliveries as delivery_store
from outage_notify.store import incidents as incident_store
from outage_notify.store import subscribers as subscriber_store
from outage_notify.store.engine import transaction
from outage_notify.store.tables import EventRow, UpdateRow
from outage_notify.worker import whatsapp_window
from outage_notify.worker.outbound import outbound_message, route_channel, sms_held
from outage_notify.worker.outcome_writes import write_outcomes
from outage_notify.worker.recipient_cap import apply_cap
from outage_notify.worker.rerender import current_messages, is_resend
from outage_notify.worker.runtime import WorkerRuntime

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement
    from sqlalchemy.orm import InstrumentedAttribute, Session

log = logging.getLogger(__name__)
_rng = random.Random()


@dataclass
class FollowUp:
    """Work a step hands back to be enqueued: delivery batches, now or after a delay."""

    now: list[int] = field(default_factory=list)
    later: dict[int, list[int]] = field(default_factory=dict)  # countdown seconds → ids


# Kinds a manager must never wait for behind a large fan-out.
URGENT_KINDS = frozenset(
    {UpdateKind.OPENED, UpdateKind.RESOLVED, UpdateKind.REOPENED, UpdateKind.RETRACTED}
)


@dataclass
class Planned:
    """The new deliveries of an update: for the urgent lane, and for everyone else."""

    urgent: list[int] = field(default_factory=list)
    rest: list[int] = field(default_factory=list)


def plan_update(runtime: WorkerRuntime, update_id: int) -> Planned:
    """Write one delivery per recipient of an update (once); return the delivery ids."""
    now = runtime.clock.now()
    # One snapshot for the whole plan: a reload meanwhile never mixes two versions.
    snapshot = runtime.snapshot()
    directory = snapshot.directory
    with transaction(runtime.sessions) as session:
        update = session.get(UpdateRow, update_id, with_for_update=True)
        if update is None or update.planned_at is not None:
            return Planned()
        incident = incident_store.get_incident(session, update.incident_id, for_update=True)
        assert incident is not None
        # Subscribers live in the database: those following the update's components join
        # the directory as the `subscribers` audience for this plan.
        directory = with_subscribers(
            directory, subscriber_store.following(session, update.components or ())
        )
        staff = [c for i in update.recipients or [] if (c := find_contact(directory, i))]
        if update.recipients is not None:
            plans = [AudiencePlan(STAFF, UpdateKind(update.kind), WHOLE)] if staff else []
        else:
            plans = update_plans(runtime.settings, directory, incident, update)
        renderings = Renderings(
            renderer_for(
                runtime.settings, directory, snapshot.renderer, snapshot.budgets, incident, update
            )
        )
        ids = delivery_store.insert_deliveries(
            session,
            iter_deliveries(
                plans,
                directory=directory,
                renderings=renderings,
                everyone_urls=tuple(runtime.settings.fallback.urls),
                everyone_locale=runtime.settings.default_locale,
                staff=staff,
                organisation_zone=runtime.settings.timezone,
            ),
            update_id=update.id,
            incident_id=incident.id,
            now=now,
        )
        delivery_store.insert_messages(session, renderings.messages, update_id=update.id)
        if update.recipients is None:
            incident.notified_audiences = notified_after(incident.notified_audiences, plans)
        # When planning finished (it can take seconds for a large audience), not when it began.
        update.planned_at = runtime.clock.now()
        update.config_hash = snapshot.hash
        incident_store.add_timeline(
            session,
            incident.id,
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


def dispatch(runtime: WorkerRuntime, delivery_ids: list[int]) -> FollowUp:
    """Claim, send and record a batch of deliveries; hand back retries and fallbacks."""
    policy = runtime.settings.delivery
    now = runtime.clock.now()
    owner = runtime.claimant()
    with transaction(runtime.sessions) as session:
        claimed, unknown = delivery_store.claim(session, delivery_ids, now=now, owner=owner)
        messages = delivery_store.messages_for(session, claimed)
        stopped = ack_store.opted_out(
            session,
            (
                r.routes[r.route_index]["address"]
                for r in claimed
                if route_channel(r) is ChannelName.SMS
            ),
        )
        # WhatsApp outside the 24-hour window: a Content Template instead of the body.
        closed = whatsapp_window.windows(session, whatsapp_window.whatsapp_rows(claimed), now=now)
        # Over the person's hourly cap: held in the database for a digest, not sent now.
        held = apply_cap(session, runtime, claimed, messages, now=now)
        # Only a first attempt sends the planned body; a re-send says what holds now.
        fresh = current_messages(
            session,
            runtime,
            [r for r in claimed if r.id not in held and is_resend(r, unknown=unknown)],
        )
    claimed = [row for row in claimed if row.id not in held]
    if not claimed:
        return FollowUp()
    jobs = []
    not_sent: list[Outcome] = []
    for row in claimed:
        route = row.routes[row.route_index]
        if route["channel"] == ChannelName.SMS:
            refused = sms_held(row, stopped=stopped, now=now)
            if refused is not None:
                not_sent.append(refused)
                continue
        message = (
            fresh.get(row.id)
            or messages[(row.update_id, row.audience, route["channel"], row.locale, row.timezone)]
        )
        outbound = outbound_message(runtime.renderer, row, message)
        if row.id in closed:
            templated = whatsapp_window.as_template(
                outbound,
                row,
                closed[row.id],
                templates_dir=runtime.settings.templates_dir,
                organisation=runtime.settings.organisation_name,
                now=now,
            )
            if isinstance(templated, Outcome):
                not_sent.append(templated)
                continue
            outbound = templated
        jobs.append(
            Job(
                delivery_id=row.id,
                channel=ChannelName(route["channel"]),
                message=outbound,
                reconcile_since=row.created_at if row.id in unknown else None,
            )
        )
    outcomes: list[Outcome] = not_sent + runtime.run_io(
        send_jobs(
            jobs,
            runtime.channels(),
            concurrency=policy.concurrency,
            throttle=runtime.throttle(),
            clock=runtime.clock,
        )
    )
    by_id = {row.id: row for row in claimed}
    finished = runtime.clock.now()
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
            str(outcome.channel),
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
        runtime.sessions,
        results,
        retry_seconds=runtime.settings.outcome_write_retry_seconds,
        clock=runtime.clock,
    )
    return follow_up


@dataclass
class SweepResult:
    events: list[int] = field(default_factory=list)
    updates: list[int] = field(default_factory=list)
    deliveries: list[int] = field(default_factory=list)


def _lost(
    session: Session, key: InstrumentedAttribute[int], *where: ColumnElement[bool]
) -> list[int]:
    """The first thousand ids (`key`) of rows matching `where`: work whose task was lost."""
    from sqlalchemy import select

    return list(session.scalars(select(key).where(*where).order_by(key).limit(1000)))


def sweep(runtime: WorkerRuntime) -> SweepResult:
    """Find work whose task was lost (a Redis restart, a killed worker) and hand it back."""
    settings = runtime.settings
    now = runtime.clock.now()
    older = timedelta(seconds=settings.sweep_stale_seconds)
    result = SweepResult()
    with transaction(runtime.sessions) as session:
        result.events = _lost(
            session,
            EventRow.id,
            EventRow.processed_at.is_(None),
            EventRow.received_at < now - older,
        )
        result.updates = _lost(
            session,
            UpdateRow.id,
            UpdateRow.planned_at.is_(None),
            UpdateRow.created_at < now - older,
        )
        # Claims in `sending` are reconciled every heartbeat instead (worker/reclaim.py).
        result.deliveries = delivery_store.stale(session, now=now, older_than=older, limit=10_000)
    found = {
        "events": len(result.events),
        "updates": len(result.updates),
        "deliveries": len(result.deliveries),
    }
    if any(found.values()):
        log.warning("sweeper re-enqueues lost work: %s", found)
    return result
