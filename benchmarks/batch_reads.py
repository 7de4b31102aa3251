"""Whether a dispatch batch's reads grow with the fan-out or with history (PostgreSQL).

Two statements run for every batch of every fan-out, so what they read must be the batch, not
the table:

- the claim of 200 deliveries out of N planned, with the planner's statistics taken before the
  plan (a large table, where a plan under a tenth of it is not re-analyzed:
  store/statistics.py) and taken after it (a young table);
- the per-person cap's count (`recipient_cap.spent`) for 200 people who each had K deliveries
  in earlier incidents, none of them in the last hour.

Each is timed in wall milliseconds on one connection, the claim rolled back after every try
(median of --tries). A figure that grows with N or K is a read that grows with it.

    .venv/bin/python benchmarks/batch_reads.py          # N 10,000 and 50,000; K 10 and 400
    PYTHONPATH=/elsewhere/src .venv/bin/python benchmarks/batch_reads.py   # another checkout
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from _harness import database, log, print_json, print_table, provenance, workspace
from dispatch_batch import plan
from sqlalchemy import text, update

from outage_notify.core.models import DeliveryState
from outage_notify.store import deliveries as delivery_store
from outage_notify.store import recipient_cap as cap_store
from outage_notify.store.engine import create_session_factory, create_store_engine, transaction
from outage_notify.store.tables import DeliveryRow

BATCH = 200


def _analyze(sessions: Any) -> None:
    with transaction(sessions) as session:
        session.execute(text("ANALYZE deliveries"))
        session.execute(text("ANALYZE delivery_attempts"))


def claim_ms(sessions: Any, size: int, *, stale: bool, tries: int) -> float:
    """The claim of a batch of `size` planned deliveries; `stale`: statistics from before."""
    now = datetime.now(UTC)
    if stale:
        # What the last ANALYZE saw: an earlier incident's deliveries, all sent.
        history = plan(sessions, size, now)
        with transaction(sessions) as session:
            session.execute(
                update(DeliveryRow)
                .where(DeliveryRow.id.in_(history))
                .values(state=DeliveryState.SENT.value)
            )
        _analyze(sessions)
    ids = plan(sessions, size, now)
    if not stale:
        _analyze(sessions)
    times = []
    for start in range(0, min(tries, size // BATCH) * BATCH, BATCH):
        with sessions() as session:
            began = time.perf_counter()
            delivery_store.claim(session, ids[start : start + BATCH], now=now, owner="bench@h:1")
            times.append((time.perf_counter() - began) * 1000)
            session.rollback()
    return statistics.median(times)


def spent_ms(sessions: Any, history: int, *, tries: int) -> float:
    """The cap's count for BATCH people with `history` old deliveries each."""
    now = datetime.now(UTC)
    old = now - timedelta(days=2)
    for _ in range(history):
        plan(sessions, BATCH, old)
    with transaction(sessions) as session:
        session.execute(update(DeliveryRow).values(state="sent", updated_at=old))
        session.execute(
            text(
                "INSERT INTO delivery_attempts (delivery_id, channel, address, started_at,"
                " finished_at, outcome, provider_id, error_code, error_text)"
                " SELECT id, 'sms', 'x', :old, :old, 'sent', '', '', '' FROM deliveries"
            ),
            {"old": old},
        )
    _analyze(sessions)
    keys = [f"contact:user{i}" for i in range(BATCH)]
    times = []
    for _ in range(tries):
        with sessions() as session:
            began = time.perf_counter()
            cap_store.spent(session, keys, since=now - timedelta(hours=1), exclude={-1})
            times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,50000", help="planned deliveries (N)")
    parser.add_argument("--histories", default="10,400", help="past deliveries a person (K)")
    parser.add_argument("--tries", type=int, default=10)
    args = parser.parse_args()
    origin = provenance()
    rows: list[list[Any]] = []
    results: list[dict[str, Any]] = []

    def fresh(measure: Any) -> float:
        with workspace("batch-reads") as (folder, _), database("postgresql", folder) as db:
            engine = create_store_engine(db.url)
            try:
                return float(measure(create_session_factory(engine)))
            finally:
                engine.dispose()

    for size in (int(s) for s in args.sizes.split(",") if s):
        for stale in (True, False):
            ms = fresh(lambda s, n=size, st=stale: claim_ms(s, n, stale=st, tries=args.tries))
            what = f"claim {BATCH} of {size:,} planned, statistics {'before' if stale else 'after'}"
            log(f"{what}: {ms:.1f} ms")
            rows.append([what, ms])
            results.append({"statement": "claim", "n": size, "stale": stale, "ms": ms})
    for history in (int(k) for k in args.histories.split(",") if k):
        ms = fresh(lambda s, k=history: spent_ms(s, k, tries=args.tries))
        what = f"cap count, {BATCH} people with {history} past deliveries each"
        log(f"{what}: {ms:.1f} ms")
        rows.append([what, ms])
        results.append({"statement": "spent", "history": history, "ms": ms})
    print_table(
        f"a batch's reads on PostgreSQL (medians of {args.tries}); commit {origin['commit']}",
        ["statement", "wall ms"],
        rows,
    )
    print_json({"benchmark": "batch_reads", **origin, "results": results})


if __name__ == "__main__":
    main()
