"""The ingest ceiling ingest.py compares with: the least an Alertmanager receiver can do.

A FastAPI app with outage_notify's pydantic model of the Alertmanager v4 payload, a Bearer
token compared with the one configured, and one `INSERT … ON CONFLICT (dedup_key) DO NOTHING
RETURNING id` through an async psycopg pool (autocommit: the row is committed before the
answer). The dedup key is outage_notify's (`group_digest`: group, status, and each alert's
fingerprint, start and end), so a re-sent payload is answered "duplicate" without a second row.
Nothing else: no roles, no body limit, no broker, no logging, no event normalisation. So this
is an upper bound for one process.

Run by ingest.py under uvicorn (cwd benchmarks/), with LEAN_DATABASE_URL (a PostgreSQL URL)
and LEAN_TOKEN in the environment; `--workers N` as for `outage-notify serve`.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException, Request, status
from psycopg_pool import AsyncConnectionPool
from pydantic import BaseModel

# The same payload model as the service's route, and the same dedup rule: the ceiling parses
# what ours parses.
from outage_notify.ingest.alertmanager import AlertmanagerPayload, group_digest

TABLE = "lean_events"
# At most as many connections as outage_notify's API keeps (40 threads' pool); fewer when
# ingest.py runs several processes, so that all fit in the server's max_connections.
POOL_SIZE = int(os.environ.get("LEAN_POOL_SIZE", "40"))
CREATE = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    id BIGSERIAL PRIMARY KEY,
    dedup_key VARCHAR(200) NOT NULL UNIQUE,
    payload JSONB NOT NULL,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now()
)
"""
INSERT = (
    f"INSERT INTO {TABLE} (dedup_key, payload) VALUES (%s, %s) "
    "ON CONFLICT (dedup_key) DO NOTHING RETURNING id"
)


class Answer(BaseModel):
    status: str
    event_id: int | None = None


def dedup_key(payload: AlertmanagerPayload) -> str:
    return "alertmanager:" + group_digest(payload.groupKey, payload)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    url = os.environ["LEAN_DATABASE_URL"]
    async with AsyncConnectionPool(
        url, min_size=4, max_size=POOL_SIZE, kwargs={"autocommit": True}, open=False
    ) as pool:
        async with pool.connection() as connection:
            await connection.execute(CREATE)
        app.state.pool = pool
        yield


app = FastAPI(lifespan=lifespan)
TOKEN = os.environ.get("LEAN_TOKEN", "")


@app.post("/webhook", status_code=status.HTTP_202_ACCEPTED)
async def webhook(request: Request, payload: AlertmanagerPayload) -> Answer:
    if request.headers.get("authorization", "") != f"Bearer {TOKEN}":
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "invalid token")
    pool: AsyncConnectionPool = request.app.state.pool
    async with pool.connection() as connection:
        cursor = await connection.execute(INSERT, (dedup_key(payload), payload.model_dump_json()))
        row = await cursor.fetchone()
    if row is None:
        return Answer(status="duplicate")
    return Answer(status="accepted", event_id=row[0])


@app.get("/readyz")
async def readyz() -> dict[str, str]:
    return {"status": "ok"}
