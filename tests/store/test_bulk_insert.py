"""Planning's bulk insert (COPY on PostgreSQL, executemany on SQLite) on both backends: the
stored values are the ORM's, ids follow plan order across chunks, the unique key holds."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import exc, func, inspect, select, text
from sqlalchemy.orm import Session, sessionmaker

from outage_notify.core.models import ChannelName, Recipient, Route
from outage_notify.messages.planning import PlannedDelivery
from outage_notify.store import deliveries as delivery_store
from outage_notify.store.engine import transaction
from outage_notify.store.tables import DeliveryRow
from tests.store.test_store import _open_incident as open_untyped

# Not UTC on purpose: the store keeps UTC whatever zone it is given.
NOW = datetime(2026, 11, 27, 6, 0, 0, 123456, tzinfo=UTC).astimezone(timezone(timedelta(hours=-3)))


ODD_URL = 'json://hook.example/ção?q="a b"&t=\t\\x\u2028😀\x01'


def _open_incident(sessions: sessionmaker[Session]) -> tuple[int, int]:
    return open_untyped(sessions)


def recipient(i: int, *, name: str = "") -> Recipient:
    return Recipient(
        key=f"contact:u{i}",
        name=name or f"User {i}",
        audience="users",
        locale="pt-BR",
        routes=(Route(ChannelName.SMS, f"+5511990{i:06d}"), Route(ChannelName.SLACK, f"U{i:08d}")),
    )


def plan(count: int, start: int = 0) -> Iterator[PlannedDelivery]:
    return (PlannedDelivery("users", recipient(i)) for i in range(start, start + count))


def test_a_bulk_row_holds_exactly_what_the_orm_writes(sessions: sessionmaker[Session]) -> None:
    incident_id, update_id = _open_incident(sessions)
    # Tabs, newlines, backslashes and quotes must survive COPY's text format.
    odd = recipient(1, name='Zé "Tab"\there\nnew line \\ back\\slash, ção')
    odd = replace(odd, routes=(*odd.routes, Route(ChannelName.FALLBACK, ODD_URL)))
    with transaction(sessions) as session:
        [bulk_id] = delivery_store.insert_deliveries(
            session,
            [PlannedDelivery("users", odd, ack_required=True)],
            update_id=update_id,
            incident_id=incident_id,
            now=NOW,
        )
        twin = recipient(2, name=odd.name)
        orm = DeliveryRow(
            update_id=update_id,
            incident_id=incident_id,
            audience="users",
            recipient_key=twin.key,
            recipient_name=twin.name,
            recipient_kind=twin.kind,
            locale=twin.locale,
            routes=[{"channel": r.channel.value, "address": r.address} for r in odd.routes],
            route_index=0,
            state="planned",
            ack_required=True,
            created_at=NOW,
            updated_at=NOW,
        )
        session.add(orm)
        session.flush()
        orm_id = orm.id
    assert bulk_id != orm_id
    columns = [c.key for c in inspect(DeliveryRow).column_attrs if c.key not in ("id",)]
    with sessions() as session:
        bulk_row, orm_row = (session.get(DeliveryRow, i) for i in (bulk_id, orm_id))
        assert bulk_row is not None and orm_row is not None
        got = {c: getattr(bulk_row, c) for c in columns}
        want = {c: getattr(orm_row, c) for c in columns}
        assert got == {**want, "recipient_key": odd.key}
        assert got["created_at"] == NOW and got["created_at"].tzinfo is not None
        assert got["routes"][0] == {"channel": "sms", "address": "+5511990000001"}
        # And byte for byte in the database: the same JSON text and the same time.
        raw = "SELECT CAST(routes AS TEXT), CAST(created_at AS TEXT) FROM deliveries WHERE id = :i"
        assert session.execute(text(raw), {"i": bulk_id}).one() == tuple(
            session.execute(text(raw), {"i": orm_id}).one()
        )


@pytest.mark.parametrize("count", [0, 1, 3, 4, 8, 9, 13])
def test_ids_ascend_in_plan_order_across_chunks(
    sessions: sessionmaker[Session], count: int
) -> None:
    incident_id, update_id = _open_incident(sessions)
    with transaction(sessions) as session:
        earlier = delivery_store.insert_deliveries(
            session, plan(2, start=100), update_id=update_id, incident_id=incident_id, now=NOW
        )
        ids = delivery_store.insert_deliveries(
            session, plan(count), update_id=update_id, incident_id=incident_id, now=NOW, chunk=4
        )
    assert len(ids) == count and ids == sorted(set(ids))
    assert all(i > max(earlier) for i in ids)
    if count < 4:
        # A plan shorter than a chunk takes exactly its own ids.
        assert ids == list(range(max(earlier) + 1, max(earlier) + 1 + count))
    with sessions() as session:
        keys = session.scalars(
            select(DeliveryRow.recipient_key)
            .where(DeliveryRow.id.in_(ids))
            .order_by(DeliveryRow.id)
        ).all()
    assert keys == [f"contact:u{i}" for i in range(count)]


def test_a_second_row_for_the_same_recipient_is_refused_and_nothing_is_kept(
    sessions: sessionmaker[Session],
) -> None:
    incident_id, update_id = _open_incident(sessions)
    again: list[PlannedDelivery] = [*plan(5), *plan(1, start=3)]
    with pytest.raises(exc.IntegrityError), transaction(sessions) as session:
        delivery_store.insert_deliveries(
            session, again, update_id=update_id, incident_id=incident_id, now=NOW, chunk=4
        )
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(DeliveryRow)) == 0


@pytest.mark.parametrize("address", ["+5511990000001", "U0ABC", ODD_URL, ""])
def test_routes_json_is_the_json_types_own_text(address: str) -> None:
    routes = (Route(ChannelName.SMS, address), Route(ChannelName.FALLBACK, address))
    as_dicts = [{"channel": r.channel.value, "address": r.address} for r in routes]
    assert delivery_store.routes_json(routes) == json.dumps(as_dicts)
    assert delivery_store.routes_json(()) == json.dumps([])
