"""Delivery rows: written in bulk by planning, claimed before a send, updated in batches."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from json.encoder import encode_basestring_ascii as _json_str
from typing import Any

from sqlalchemy import Table, and_, func, insert, select, update
from sqlalchemy.orm import Session

from outage_notify.core.models import DeliveryState, RenderedMessage, Route
from outage_notify.delivery.send import Outcome, Step
from outage_notify.messages.planning import PlannedDelivery
from outage_notify.store.batch_sql import (
    SUPERSEDED_ERROR,
    claim_postgresql,
    claimable,
    insert_many,
    is_postgresql,
    newer_update_planned,
    update_by_id,
)
from outage_notify.store.bulk_insert import insert_rows
from outage_notify.store.tables import AttemptRow, DeliveryRow, MessageRow

_DELIVERIES: Table = DeliveryRow.__table__  # type: ignore[assignment]
_ATTEMPTS: Table = AttemptRow.__table__  # type: ignore[assignment]
# What insert_deliveries writes per row; every other column is the same for the whole plan.
DELIVERY_COLUMNS = (
    "audience",
    "recipient_key",
    "recipient_name",
    "recipient_kind",
    "locale",
    "timezone",
    "routes",
    "ack_required",
)


def insert_deliveries(
    session: Session,
    planned: Iterable[PlannedDelivery],
    *,
    update_id: int,
    incident_id: int,
    now: datetime,
    chunk: int = 5000,
) -> list[int]:
    """Write one row per recipient in chunks; return the new ids in plan order."""
    rows = (
        (
            item.audience,
            item.recipient.key,
            item.recipient.name,
            item.recipient.kind,
            item.recipient.locale,
            item.recipient.timezone,
            routes_json(item.recipient.routes),
            item.ack_required,
        )
        for item in planned
    )
    return insert_rows(
        session,
        DeliveryRow.__table__,  # type: ignore[arg-type]
        rows,
        columns=DELIVERY_COLUMNS,
        serialised=("routes",),
        fixed={
            "update_id": update_id,
            "incident_id": incident_id,
            "route_index": 0,
            "state": DeliveryState.PLANNED.value,
            "created_at": now,
            "updated_at": now,
        },
        chunk=chunk,
    )


def routes_json(routes: Iterable[Route]) -> str:
    """The `routes` column as the JSON type writes it (`json.dumps` of the list of dicts), but
    without the general encoder: this runs for every recipient of a 100,000-recipient plan."""
    return (
        "["
        + ", ".join(
            f'{{"channel": {_json_str(r.channel.value)}, "address": {_json_str(r.address)}}}'
            for r in routes
        )
        + "]"
    )


def insert_messages(
    session: Session, messages: Iterable[RenderedMessage], *, update_id: int
) -> None:
    rows = [
        {
            "update_id": update_id,
            "audience": m.audience,
            "channel": m.channel.value,
            "locale": m.locale,
            "timezone": m.timezone,
            "title": m.title,
            "body": m.body,
            "encoding": m.encoding,
            "segments": m.segments,
        }
        for m in messages
    ]
    if rows:
        session.execute(insert(MessageRow), rows)


def claim(
    session: Session, ids: Sequence[int], *, now: datetime, owner: str = ""
) -> tuple[Sequence[DeliveryRow], set[int]]:
    """Atomically mark due deliveries as sending by `owner` (a worker process, see
    worker/heartbeat.py); return those this call won (by id), and which of them had an unknown
    outcome before (they must be reconciled, not blindly resent).

    Coalescing first: a recipient with a newer update of the same incident already planned gets
    only the newest. PostgreSQL does it all in one statement (`batch_sql.claim_postgresql`)."""
    if is_postgresql(session):
        return claim_postgresql(session, ids, now=now, owner=owner)
    session.execute(
        update(DeliveryRow)
        .where(
            DeliveryRow.id.in_(ids),
            DeliveryRow.state == DeliveryState.PLANNED.value,
            # A released digest carries other incidents' news too: never coalesced away.
            DeliveryRow.digest_body == "",
            newer_update_planned(),
        )
        .values(state=DeliveryState.SUPERSEDED.value, updated_at=now, error=SUPERSEDED_ERROR)
        .execution_options(synchronize_session=False)
    )
    unknown = set(
        session.scalars(
            select(DeliveryRow.id).where(
                DeliveryRow.id.in_(ids), DeliveryRow.state == DeliveryState.UNKNOWN.value
            )
        )
    )
    rows = session.scalars(
        update(DeliveryRow)
        .where(DeliveryRow.id.in_(ids), claimable(now))
        .values(state=DeliveryState.SENDING.value, claimed_at=now, claimed_by=owner, updated_at=now)
        .returning(DeliveryRow),
        execution_options={"synchronize_session": False},
    ).all()
    return sorted(rows, key=lambda row: row.id), unknown & {row.id for row in rows}


def messages_for(
    session: Session, deliveries: Sequence[DeliveryRow]
) -> dict[tuple[int, str, str, str, str], MessageRow]:
    """The rendered bodies these deliveries need, keyed by (update, audience, channel, locale,
    time zone)."""
    wanted = {
        (d.update_id, d.audience, d.routes[d.route_index]["channel"], d.locale, d.timezone)
        for d in deliveries
    }
    if not wanted:
        return {}
    update_ids = {key[0] for key in wanted}
    rows = session.scalars(select(MessageRow).where(MessageRow.update_id.in_(update_ids))).all()
    return {(m.update_id, m.audience, m.channel, m.locale, m.timezone): m for m in rows}


def record(session: Session, results: Iterable[tuple[Outcome, Step]], *, now: datetime) -> None:
    """Write each attempt and each delivery's next state, one statement per kind of row."""
    attempts: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    for outcome, step in results:
        if outcome.result == "deferred":
            # Waiting for a rate-limit token is not an attempt; only the state changes.
            changes.append(
                {
                    "id": outcome.delivery_id,
                    "state": step.state.value,
                    "next_attempt_at": step.next_attempt_at,
                    "updated_at": now,
                }
            )
            continue
        attempts.append(
            {
                "delivery_id": outcome.delivery_id,
                "channel": str(outcome.channel),
                "address": outcome.address,
                "started_at": outcome.started_at,
                "finished_at": outcome.finished_at,
                "outcome": outcome.result,
                "provider_id": outcome.provider_id,
                "error_code": outcome.error_code,
                "error_text": outcome.error_text,
            }
        )
        change: dict[str, Any] = {
            "id": outcome.delivery_id,
            "state": step.state.value,
            "route_index": step.route_index,
            "attempts_on_route": step.attempts_on_route,
            "next_attempt_at": step.next_attempt_at,
            "route_started_at": step.route_started_at,
            "unknown_since": step.unknown_since,
            "channel": str(outcome.channel),
            "updated_at": now,
            "error": ""
            if outcome.result in ("sent", "dry_run")
            else f"{outcome.error_code} {outcome.error_text}".strip(),
        }
        if outcome.result in ("sent", "dry_run"):
            change["provider_id"] = outcome.provider_id
        if outcome.result == "sent":
            # A dry run has no sent_at: nothing left, and coverage reads sent_at as "went out".
            change["sent_at"] = outcome.finished_at
        changes.append(change)
    # Core statements, not the ORM's bulk paths: this runs for every batch of every fan-out
    # and the ORM's per-row bookkeeping cost about as much as the database itself.
    insert_many(session, _ATTEMPTS, attempts)
    update_by_id(session, _DELIVERIES, changes)


