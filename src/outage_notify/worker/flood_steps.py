"""The periodic half of flood control (beat tasks; each is idempotent).

`settle` resolves alert-driven incidents whose alerts stayed resolved for RESOLVE_HOLD_SECONDS;
`release_digests` merges each person's news held by the recipient cap into one delivery once
their hour allows. Both keep their waits in the database, so nothing depends on a Celery
countdown surviving (a countdown beyond the broker's visibility timeout runs again and again).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from outage_notify.channels.capacity import TWILIO_MAX_BODY
from outage_notify.core.models import DeliveryState
from outage_notify.incidents import resolve_hold
from outage_notify.incidents.flood_control import CAP_WINDOW
from outage_notify.store import incidents as incident_store
from outage_notify.store import recipient_cap as cap_store
from outage_notify.store.engine import transaction
from outage_notify.store.mappers import incident_state
from outage_notify.store.tables import DeliveryRow
from outage_notify.worker.recipient_cap import digest_text
from outage_notify.worker.rerender import current_messages
from outage_notify.worker.runtime import WorkerRuntime

log = logging.getLogger(__name__)
# People whose digests one run releases; the next run takes the rest.
DIGEST_BATCH = 1000


def settle(runtime: WorkerRuntime) -> list[int]:
    """Resolve incidents whose resolve hold is over; return the updates to plan."""
    now = runtime.clock.now()
    hold = timedelta(seconds=runtime.settings.resolve_hold_seconds)
    with transaction(runtime.sessions) as session:
        candidates = incident_store.cleared_before(session, now - hold)
    update_ids: list[int] = []
    for incident_id in candidates:
        # One transaction each, under the service's lock as events take it: an alert that
        # fires at this moment is applied either before (no resolution) or after (it reopens).
        with transaction(runtime.sessions) as session:
            row = incident_store.get_incident(session, incident_id)
            if row is None:
                continue
            incident_store.lock_service(session, row.service)
            session.refresh(row)
            decision = resolve_hold.settle(
                incident_state(row),
                now=now,
                resolve_hold=hold,
                verify=bool(runtime.settings.verification),
            )
            if decision is None:
                continue
            _, update = incident_store.save_decision(
                session, decision, row=row, now=now, actor=resolve_hold.ACTOR
            )
            if update is not None:
                update_ids.append(update.id)
        log.info("incident %s: alerts stayed resolved; %s", incident_id, decision.incident)
    return update_ids


def release_digests(runtime: WorkerRuntime) -> list[int]:
    """One digest delivery per person with held news and room in their hour; their ids."""
    cap = runtime.settings.recipient_max_per_hour
    now = runtime.clock.now()
    released: list[int] = []
    with transaction(runtime.sessions) as session:
        keys = cap_store.held_recipients(session, limit=DIGEST_BATCH)
        if not keys:
            return []
        cap_store.lock_recipients(session, keys)
        spent = cap_store.spent(session, keys, since=now - CAP_WINDOW, exclude=())
        room = [key for key in keys if not cap or spent[key] < cap]
        by_person: dict[str, list[DeliveryRow]] = defaultdict(list)
        waiting = cap_store.held(session, room)
        overtaken = cap_store.overtaken(session, waiting)
        for row in waiting:
            if row.id in overtaken:
                # A newer message of the same incident went out to them meanwhile: it said
                # what holds now, so this older news is carried, not lost.
                row.state = DeliveryState.SUPERSEDED.value
                row.updated_at = now
                row.error = f"carried by a newer message (update {overtaken[row.id]})"
                continue
            by_person[row.recipient_key].append(row)
        for rows in by_person.values():
            # The newest carries the digest (its route and language); the rest are merged in.
            carrier = rows[-1]
            for other in rows[:-1]:
                other.state = DeliveryState.SUPERSEDED.value
                other.updated_at = now
                other.error = f"merged into the digest sent by delivery {carrier.id}"
            carrier.digest_body = _digest_body(session, runtime, carrier, rows, now=now)
            carrier.state = DeliveryState.PLANNED.value
            carrier.next_attempt_at = None
            carrier.updated_at = now
            carrier.error = ""
            released.append(carrier.id)
    if released:
        log.info("released %s digests of held news", len(released))
    return released


def _digest_body(
    session: Session,
    runtime: WorkerRuntime,
    carrier: DeliveryRow,
    rows: list[DeliveryRow],
    *,
    now: datetime,
) -> str:
    """The carrier's own news rendered from its incident's current state (phase, ETA, staff
    text: nothing the cap held is lost), then one digest line for each other incident."""
    others = [row for row in rows if row.incident_id != carrier.incident_id]
    # The acknowledgement request, if asked, ends the whole message (worker/outbound.py).
    own = current_messages(session, runtime, [carrier], ask=not others)[carrier.id].body
    if not others:
        return own
    room = TWILIO_MAX_BODY - len(own) - 1
    digest = digest_text(
        session, runtime, others, carrier.locale, now=now, limit=room, zone=carrier.timezone
    )
    return f"{own}\n{digest}"
