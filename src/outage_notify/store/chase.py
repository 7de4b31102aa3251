"""Deliveries still owed an acknowledgement, and the two moves of the chase, in the database.

Both moves are conditional UPDATEs: on PostgreSQL a second transaction trying the same move
waits for the first, re-reads the row and then matches nothing, so two checks running at once
re-notify a recipient once and list them as unreached once.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, exists, func, literal, select, update
from sqlalchemy.orm import Session, aliased

from outage_notify.core.models import DeliveryState, Phase
from outage_notify.messages.planning import STAFF
from outage_notify.store.tables import DeliveryRow, IncidentRow, TimelineRow, UpdateRow

OUT = (DeliveryState.SENT.value, DeliveryState.DELIVERED.value)


def _owing() -> list[ColumnElement[bool]]:
    """A contact delivery asking for an acknowledgement nobody has given or given up on."""
    return [
        DeliveryRow.ack_required.is_(True),
        DeliveryRow.acked_at.is_(None),
        DeliveryRow.unreached_at.is_(None),
        DeliveryRow.recipient_kind == "contact",
    ]


def _not_lead(default_lead: str) -> ColumnElement[bool]:
    """Not the incident's own lead (needs IncidentRow joined): the lead is never chased about,
    nor listed unreached for, the incident they run; the lead may change after planning."""
    lead = func.coalesce(func.nullif(IncidentRow.lead, ""), literal(default_lead))
    return DeliveryRow.recipient_key != literal("contact:") + lead


def incidents_to_chase(
    session: Session, *, include_resolved: bool, default_lead: str = ""
) -> list[int]:
    """Incidents with someone still owing an acknowledgement, oldest first.

    Resolved incidents only when some rule asks about resolutions: otherwise nobody in them
    is chased any more, and skipping them keeps each check from reading every past incident.
    """
    statement = (
        select(DeliveryRow.incident_id)
        .join(IncidentRow, IncidentRow.id == DeliveryRow.incident_id)
        .where(*_owing(), _not_lead(default_lead))
        .distinct()
        .order_by(DeliveryRow.incident_id)
    )
    if not include_resolved:
        statement = statement.where(IncidentRow.phase != Phase.RESOLVED.value)
    return list(session.scalars(statement))


def owing(
    session: Session, incident_id: int, *, default_lead: str = ""
) -> dict[str, list[DeliveryRow]]:
    """Recipient key to their deliveries in the incident still owed an acknowledgement, the
    incident lead's left out."""
    rows = session.scalars(
        select(DeliveryRow)
        .join(IncidentRow, IncidentRow.id == DeliveryRow.incident_id)
        .where(DeliveryRow.incident_id == incident_id, *_owing(), _not_lead(default_lead))
        .order_by(DeliveryRow.id)
    ).all()
    found: dict[str, list[DeliveryRow]] = {}
    for row in rows:
        found.setdefault(row.recipient_key, []).append(row)
    return found


def latest(session: Session, incident_id: int, keys: Collection[str]) -> dict[str, DeliveryRow]:
    """Each recipient's newest delivery in the incident that was not superseded."""
    if not keys:
        return {}
    rows = session.scalars(
        select(DeliveryRow)
        .where(
            DeliveryRow.incident_id == incident_id,
            DeliveryRow.recipient_key.in_(keys),
            DeliveryRow.state != DeliveryState.SUPERSEDED.value,
        )
        .order_by(DeliveryRow.update_id, DeliveryRow.id)
    ).all()
    return {row.recipient_key: row for row in rows}


def update_kinds(session: Session, update_ids: Collection[int]) -> dict[int, str]:
    """The kind of each of these updates."""
    if not update_ids:
        return {}
    rows = session.execute(
        select(UpdateRow.id, UpdateRow.kind).where(UpdateRow.id.in_(update_ids))
    ).all()
    return {update_id: kind for update_id, kind in rows}


