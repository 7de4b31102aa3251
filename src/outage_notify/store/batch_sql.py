"""A dispatch batch's statements in as few round trips as the database allows.

Every fan-out batch (200 deliveries) claims its rows before it sends and records its outcomes
after; these are the statements each batch of every fan-out runs, so on PostgreSQL each has a
one-statement form:

- `any_of`: `id = ANY(:ids)`, one array parameter, instead of an IN list expanded to one
  placeholder per value (SQLite keeps the expanded IN: it has no arrays);
- `claim_postgresql`: coalescing, the earlier-outcome check and the claim in one statement (two
  data-modifying CTEs and a plain one), RETURNING the claimed rows, where SQLite runs three
  statements and a SELECT (`deliveries.claim`);
- `update_by_id` / `insert_many`: a batch's attempts and delivery changes as one
  `INSERT … SELECT … FROM unnest(…)` and one `UPDATE … FROM unnest(…)` per shape of change,
  each array built once, instead of an executemany of one statement per row.

Values go through each column type's own bind processor (UTCDateTime's conversion to UTC), so
what is stored is what the ORM or an executemany would have written, with one difference: the
arrays are cast to their columns' types, and an explicit cast cuts a text longer than its
`VARCHAR(n)` where the ORM's INSERT would fail. A provider's over-long error code or message id
is stored cut rather than costing the batch its outcomes.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from functools import cache
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    String,
    Table,
    any_,
    bindparam,
    case,
    insert,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased, configure_mappers
from sqlalchemy.types import TypeEngine

from outage_notify.core.models import DeliveryState
from outage_notify.incidents.flood_control import CAPPED_CHANNELS
from outage_notify.store.engine import store_url
from outage_notify.store.tables import DeliveryRow

CLAIMABLE = (DeliveryState.PLANNED.value, DeliveryState.UNKNOWN.value)
SUPERSEDED_ERROR = "superseded by a newer update before it went out"
_DELIVERIES: Table = DeliveryRow.__table__  # type: ignore[assignment]


def is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def any_of(
    session: Session,
    column: InstrumentedAttribute[Any] | ColumnElement[Any],
    values: Collection[Any],
    *,
    type_: TypeEngine[Any] | None = None,
) -> ColumnElement[bool]:
    """`column` is one of `values`: `= ANY(array)` on PostgreSQL, an IN list elsewhere."""
    if not is_postgresql(session):
        return column.in_(values)
    element = type_ if type_ is not None else column.type
    return column == any_(bindparam(None, list(values), type_=ARRAY(element)))


def newer_update_planned() -> ColumnElement[bool]:
    """Coalescing: the recipient has a newer update of the same incident planned (say, behind a
    rate-limited SMS queue); it carries the current state, so this delivery need not go."""
    newer = aliased(DeliveryRow)
    # A scalar subquery with LIMIT 1, not EXISTS: PostgreSQL turns an EXISTS into a semi-join,
    # and on a young table (the first large fan-out) it hashed a sequential scan of every
    # delivery for each batch's claim: 4-12 ms of server CPU a batch at 10,000 rows, growing
    # with the table. A scalar subquery stays one probe of ix_deliveries_incident_recipient
    # per claimed row, whatever the statistics say.
    first_newer = (
        select(newer.id)
        .where(
            newer.incident_id == DeliveryRow.incident_id,
            newer.recipient_key == DeliveryRow.recipient_key,
            newer.update_id > DeliveryRow.update_id,
            newer.state != DeliveryState.SUPERSEDED.value,
        )
        .limit(1)
        .scalar_subquery()
    )
    return first_newer.is_not(None)


def claimable(
    now: Any, state: ColumnElement[str] | InstrumentedAttribute[str] = DeliveryRow.state
) -> ColumnElement[bool]:
    """Due for a send now; `state` is the state column or an expression of it."""
    return state.in_(CLAIMABLE) & or_(
        DeliveryRow.next_attempt_at.is_(None), DeliveryRow.next_attempt_at <= now
    )


def claim_postgresql(
    session: Session, ids: Sequence[int], *, now: Any, owner: str
) -> tuple[list[DeliveryRow], set[int]]:
    """`deliveries.claim` in one statement: supersede, note which rows were `unknown`, claim
    the rest and return them with their current route's channel recorded for the recipient
    cap (what `recipient_cap.mark_capped_channel` would write next)."""
    result = session.execute(
        _claim_statement(),
        {"ids": list(ids), "now": now, "owner": owner},
        execution_options={"synchronize_session": False},
    ).all()
    rows = sorted((row for row, _ in result), key=lambda row: row.id)
    return rows, {row.id for row, unknown in result if unknown}


def build_before_fork(database_url: str) -> None:
    """Done once by `outage-notify worker` before its pool forks, instead of by each child on
    its first batch of an outage: the ORM's mappers configured, and the claim statement built
    and compiled for the database's dialect (a first compile memoises much on the table and
    statement objects the children share). In a fan-out just after the workers started, these
    took a fifth of their CPU (py-spy on `benchmarks/fanout.py`'s first run)."""
    configure_mappers()
    url = store_url(database_url)
    if url.get_backend_name() == "postgresql":
        _claim_statement().compile(dialect=url.get_dialect()())


@cache
def _claim_statement() -> Any:
    """The claim, built once per process with its values as parameters (`ids`, `now`,
    `owner`): building it took a batch as long as compiling it, and the same object keeps
    SQLAlchemy's cache key memoised."""
    now = bindparam("now", type_=DeliveryRow.updated_at.type)
    wanted = DeliveryRow.id == any_(bindparam("ids", type_=ARRAY(BigInteger())))
    # The state as an expression no index matches, so the batch's ids (the primary key) are
    # the only way in. Statistics from before a fan-out say almost nothing is `planned`; the
    # planner then read every planned delivery through ix_deliveries_state for each batch's
    # claim (a fan-out of N cost N rows a batch), and ANALYZE after planning is skipped on a
    # large table (store/statistics.py).
    state = DeliveryRow.state.op("||")(literal_column("''"))
    superseded = (
        update(_DELIVERIES)
        .where(
            wanted,
            state == DeliveryState.PLANNED.value,
            # A released digest carries other incidents' news too: never coalesced away.
            DeliveryRow.digest_body == "",
            newer_update_planned(),
        )
        .values(state=DeliveryState.SUPERSEDED.value, updated_at=now, error=SUPERSEDED_ERROR)
        .returning(_DELIVERIES.c.id)
        .cte("superseded")
    )
    # A plain CTE reads the rows as they were before this statement: which were `unknown`.
    was_unknown = (
        select(_DELIVERIES.c.id)
        .where(wanted, state == DeliveryState.UNKNOWN.value)
        .cte("was_unknown")
    )
    # Both CTEs and the claim see the same snapshot: the claim must leave the rows the first
    # one superseded (a row updated twice in one statement is an error on PostgreSQL).
    route_channel: ColumnElement[str] = literal_column(
        "(deliveries.routes -> deliveries.route_index ->> 'channel')", String()
    )
    return (
        update(DeliveryRow)
        .where(
            wanted,
            claimable(now, state),
            DeliveryRow.id.not_in(select(superseded.c.id)),
        )
        .values(
            state=DeliveryState.SENDING.value,
            claimed_at=now,
            claimed_by=bindparam("owner", type_=String()),
            updated_at=now,
            channel=case(
                (route_channel.in_(sorted(c.value for c in CAPPED_CHANNELS)), route_channel),
                else_=DeliveryRow.channel,
            ),
        )
        .returning(DeliveryRow, DeliveryRow.id.in_(select(was_unknown.c.id)))
        .add_cte(superseded)
        .add_cte(was_unknown)
    )


def _cast(table: Table, name: str, dialect: Dialect) -> str:
    return f"{table.columns[name].type.compile(dialect=dialect)}[]"


def _arrays(
    table: Table, names: Sequence[str], rows: Sequence[Mapping[str, Any]], dialect: Dialect
) -> tuple[str, dict[str, list[Any]]]:
    """`unnest(CAST(%(c0)b AS type[]), …) AS v(name, …)` and its parameters: one array per
    column, each value through the column type's bind processor.

    The arrays go in psycopg's binary format (`%b`): its text format quotes and escapes every
    element in Python, which cost a dispatch batch about 5 ms of client CPU; binary packs them
    (a quarter of that), and the server has no array literal to parse."""
    quote = dialect.identifier_preparer.quote
    params: dict[str, list[Any]] = {}
    casts = []
    for index, name in enumerate(names):
        impl = table.columns[name].type.dialect_impl(dialect)
        processor = impl.bind_processor(dialect)
        values = [row[name] for row in rows]
        params[f"c{index}"] = [processor(v) for v in values] if processor else values
        casts.append(f"CAST(%(c{index})b AS {_cast(table, name, dialect)})")
    columns = ", ".join(quote(name) for name in names)
    return f"unnest({', '.join(casts)}) AS v({columns})", params


def update_by_id(session: Session, table: Table, changes: Sequence[Mapping[str, Any]]) -> None:
    """Apply each change (its "id" and the columns to set) to its row; rows may differ in which
    columns they set. PostgreSQL: one `UPDATE … FROM unnest(…)` per shape; elsewhere one
    executemany per shape."""
    shapes: dict[tuple[str, ...], list[Mapping[str, Any]]] = {}
    for change in changes:
        shapes.setdefault(tuple(sorted(k for k in change if k != "id")), []).append(change)
    connection = session.connection()
    dialect = connection.dialect
    for keys, rows in shapes.items():
        if dialect.name == "postgresql":
            quote = dialect.identifier_preparer.quote
            source, params = _arrays(table, ["id", *keys], rows, dialect)
            into = quote(table.name)
            sets = ", ".join(f"{quote(k)} = v.{quote(k)}" for k in keys)
            # `id = ANY(the ids)` as well as the join: it lets the planner find the rows by
            # the primary key. Joined alone, it hashed a scan of the whole table instead (the
            # table of a first fan-out looks small to it), 8 ms of the server's CPU a batch
            # at 10,000 rows and growing with them, against 3.5 ms by the key.
            # Identifiers from the table's metadata, quoted by the dialect; values are bound.
            statement = (
                f"UPDATE {into} SET {sets} FROM {source}"  # noqa: S608
                f" WHERE {into}.id = v.id AND {into}.id = ANY(%(c0)b)"
            )
            connection.exec_driver_sql(statement, params)
            continue
        connection.execute(
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values({key: bindparam(key) for key in keys}),
            [{"row_id": row["id"], **{key: row[key] for key in keys}} for row in rows],
        )


def insert_many(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert `rows` (each with the same columns): PostgreSQL one `INSERT … SELECT … FROM
    unnest(…)`, elsewhere an executemany."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    if dialect.name != "postgresql":
        connection.execute(insert(table), list(rows))
        return
    names = list(rows[0])
    source, params = _arrays(table, names, rows, dialect)
    quote = dialect.identifier_preparer.quote
    columns = ", ".join(quote(name) for name in names)
    # Identifiers from the table's metadata, quoted by the dialect; values are bound.
    statement = f"INSERT INTO {quote(table.name)} ({columns}) SELECT * FROM {source}"  # noqa: S608
    connection.exec_driver_sql(statement, cast(Any, params))
