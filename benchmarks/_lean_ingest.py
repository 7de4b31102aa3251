"""The ingest ceiling ingest.py compares with: the least an Alertmanager receiver can do.

A FastAPI app with a pydantic model of the Alertmanager v4 payload, a Bearer token compared
with the one configured, and one `INSERT … ON CONFLICT (dedup_key) DO NOTHING RETURNING id`
through an async psycopg pool (autocommit: the row is committed before the answer). The dedup
key follows outage_notify's rule (group, status, and each alert's fingerprint, start and end),
so a re-sent payload is answered "duplicate" without a second row. Nothing else: no roles, no
body limit, no broker, no logging. So this is an upper bound for one process.

Run by ingest.py under uvicorn (cwd benchmarks/), with LEAN_DATABASE_URL (a PostgreSQL URL)
and LEAN_TOKEN in the environment; `--workers N` as for `outage-notify serve`.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Literal

from fastapi import FastAPI, HTTPException, Request, status
from psycopg_pool import AsyncConnectionPool
from pydantic import BaseModel, ConfigDict, Field

TABLE = "lean_events"
POOL_SIZE = 40  # at most as many connections as outage_notify's API keeps
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


class Alert(BaseModel):
    model_config = ConfigDict(extra="allow")

    status: Literal["firing", "resolved"]
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    startsAt: datetime
    endsAt: datetime | None = None
    generatorURL: str = ""
    fingerprint: str = ""


class Payload(BaseModel):
    model_config = ConfigDict(extra="allow")

    version: Literal["4"]
    groupKey: str = Field(min_length=1)
    status: Literal["firing", "resolved"]
    receiver: str = ""
    truncatedAlerts: int = 0
    groupLabels: dict[str, str] = Field(default_factory=dict)
    commonLabels: dict[str, str] = Field(default_factory=dict)
    commonAnnotations: dict[str, str] = Field(default_factory=dict)
    externalURL: str = ""
    alerts: list[Alert] = Field(min_length=1)


class Answer(BaseModel):
    status: str
    event_id: int | None = None


def dedup_key(payload: Payload) -> str:
    alerts = sorted(
        (a.fingerprint, a.startsAt.isoformat(), a.endsAt.isoformat() if a.endsAt else "")
        for a in payload.alerts
    )
    material = json.dumps([payload.groupKey, payload.status, alerts], separators=(",", ":"))
    return "alertmanager:" + hashlib.sha256(material.encode()).hexdigest()


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
async def webhook(request: Request, payload: Payload) -> Answer:
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
