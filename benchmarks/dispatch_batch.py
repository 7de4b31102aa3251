"""A dispatch batch's database work alone, in one process: claim, the recipient cap's reads
and writes, record — what `worker.steps.dispatch` runs around its sends, without the sends.

N SMS-first deliveries are planned into a fresh database (SQLite file, or a throwaway
PostgreSQL database), then claimed and recorded batch by batch (`--batch`, the settings'
default 200) as a worker does: the claim transaction (claim, messages, STOP list, the cap's
channel mark, lock, counts and kinds) and the record transaction (attempts, the deliveries'
next state, early replies). Per batch: wall milliseconds and this process's CPU milliseconds
(the client side: SQLAlchemy, psycopg; the server's CPU is not in it). Medians over the
batches of `--runs` runs. Far less noisy than `fanout.py` on a shared machine, and it
isolates what the store costs a batch:

    .venv/bin/python benchmarks/dispatch_batch.py                  # 10,000 deliveries, both DBs
    PYTHONPATH=/elsewhere/src .venv/bin/python benchmarks/dispatch_batch.py   # another checkout
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from _harness import database, log, median, print_json, print_table, provenance, workspace

from outage_notify.core.models import ChannelName, DeliveryState, Recipient, Route, Severity
from outage_notify.delivery.send import Outcome, Step
from outage_notify.incidents import lifecycle
from outage_notify.messages.planning import PlannedDelivery
from outage_notify.store import acknowledgements, incidents
from outage_notify.store import deliveries as delivery_store
from outage_notify.store import recipient_cap as cap_store
from outage_notify.store.engine import create_session_factory, create_store_engine, transaction

# The incident every run declares (lifecycle.declare's words; severity, ETA and clock below).
DECLARED: dict[str, Any] = {
    "title": "Bench batch",
    "summary": "",
    "components": ["outbound"],
    "actor": "bench",
}


def user(i: int) -> PlannedDelivery:
    """The i-th SMS-first user, Slack second, as benchmarks/_harness.py writes them."""
    routes = (Route(ChannelName.SMS, f"+55119{i:08d}"), Route(ChannelName.SLACK, f"U{i:09d}"))
    return PlannedDelivery(
        "users", Recipient(f"contact:user{i}", f"User {i}", "users", "en", routes)
    )


def plan(sessions: Any, size: int, now: datetime) -> list[int]:
    cadence = dict.fromkeys(Severity, 30)
    decision = lifecycle.declare(
        **DECLARED, severity=Severity.CRITICAL, eta=None, now=now, cadence_minutes=cadence
    )
    with transaction(sessions) as session:
        incident, update = incidents.save_decision(
            session, decision, row=None, now=now, actor="bench"
        )
        assert incident is not None and update is not None
        return delivery_store.insert_deliveries(
            session,
            (user(i) for i in range(size)),
            update_id=update.id,
            incident_id=incident.id,
            now=now,
        )


def one_batch(sessions: Any, ids: list[int]) -> None:
    """The store calls of one `dispatch` (and its `apply_cap`, `write_outcomes`), in order."""
    now = datetime.now(UTC)
    with transaction(sessions) as session:
        claimed, _ = delivery_store.claim(session, ids, now=now, owner="bench@host:1")
        delivery_store.messages_for(session, claimed)
        acknowledgements.opted_out(session, (r.routes[r.route_index]["address"] for r in claimed))
        cap_store.mark_capped_channel(session, claimed)
        keys = {r.recipient_key for r in claimed}
        cap_store.lock_recipients(session, keys)
        cap_store.spent(
            session, keys, since=now - timedelta(hours=1), exclude={r.id for r in claimed}
        )
        cap_store.update_kinds(session, claimed)
    finished = datetime.now(UTC)
    results = [
        (
            Outcome(row.id, "sms", row.routes[0]["address"], now, finished, "sent", f"SM{row.id}"),
            Step(DeliveryState.SENT, 0, 1, route_started_at=now),
        )
        for row in claimed
    ]
    with transaction(sessions) as session:
        delivery_store.record(session, results, now=finished)
        acknowledgements.acknowledge_early_replies(
            session, [(o.address, o.started_at) for o, _ in results]
        )


def run(kind: str, folder: Any, args: argparse.Namespace) -> dict[str, Any]:
    walls: list[float] = []
    cpus: list[float] = []
    with database(kind, folder) as db:
        engine = create_store_engine(db.url)
        sessions = create_session_factory(engine)
        try:
            for number in range(args.runs):
                db.empty()
                ids = plan(sessions, args.size, datetime.now(UTC))
                for start in range(0, len(ids), args.batch):
                    wall, cpu = time.perf_counter(), time.process_time()
                    one_batch(sessions, ids[start : start + args.batch])
                    walls.append((time.perf_counter() - wall) * 1000)
                    cpus.append((time.process_time() - cpu) * 1000)
                log(f"{kind} run {number + 1}: median {statistics.median(walls):.1f} ms a batch")
        finally:
            engine.dispose()
    return {
        "db": kind,
        "batches": len(walls),
        "wall_ms_per_batch": median(walls),
        "cpu_ms_per_batch": median(cpus),
        "wall_ms_p90": sorted(walls)[int(len(walls) * 0.9)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=10_000, help="deliveries per run")
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dbs", default="sqlite,postgresql")
    args = parser.parse_args()
    origin = provenance()
    results = []
    with workspace("dispatch_batch") as (folder, _):
        for kind in [d for d in args.dbs.split(",") if d]:
            results.append(run(kind, folder, args))
    print_table(
        f"a dispatch batch's store work ({args.batch} deliveries; medians over "
        f"{args.runs} x {args.size // args.batch} batches); commit {origin['commit']}, "
        f"1-min load {origin['load_at_start']:.1f}",
        ["db", "batches", "wall ms/batch", "p90 wall ms", "client CPU ms/batch"],
        [
            [
                r["db"],
                str(r["batches"]),
                r["wall_ms_per_batch"],
                r["wall_ms_p90"],
                r["cpu_ms_per_batch"],
            ]
            for r in results
        ],
    )
    print_json({"benchmark": "dispatch_batch", **origin, "results": results})


if __name__ == "__main__":
    main()
