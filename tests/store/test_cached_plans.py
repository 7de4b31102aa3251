"""A fan-out grows `deliveries` and `delivery_attempts` while it runs, far faster than the
planner's statistics follow. psycopg prepares a statement on the server after five executions;
PostgreSQL then tries five custom plans and may settle on a generic one, kept until the table is
next analyzed, made while the tables were small. `benchmarks/fanout.py` under auto_explain caught
the cap's count doing so: a sequential scan of every attempt for each of a batch's 200 people,
682 ms a batch by the end of a fan-out of 10,000 on a young database, and growing with it.

The worker's statements are planned with their values and the tables' sizes of the moment.
The statistics views count what the statement read, whatever its plan."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from outage_notify.store import recipient_cap as cap_store
from outage_notify.store import statistics
from outage_notify.store.engine import transaction
from outage_notify.worker.runtime import WorkerRuntime
from tests.fixtures.settings import build_settings
from tests.store.test_store import _plan

ROOT = Path(__file__).resolve().parents[2]
BATCH = 200  # the people of the batch whose cap is counted
FAN_OUT = 4_000  # everyone else, texted while the batch waits
SENT_IN_BATCH = 10  # of the batch's people, texted already by an earlier update
WARM_UP = 30  # counts before the fan-out grows; well past the 11 a generic plan needs


@pytest.fixture
def runtime(postgres_url: str) -> Iterator[WorkerRuntime]:
    worker = WorkerRuntime(
        build_settings(
            database_url=postgres_url,
            contacts_dir=ROOT / "contacts",
            templates_dir=ROOT / "templates",
        )
    )
    yield worker
    worker.close()


def _attempts_read(session: Session) -> int:
    """Rows of `delivery_attempts` this backend has read, by a sequential scan or through any
    of its indexes (an index-only scan included), and not yet reported to the cumulative
    statistics."""
    return int(
        session.execute(
            text(
                "SELECT (SELECT seq_tup_read FROM pg_stat_xact_user_tables"
                "        WHERE relname = 'delivery_attempts')"
                # idx_tup_read of each index (there is no pg_stat_xact_user_indexes view)
                " + (SELECT coalesce(sum(pg_stat_get_xact_tuples_returned(indexrelid)), 0)"
                "    FROM pg_index WHERE indrelid = 'delivery_attempts'::regclass)"
            )
        ).scalar_one()
    )


def _prepared(session: Session) -> int:
    """Statements prepared on the server by this session's connection."""
    return int(session.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar_one())


def _record_sends(runtime: WorkerRuntime, first: int, last: int, at: datetime) -> None:
    """contact:u{first}..u{last - 1} texted at `at`, as a batch's outcome write leaves them."""
    values = {"at": at, "keys": [f"contact:u{i}" for i in range(first, last)]}
    with transaction(runtime.sessions) as session:
        session.execute(
            text(
                "UPDATE deliveries SET state = 'sent', channel = 'sms', updated_at = :at"
                " WHERE recipient_key = ANY(:keys)"
            ),
            values,
        )
        session.execute(
            text(
                "INSERT INTO delivery_attempts (delivery_id, channel, address, started_at,"
                " finished_at, outcome, provider_id, error_code, error_text)"
                " SELECT id, 'sms', 'x', :at, :at, 'sent', '', '', '' FROM deliveries"
                " WHERE recipient_key = ANY(:keys)"
            ),
            values,
        )


def test_the_caps_count_reads_its_batch_after_the_fan_out_has_grown(
    runtime: WorkerRuntime,
) -> None:
    now = datetime.now(UTC)
    since = now - timedelta(hours=1)
    keys = [f"contact:u{i}" for i in range(BATCH)]

    def count() -> tuple[Counter[str], int]:
        with transaction(runtime.sessions) as session:
            # A difference within one transaction: the counts of earlier ones may not have
            # been flushed from the view yet (at most once a second).
            before = _attempts_read(session)
            spent = cap_store.spent(session, keys, since=since, exclude={-1})
            return spent, _attempts_read(session) - before

    # Autovacuum's ANALYZE would drop a cached plan and hide the fault this test is about.
    with transaction(runtime.sessions) as session:
        session.execute(text("ALTER TABLE delivery_attempts SET (autovacuum_enabled = off)"))
    # The plan: every delivery written, then the statistics refreshed as the plan task does,
    # while no attempt exists yet.
    _plan(runtime.sessions, BATCH + FAN_OUT)
    with transaction(runtime.sessions) as session:
        session.execute(text("UPDATE deliveries SET updated_at = :now"), {"now": now})
    _record_sends(runtime, 0, SENT_IN_BATCH, now - timedelta(minutes=30))
    assert statistics.refresh_after_bulk_load(runtime.engine, BATCH + FAN_OUT)
    # The first batches, on one connection (the pool hands the same one back): a prepared
    # statement would be prepared at the 6th and get its generic plan from the 11th on, made
    # while the table is small.
    for _ in range(WARM_UP):
        assert count()[0] == Counter({f"contact:u{i}": 1 for i in range(SENT_IN_BATCH)})
    # The rest of the fan-out is texted before this batch's turn.
    _record_sends(runtime, BATCH, BATCH + FAN_OUT, now - timedelta(minutes=1))

    spent, read = count()
    with runtime.sessions() as session:
        prepared = _prepared(session)

    assert spent == Counter({f"contact:u{i}": 1 for i in range(SENT_IN_BATCH)})
    # The batch's own attempts (SENT_IN_BATCH, through one index probe a person); a plan made
    # for the empty table read all FAN_OUT attempts for each of the BATCH people (802,000).
    assert read <= BATCH
    assert prepared == 0