def attempts_of(session: Session, delivery_ids: Sequence[int]) -> Sequence[AttemptRow]:
    return session.scalars(
        select(AttemptRow).where(AttemptRow.delivery_id.in_(delivery_ids)).order_by(AttemptRow.id)
    ).all()


def list_deliveries(
    session: Session,
    *,
    incident_id: int,
    state: str | None = None,
    audience: str | None = None,
    channel: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[Sequence[DeliveryRow], int]:
    """A filtered page of an incident's deliveries and the total that match."""
    conditions = [DeliveryRow.incident_id == incident_id]
    if state:
        conditions.append(DeliveryRow.state == state)
    if audience:
        conditions.append(DeliveryRow.audience == audience)
    if channel:
        conditions.append(DeliveryRow.channel == channel)
    rows = session.scalars(
        select(DeliveryRow)
        .where(and_(*conditions))
        .order_by(DeliveryRow.id)
        .limit(limit)
        .offset(offset)
    ).all()
    total = (
        session.scalar(select(func.count()).select_from(DeliveryRow).where(and_(*conditions))) or 0
    )
    return rows, total


def counts(session: Session, *, incident_id: int) -> list[tuple[str, str, str, int]]:
    """(audience, channel, state, count) for an incident."""
    rows = session.execute(
        select(DeliveryRow.audience, DeliveryRow.channel, DeliveryRow.state, func.count())
        .where(DeliveryRow.incident_id == incident_id)
        .group_by(DeliveryRow.audience, DeliveryRow.channel, DeliveryRow.state)
        .order_by(DeliveryRow.audience, DeliveryRow.channel, DeliveryRow.state)
    ).all()
    return [(a, c, s, n) for a, c, s, n in rows]


def stale(session: Session, *, now: datetime, older_than: timedelta, limit: int) -> list[int]:
    """Deliveries whose task was lost: planned (or unknown) and due for longer than a while.

    Claims in `sending` are the claim reconciler's (store/claims.py, worker/reclaim.py)."""
    cutoff = now - older_than
    return list(
        session.scalars(
            select(DeliveryRow.id)
            .where(
                DeliveryRow.updated_at < cutoff,
                claimable(now),
            )
            .order_by(DeliveryRow.id)
            .limit(limit)
        )
    )


def ids_in_audiences(session: Session, *, update_id: int, audiences: set[str]) -> list[int]:
    """An update's delivery ids for some of its audiences (the urgent lane's share)."""
    if not audiences:
        return []
    return list(
        session.scalars(
            select(DeliveryRow.id).where(
                DeliveryRow.update_id == update_id, DeliveryRow.audience.in_(audiences)
            )
        )
    )
