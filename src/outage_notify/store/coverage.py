"""Who an incident reached, per audience: sent, delivered, acknowledged, and who to call.

One aggregate query over the incident's deliveries, whatever their number: the database folds
the deliveries into one row per recipient and those into one row per audience. Only when some
recipient is unreached does a second query fetch their names (few, by design). A recipient
counts once per audience however many updates it was sent. Deliveries to the incident lead
(reminders, "unreached" notices) are not a stakeholder audience and are left out. A dry run
(a channel that is not configured) told nobody: a contact whose news went only to dry runs is
not sent, and is unreached. Voice escalation's calls are counted per audience beside
(`store.call_coverage`, one grouped query).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Float, Subquery, and_, case, func, literal, null, or_, select, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from outage_notify.contacts.routing import Routing
from outage_notify.core.models import DeliveryState
from outage_notify.messages.planning import STAFF

# The figures' types live with the report, which reads them; re-exported for the store's callers.
from outage_notify.report.coverage import AudienceCoverage, DeadlineCoverage
from outage_notify.store.call_coverage import call_coverage, calls_by_audience
from outage_notify.store.tables import DeliveryRow, UpdateRow, UTCDateTime

BROADCAST = "broadcast"
SENT_STATES = (DeliveryState.SENT.value, DeliveryState.DELIVERED.value)

__all__ = ["AudienceCoverage", "DeadlineCoverage", "ack_deadlines", "incident_coverage"]


class SecondsBetween(FunctionElement[float]):
    """SQL for `end - start` in seconds, as a float, on PostgreSQL and SQLite."""

    type = Float()
    inherit_cache = True


@compiles(SecondsBetween, "postgresql")
def _seconds_postgresql(element: SecondsBetween, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"EXTRACT(EPOCH FROM ({end} - {start}))"


@compiles(SecondsBetween, "sqlite")
def _seconds_sqlite(element: SecondsBetween, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite keeps the UTC times as ISO text; julianday() reads them to the millisecond.
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 86400.0)"


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """1 when `condition` holds for any of the group's rows, else 0."""
    return func.max(case((condition, 1), else_=0))


def _count(condition: ColumnElement[bool], value: Any = 1) -> ColumnElement[int]:
    return func.sum(case((condition, value), else_=0))


def _per_recipient(incident_id: int) -> Subquery:
    """One row per (audience, recipient) of the incident, its deliveries folded into flags."""
    d = DeliveryRow
    asked = d.ack_required == true()
    return (
        select(
            d.audience.label("audience"),
            d.recipient_key.label("recipient_key"),
            d.recipient_kind.label("kind"),
            func.max(d.recipient_name).label("name"),
            # sent_at stays set when a later provider report says "undelivered".
            _flag(or_(d.sent_at.is_not(None), d.state.in_(SENT_STATES))).label("sent"),
            _flag(d.state == DeliveryState.DELIVERED.value).label("delivered"),
            _flag(d.acked_at.is_not(None)).label("acked"),
            _flag(asked).label("asked"),
            _flag(d.unreached_at.is_not(None)).label("marked_unreached"),
            _count(d.state == DeliveryState.FAILED.value).label("failed"),
            _flag(d.state == DeliveryState.DRY_RUN.value).label("dry"),
            # A superseded delivery was replaced by newer news before it went out.
            _count(d.state != DeliveryState.SUPERSEDED.value).label("live"),
            func.min(case((asked, d.created_at))).label("asked_at"),
            func.min(case((asked, d.acked_at))).label("acked_at"),
        )
        .where(d.incident_id == incident_id, d.audience != STAFF)
        .group_by(d.audience, d.recipient_key, d.recipient_kind)
        .subquery("per_recipient")
    )


def _dry_only(per: Subquery) -> ColumnElement[bool]:
    """A contact whose news went to a dry run and never out: nobody told them."""
    r = per.c
    return and_(r.kind != BROADCAST, r.acked == 0, r.dry == 1, r.sent == 0)


def _unreached(per: Subquery) -> ColumnElement[bool]:
    r = per.c
    all_failed = and_(r.failed > 0, r.failed == r.live)
    # An answer after the chase gave up (or from a number every later message failed to
    # reach) means they have the news after all: nobody needs to call them.
    told_nobody = or_(r.marked_unreached == 1, all_failed, and_(r.dry == 1, r.sent == 0))
    return and_(r.kind != BROADCAST, r.acked == 0, told_nobody)


def _deadline_counts(
    per: Subquery, *, now: datetime, deadlines: Mapping[str, float]
) -> tuple[ColumnElement[int], ColumnElement[int], ColumnElement[int]]:
    """Recipients asked who met, missed, and may still meet their audience's deadline."""
    if not deadlines:
        return literal(0), literal(0), literal(0)
    r = per.c
    limit = case({a: 60.0 * m for a, m in deadlines.items()}, value=r.audience, else_=null())
    asked = and_(r.kind != BROADCAST, r.asked == 1)
    acked_in = SecondsBetween(r.asked_at, r.acked_at)
    waited = SecondsBetween(r.asked_at, literal(now, UTCDateTime()))
    # Outside `deadlines` the limit is NULL: every comparison is unknown and counts nothing.
    met = _count(and_(asked, r.acked_at.is_not(None), acked_in <= limit))
    late = and_(r.acked_at.is_not(None), acked_in > limit)
    expired = and_(r.acked_at.is_(None), waited > limit)
    missed = _count(and_(asked, or_(late, expired)))
    pending = _count(and_(asked, r.acked_at.is_(None), waited <= limit))
    return met, missed, pending


