"""What the per-recipient cap reads and writes: a person's recent sends over all incidents,
the deliveries held for them, and a lock so two workers cannot both spend the last slot."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import TypeVarTuple

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Select,
    and_,
    cast,
    func,
    or_,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.orm import Session

from outage_notify.core.models import DeliveryState
from outage_notify.incidents.flood_control import CAPPED_CHANNELS
from outage_notify.store.batch_sql import any_of
from outage_notify.store.tables import AttemptRow, DeliveryRow, IncidentRow, UpdateRow

_CAPPED = sorted(c.value for c in CAPPED_CHANNELS)
# Every write that records a send, or claims or defers a delivery, sets its `updated_at` to the
# writer's clock then, so a delivery last changed before the window cannot hold a send or a
# slot in it. The slack covers what else may sit between the two: clocks of different hosts
# that disagree, and a batch's sends going out after its claim (a `sending` row keeps its
# claim's time; a batch's sends start within ceil(200 / concurrency) x the send timeout, about
# a minute). A row still `sending` this long before the window opened holds no slot: its send,
# if any, went out before the window.
CLOCK_SLACK = timedelta(minutes=10)


def _changed_since(since: datetime) -> ColumnElement[bool]:
    """Changed late enough to matter for a window from `since`: with the person, the range
    ix_deliveries_recipient_recent reads, instead of every delivery the person ever had."""
    return DeliveryRow.updated_at >= since - CLOCK_SLACK


def lock_recipients(session: Session, keys: Collection[str]) -> None:
    """Serialise cap decisions per person until the transaction ends (PostgreSQL; SQLite
    transactions are one writer at a time already). One statement for a whole batch, taking
    the locks in sorted order so two workers cannot deadlock."""
    if not keys or session.get_bind().dialect.name != "postgresql":
        return
    locks = sorted(
        int.from_bytes(hashlib.sha256(f"cap:{key}".encode()).digest()[:8], "big", signed=True)
        for key in keys
    )
    session.execute(
        text(
            "SELECT pg_advisory_xact_lock(k) FROM"
            " (SELECT unnest(CAST(:keys AS bigint[])) AS k ORDER BY k) AS wanted"
        ),
        {"keys": locks},
    )


def mark_capped_channel(session: Session, rows: Sequence[DeliveryRow]) -> None:
    """Record the channel a claimed delivery is being sent on, so a concurrent worker counts
    it as spent while it is `sending`. (PostgreSQL's claim has written it already.)"""
    for channel in _CAPPED:
        ids = [
            r.id
            for r in rows
            if r.routes[r.route_index]["channel"] == channel and r.channel != channel
        ]
        if ids:
            session.execute(
                update(DeliveryRow)
                .where(DeliveryRow.id.in_(ids))
                .values(channel=channel)
                .execution_options(synchronize_session=False)
            )
            for row in rows:
                if row.id in ids:
                    row.channel = channel


_Row = TypeVarTuple("_Row")


def _sent_in_window(
    query: Select[*_Row], people: ColumnElement[bool], *, since: datetime
) -> Select[*_Row]:
    """`query` over the capped attempts sent to `people` since `since`, grouped per person."""
    return (
        query.join(AttemptRow, AttemptRow.delivery_id == DeliveryRow.id)
        .where(
            people,
            _changed_since(since),
            AttemptRow.channel.in_(_CAPPED),
            AttemptRow.outcome == "sent",
            AttemptRow.started_at >= since,
        )
        .group_by(DeliveryRow.recipient_key)
    )


def spent(
    session: Session, keys: Collection[str], *, since: datetime, exclude: Collection[int]
) -> Counter[str]:
    """Messages on capped channels per person since `since`: sent, or let through by the cap
    and not sent yet (being sent, or deferred), other than `exclude`. One statement: this
    runs for every capped batch of a fan-out."""
    if not keys:
        return Counter()
    people = any_of(session, DeliveryRow.recipient_key, keys)
    # From these people's deliveries to their attempts, one index probe each (a correlated
    # subquery the planner cannot turn around): joined, PostgreSQL chose to scan every capped
    # attempt sent in the hour and look up each one's delivery, which grows with the fan-out
    # that is running (10,000 attempts scanned for each of its last batches).
    attempts = (
        select(func.count())
        .where(
            AttemptRow.delivery_id == DeliveryRow.id,
            AttemptRow.channel.in_(_CAPPED),
            AttemptRow.outcome == "sent",
            AttemptRow.started_at >= since,
        )
        .correlate(DeliveryRow)
        .scalar_subquery()
    )
    sent = (
        select(DeliveryRow.recipient_key, cast(func.sum(attempts), Integer))
        .where(people, _changed_since(since))
        .group_by(DeliveryRow.recipient_key)
    )
    # Let through and not sent yet: being sent now, or claimed before and back to `planned`
    # (deferred for a rate-limit token, or waiting for a retry). Without the latter, a batch
    # deferred after the cap admitted it freed its slots for the next batch (CI saw 4 of a cap
    # of 3). Never-claimed rows are not counted: the cap has not admitted them.
    sending = (
        select(DeliveryRow.recipient_key, func.count())
        .where(
            people,
            _changed_since(since),
            or_(
                DeliveryRow.state == DeliveryState.SENDING.value,
                and_(
                    DeliveryRow.state == DeliveryState.PLANNED.value,
                    # Admitted this hour: a row stuck since long ago holds no slot.
                    DeliveryRow.claimed_at >= since,
                ),
            ),
            DeliveryRow.channel.in_(_CAPPED),
            ~any_of(session, DeliveryRow.id, exclude, type_=BigInteger())
            if exclude
            else DeliveryRow.id.is_not(None),
        )
        .group_by(DeliveryRow.recipient_key)
    )
    counts: Counter[str] = Counter()
    for key, count in session.execute(union_all(sent, sending)).all():
        counts[key] += count
    return counts


def window_starts(
    session: Session, keys: Collection[str], *, since: datetime
) -> dict[str, datetime]:
    """Each person's oldest capped send in the window: a slot frees an hour after it."""
    if not keys:
        return {}
    rows = session.execute(
        _sent_in_window(
            select(DeliveryRow.recipient_key, func.min(AttemptRow.started_at)),
            DeliveryRow.recipient_key.in_(keys),
            since=since,
        )
    ).all()
    return {key: started for key, started in rows}


def update_kinds(session: Session, rows: Sequence[DeliveryRow]) -> dict[int, str]:
    """The kind of each of these deliveries' updates."""
    ids = {r.update_id for r in rows}
    if not ids:
        return {}
    found = session.execute(select(UpdateRow.id, UpdateRow.kind).where(UpdateRow.id.in_(ids)))
    return {update_id: kind for update_id, kind in found.all()}


def held(session: Session, keys: Collection[str]) -> Sequence[DeliveryRow]:
    """Deliveries held by the cap for these people, oldest first (locked for this transaction)."""
    if not keys:
        return []
    return session.scalars(
        select(DeliveryRow)
        .where(DeliveryRow.recipient_key.in_(keys), DeliveryRow.state == DeliveryState.HELD.value)
        .order_by(DeliveryRow.id)
        .with_for_update()
    ).all()


def overtaken(session: Session, rows: Sequence[DeliveryRow]) -> dict[int, int]:
    """Held rows whose recipient has a newer delivery of the same incident that went out or
    is on its way (it carries what holds now): held id → that newer update's id."""
    if not rows:
        return {}
    going = (
        DeliveryState.PLANNED.value,
        DeliveryState.SENDING.value,
        DeliveryState.SENT.value,
        DeliveryState.DELIVERED.value,
        DeliveryState.UNKNOWN.value,
    )
    rows_found = session.execute(
        select(DeliveryRow.incident_id, DeliveryRow.recipient_key, func.max(DeliveryRow.update_id))
        .where(
            DeliveryRow.incident_id.in_({r.incident_id for r in rows}),
            DeliveryRow.recipient_key.in_({r.recipient_key for r in rows}),
            DeliveryRow.state.in_(going),
            DeliveryRow.digest_body == "",
        )
        .group_by(DeliveryRow.incident_id, DeliveryRow.recipient_key)
    ).all()
    newest = {(incident, key): update for incident, key, update in rows_found}
    found: dict[int, int] = {}
    for row in rows:
        newer = newest.get((row.incident_id, row.recipient_key))
        if newer is not None and newer > row.update_id:
            found[row.id] = newer
    return found


def held_recipients(session: Session, *, limit: int) -> list[str]:
    """People with held news, longest waiting first."""
    rows = session.execute(
        select(DeliveryRow.recipient_key, func.min(DeliveryRow.id))
        .where(DeliveryRow.state == DeliveryState.HELD.value)
        .group_by(DeliveryRow.recipient_key)
        .order_by(func.min(DeliveryRow.id))
        .limit(limit)
    ).all()
    return [key for key, _ in rows]


def held_in_incident(session: Session, incident_id: int) -> list[str]:
    """Who in an incident is waiting for a digest: "Name (audience)", as `unreached` is."""
    rows = session.execute(
        select(DeliveryRow.recipient_name, DeliveryRow.audience)
        .where(
            DeliveryRow.incident_id == incident_id,
            DeliveryRow.state == DeliveryState.HELD.value,
        )
        .distinct()
    ).all()
    return sorted(f"{name} ({audience})" for name, audience in rows)


def incidents_of(session: Session, rows: Sequence[DeliveryRow]) -> dict[int, IncidentRow]:
    ids = {r.incident_id for r in rows}
    if not ids:
        return {}
    found = session.scalars(select(IncidentRow).where(IncidentRow.id.in_(ids))).all()
    return {row.id: row for row in found}
