"""One page of a table's rows, newest first, with how many rows there are in all (the API's
list endpoints: `GET /api/v1/events`, `GET /api/v1/incidents`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

Row = TypeVar("Row")


def newest_first(
    session: Session,
    table: type[Row],
    row_id: InstrumentedAttribute[Any],
    *conditions: ColumnElement[bool],
    limit: int,
    offset: int,
) -> tuple[Sequence[Row], int]:
    """The rows of `table` meeting every one of `conditions`, by `row_id` descending: the page
    `limit`/`offset` selects, and the count of them all."""
    statement = select(table).where(*conditions).order_by(row_id.desc())
    counting = select(func.count()).select_from(table).where(*conditions)
    rows = session.scalars(statement.limit(limit).offset(offset)).all()
    return rows, session.scalar(counting) or 0