def renotify(session: Session, row: DeliveryRow, *, to: int, now: datetime) -> bool:
    """Send `row` again on route `to`; False when another check or an answer came first."""
    result = session.execute(
        update(DeliveryRow)
        .where(
            DeliveryRow.id == row.id,
            DeliveryRow.route_index == row.route_index,
            DeliveryRow.state.in_(OUT),
            DeliveryRow.acked_at.is_(None),
        )
        .values(
            route_index=to,
            state=DeliveryState.PLANNED.value,
            attempts_on_route=0,
            next_attempt_at=None,
            route_started_at=None,
            unknown_since=None,
            # The newest message now asks, whatever its kind asked when it was planned.
            ack_required=True,
            renotified_at=now,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


def mark_unreached(session: Session, incident_id: int, recipient_key: str, *, now: datetime) -> int:
    """Give up on a recipient: every delivery they still owe an answer to; how many changed."""
    result = session.execute(
        update(DeliveryRow)
        .where(
            DeliveryRow.incident_id == incident_id,
            DeliveryRow.recipient_key == recipient_key,
            *_owing(),
        )
        .values(unreached_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def phones(rows: Sequence[DeliveryRow]) -> list[str]:
    """The SMS addresses these deliveries were routed to, first seen first."""
    found = [r["address"] for row in rows for r in row.routes if r["channel"] == "sms"]
    return list(dict.fromkeys(found))


def _failed_unreported() -> list[ColumnElement[bool]]:
    """A contact's newest news in the incident failed on every channel, and nobody was told.

    The lead's own notices (audience `staff`) are left out: telling the lead that the notice
    about the unreached did not reach them would go round for ever.
    """
    newer = aliased(DeliveryRow)
    return [
        DeliveryRow.state == DeliveryState.FAILED.value,
        DeliveryRow.unreached_at.is_(None),
        DeliveryRow.acked_at.is_(None),
        DeliveryRow.recipient_kind == "contact",
        DeliveryRow.audience != STAFF,
        ~exists().where(
            newer.incident_id == DeliveryRow.incident_id,
            newer.recipient_key == DeliveryRow.recipient_key,
            newer.update_id > DeliveryRow.update_id,
            newer.state != DeliveryState.SUPERSEDED.value,
        ),
    ]


def incidents_with_failed(session: Session, *, default_lead: str = "") -> list[int]:
    """Open incidents where someone failed on every channel and the lead was not told yet.

    Resolved ones are left out: the lead can no longer act on them, and an upgrade must not
    send leads the failures of every past incident.
    """
    return _open_incidents_with(session, *_failed_unreported(), _not_lead(default_lead))


def failed_unreported(
    session: Session, incident_id: int, *, default_lead: str = ""
) -> list[DeliveryRow]:
    """The incident's deliveries that failed on every channel, not yet listed to the lead
    (the lead's own left out)."""
    return list(
        session.scalars(
            select(DeliveryRow)
            .join(IncidentRow, IncidentRow.id == DeliveryRow.incident_id)
            .where(
                DeliveryRow.incident_id == incident_id,
                *_failed_unreported(),
                _not_lead(default_lead),
            )
            .order_by(DeliveryRow.id)
        )
    )


def mark_failed_unreached(session: Session, row: DeliveryRow, *, now: datetime) -> bool:
    """List `row`'s recipient as unreached; False when another check did it first."""
    result = session.execute(
        update(DeliveryRow)
        .where(DeliveryRow.id == row.id, DeliveryRow.unreached_at.is_(None))
        .values(unreached_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


def incidents_with_held(session: Session) -> list[int]:
    """Open incidents where the recipient cap holds someone's news (the lead may not know)."""
    return _open_incidents_with(session, DeliveryRow.state == DeliveryState.HELD.value)


def _open_incidents_with(session: Session, *conditions: ColumnElement[bool]) -> list[int]:
    """The ids of unresolved incidents with a delivery that meets every one of `conditions`."""
    return list(
        session.scalars(
            select(DeliveryRow.incident_id)
            .join(IncidentRow, IncidentRow.id == DeliveryRow.incident_id)
            .where(IncidentRow.phase != Phase.RESOLVED.value, *conditions)
            .distinct()
            .order_by(DeliveryRow.incident_id)
        )
    )


def held_untold(session: Session, incident_id: int) -> list[DeliveryRow]:
    """The incident's held deliveries, one per person, whose person the lead was not yet told
    about (a `behind` timeline row names each person told)."""
    told = {
        data.get("recipient_key")
        for data in session.scalars(
            select(TimelineRow.data).where(
                TimelineRow.incident_id == incident_id, TimelineRow.kind == "behind"
            )
        )
        if isinstance(data, dict)
    }
    rows = session.scalars(
        select(DeliveryRow)
        .where(
            DeliveryRow.incident_id == incident_id,
            DeliveryRow.state == DeliveryState.HELD.value,
            DeliveryRow.audience != STAFF,
        )
        .order_by(DeliveryRow.id)
    ).all()
    found: dict[str, DeliveryRow] = {}
    for row in rows:
        if row.recipient_key not in told:
            found.setdefault(row.recipient_key, row)
    return list(found.values())
