"""Recording a webhook's event on PostgreSQL from the event loop (no worker thread, no ORM).

The webhook routes are the API's hot path: a thread hop and a SQLAlchemy ORM insert per
request cost about as much CPU as everything else they do (benchmarks/ingest.py, the README's
"where the time went"). Here it is one statement through psycopg's async connection in
autocommit mode, so the row is committed when the statement returns, with the same dedup rule
as `store.incidents.record_event` (the unique `dedup_key`; a duplicate answers the stored row).

Connections are kept by this small pool rather than psycopg_pool's: that one runs tasks of
its own on the loop that opened it, and the test client runs each request on a loop of its
own. A connection here is used by one request at a time, so it never waits on a lock bound
to another loop. SQLite keeps `record_event` in a worker thread (api/webhooks.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

# One round trip for both outcomes. The SELECT arm finds a row another transaction committed
# before this statement began; one committed concurrently is not in this statement's snapshot,
# so then (rarely) a second SELECT fetches it.
_RECORD = """
WITH inserted AS (
    INSERT INTO events (source, service, dedup_key, kind, payload, actor, received_at)
    VALUES (%(source)s, %(service)s, %(dedup_key)s, 'alert', %(payload)s::json, %(actor)s,
            %(received_at)s)
    ON CONFLICT (dedup_key) DO NOTHING
    RETURNING id
)
SELECT id, true, false FROM inserted
UNION ALL
SELECT id, false, processed_at IS NOT NULL FROM events
WHERE dedup_key = %(dedup_key)s AND NOT EXISTS (SELECT 1 FROM inserted)
"""
_STORED = "SELECT id, false, processed_at IS NOT NULL FROM events WHERE dedup_key = %s"


class _Dropped(Exception):
    """A pooled connection turned out to be dropped by the server: worth one retry."""


@dataclass(frozen=True)
class Recorded:
    event_id: int
    created: bool
    processed: bool


class AsyncEvents:
    """Up to `size` psycopg async connections to the store's PostgreSQL database."""

    def __init__(self, url: str, *, size: int) -> None:
        parsed = make_url(url).set(drivername="postgresql")
        self._conninfo = parsed.render_as_string(hide_password=False)
        self._size = size
        self._idle: list[psycopg.AsyncConnection[Any]] = []
        # Bounds the connections open at once (PostgreSQL's max_connections is shared by
        # every process). A semaphore belongs to one loop: a new loop gets a new one.
        self._limit: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if self._limit is None or self._limit[0] is not loop:
            self._limit = (loop, asyncio.Semaphore(self._size))
        return self._limit[1]

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        async with self._semaphore():
            connection = self._idle.pop() if self._idle else None
            reused = connection is not None
            if connection is None:
                connection = await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True)
            try:
                yield connection
            except psycopg.OperationalError as error:
                if reused and connection.broken:
                    # Kept from before a server restart: the idle ones are dead too.
                    self.dispose()
                    raise _Dropped from error
                raise
            finally:
                if connection.closed or connection.info.transaction_status != 0:  # not IDLE
                    await connection.close()
                else:
                    self._idle.append(connection)

    async def record(
        self, *, source: str, service: str, dedup_key: str, payload_json: str, actor: str
    ) -> Recorded:
        """Insert an alert event (`payload_json` is its JSON text), or find the one stored with
        its dedup key.

        A connection the server dropped (a restart drops them all) is retried once on a new
        one, like `store.engine.retry_if_disconnected`: the insert is idempotent by its key.
        Any other database failure is raised as SQLAlchemy's OperationalError, which the API
        answers 503 as for the rest of the store.
        """
        values = {
            "source": source,
            "service": service,
            "dedup_key": dedup_key,
            # pydantic's own JSON of the event: the same value the ORM path stores (which
            # json.dumps the model's JSON-mode dump), written without a Python round trip.
            "payload": payload_json,
            "actor": actor,
            "received_at": datetime.now(UTC),
        }
        try:
            try:
                return await self._record(values)
            except _Dropped:
                return await self._record(values)
        except psycopg.Error as error:
            raise OperationalError(_RECORD, None, error) from error

    async def _record(self, values: dict[str, Any]) -> Recorded:
        async with self._connection() as connection:
            row = await (await connection.execute(_RECORD, values)).fetchone()
            if row is None:
                stored = await connection.execute(_STORED, (values["dedup_key"],))
                row = await stored.fetchone()
        if row is None:  # pragma: no cover - the row exists: ON CONFLICT found it
            raise psycopg.OperationalError("event vanished between insert and select")
        return Recorded(event_id=int(row[0]), created=bool(row[1]), processed=bool(row[2]))

    def dispose(self) -> None:
        """Close the idle connections (from sync code too: closing needs no round trip)."""
        idle, self._idle = self._idle, []
        for connection in idle:
            connection.pgconn.finish()