def ack_deadlines(routing: Routing) -> dict[str, float]:
    """Audience -> minutes, for the acknowledgement rules of `routing` that set a deadline."""
    return {
        rule.audience: rule.deadline_minutes
        for rule in routing.acknowledge
        if rule.deadline_minutes is not None
    }


def incident_coverage(
    session: Session, incident_id: int, *, now: datetime, deadlines: Mapping[str, float]
) -> list[AudienceCoverage]:
    """Coverage of every audience the incident's deliveries went to, sorted by audience.

    `deadlines` maps an audience to its acknowledgement deadline in minutes (routing's
    `deadline_minutes`); audiences without one get `deadline=None`. `now` decides whether an
    unacknowledged recipient is still pending or has missed it.
    """
    per = _per_recipient(incident_id)
    r = per.c
    contact = r.kind != BROADCAST
    broadcast = r.kind == BROADCAST
    met, missed, pending = _deadline_counts(per, now=now, deadlines=deadlines)
    rows = session.execute(
        select(
            r.audience,
            _count(contact).label("recipients"),
            _count(contact, r.sent).label("sent"),
            _count(contact, r.delivered).label("delivered"),
            _count(contact, r.acked).label("acknowledged"),
            _count(and_(contact, r.asked == 1)).label("ack_required"),
            _count(broadcast).label("broadcasts"),
            _count(broadcast, r.sent).label("broadcasts_sent"),
            met.label("met"),
            missed.label("missed"),
            pending.label("pending"),
            _count(_unreached(per)).label("unreached"),
            _count(_dry_only(per)).label("dry_run"),
        ).group_by(r.audience)
    ).all()
    # Unreached recipient key -> name, per audience: a second query, only when someone is.
    names: dict[str, dict[str, str]] = {}
    if any(row.unreached for row in rows):
        unreached = select(r.audience, r.recipient_key, r.name).where(_unreached(per))
        for audience, key, name in session.execute(unreached):
            names.setdefault(audience, {})[key] = name
    # Only those asked to acknowledge are ever phoned: no call to count without one.
    asked = any(row.ack_required for row in rows)
    calls = calls_by_audience(session, incident_id) if asked else {}
    # Sorted here, not in SQL: PostgreSQL's collation and SQLite's byte order disagree.
    return [
        AudienceCoverage(
            audience=row.audience,
            recipients=int(row.recipients),
            sent=int(row.sent),
            delivered=int(row.delivered),
            acknowledged=int(row.acknowledged),
            ack_required=int(row.ack_required),
            unreached=tuple(sorted(names.get(row.audience, {}).values())),
            deadline=DeadlineCoverage(
                minutes=deadlines[row.audience],
                met=int(row.met),
                missed=int(row.missed),
                pending=int(row.pending),
            )
            if row.audience in deadlines
            else None,
            broadcasts=int(row.broadcasts),
            broadcasts_sent=int(row.broadcasts_sent),
            dry_run=int(row.dry_run),
            calls=call_coverage(calls.get(row.audience, {}), names.get(row.audience, {})),
        )
        for row in sorted(rows, key=lambda row: str(row.audience))
    ]


def unreached_recipients(
    session: Session, incident_id: int, *, limit: int
) -> list[tuple[str, str, str, list[str]]]:
    """Up to `limit` unreached contacts (as `incident_coverage` counts them), by audience and
    name: (audience, recipient key, name, kinds of the updates that did not reach them)."""
    per = _per_recipient(incident_id)
    r = per.c
    found = session.execute(
        select(r.audience, r.recipient_key, r.name)
        .where(_unreached(per))
        .order_by(r.audience, r.name, r.recipient_key)
        .limit(limit)
    ).all()
    if not found:
        return []
    d = DeliveryRow
    missed: dict[tuple[str, str], list[str]] = {}
    not_told = (DeliveryState.FAILED.value, DeliveryState.DRY_RUN.value)
    rows = session.execute(
        select(d.audience, d.recipient_key, UpdateRow.kind)
        .join(UpdateRow, UpdateRow.id == d.update_id)
        .where(
            d.incident_id == incident_id,
            d.state.in_(not_told),
            d.recipient_key.in_({row.recipient_key for row in found}),
        )
        .order_by(d.id)
    ).all()
    for audience, key, kind in rows:
        kinds = missed.setdefault((audience, key), [])
        if kind not in kinds:
            kinds.append(kind)
    return [
        (
            row.audience,
            row.recipient_key,
            row.name,
            missed.get((row.audience, row.recipient_key), []),
        )
        for row in found
    ]
