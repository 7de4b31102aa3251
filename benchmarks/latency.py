"""Latency: webhook → the first provider request for that incident, idle and during a fan-out.

Contacts: one manager (SMS first) whom routing tells about everything, and --background users
told only about incidents with the component `bulk`. Each probe is a generic webhook with its
own `service` (incidents group per service), so each opens its own incident whose `opened` goes
to the manager alone; its title carries a token, found again in the SMS body at the fake.
Probes are sent open-loop every --interval seconds (not waiting for the previous one).

Per run: --probes probes with nothing else going on (idle), then --probes probes while a
--background-user fan-out is running (loaded): the fan-out is declared first, and whenever one
finishes before the probes are all out another is declared (on another service), so every
loaded probe meets a fan-out in progress.

Workers (distributed mode): by default in the lane layout of docker-compose.yml, --workers bulk
workers on `outage_notify.dispatch` alone at nice 10 plus one lane worker (2 children) on
`outage_notify.urgent` and `outage_notify.events`; --no-lanes: --workers workers on every queue.

    .venv/bin/python benchmarks/latency.py                        # 20,000-user background
    .venv/bin/python benchmarks/latency.py --background 100000
    .venv/bin/python benchmarks/latency.py --no-lanes             # every worker on every queue
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

from _harness import (
    MONITOR_TOKEN,
    REDIS_URL,
    Api,
    Database,
    Fakes,
    Processes,
    database,
    flush_redis,
    log,
    median,
    percentile,
    print_json,
    print_table,
    service_env,
    start_workers,
    wait_for,
    wait_workers_ready,
    workspace,
    write_contacts,
)

PENDING = "('planned', 'sending', 'unknown')"


def probe(api: Api, token: str) -> float:
    """Post one generic webhook; return when it was sent (epoch seconds)."""
    sent = time.time()
    response = api.http.post(
        "/api/v1/webhooks/generic",
        headers={"Authorization": f"Bearer {MONITOR_TOKEN}"},
        json={
            "source": "bench",
            "dedup_key": token,
            "status": "firing",
            "severity": "major",
            "summary": f"Latency probe {token}",
            "components": ["probe"],
            "service": f"svc-{token}",
        },
    )
    if response.status_code != 202:
        raise RuntimeError(f"webhook answered {response.status_code}: {response.text}")
    return sent


def collect(fakes: Fakes, phone: str, sent: dict[str, float], timeout: float) -> dict[str, float]:
    """Seconds from each probe's webhook to its first SMS at the fake (missing: not arrived)."""
    found: dict[str, float] = {}

    def arrived() -> bool:
        for record in fakes.records_to(phone):
            for token in sent:
                if token in record["body"] and (token not in found or record["at"] < found[token]):
                    found[token] = record["at"]
        return len(found) == len(sent)

    try:
        wait_for(arrived, timeout=timeout, interval=0.25, what="every probe's message")
    except TimeoutError as error:
        log(f"{error}: {len(sent) - len(found)} probe(s) missing")
    return {token: found[token] - sent[token] for token in found}


def idle_phase(
    api: Api, fakes: Fakes, phone: str, run: int, args: argparse.Namespace, prefix: str = "i"
) -> dict[str, float]:
    sent: dict[str, float] = {}
    start = time.monotonic()
    for i in range(args.probes if prefix == "i" else 30):
        time.sleep(max(0.0, start + i * args.interval - time.monotonic()))
        token = f"LP{run:02d}{prefix}{i:04d}Z"
        sent[token] = probe(api, token)
    return collect(fakes, phone, sent, timeout=120)


def loaded_phase(
    api: Api, db: Database, fakes: Fakes, phone: str, run: int, args: argparse.Namespace
) -> tuple[dict[str, float], int]:
    """Probes while fan-outs run; returns the latencies and how many fan-outs it took."""
    sent: dict[str, float] = {}
    fanouts = 0
    target = 0
    baseline = fakes.count()
    start = time.monotonic()
    i = 0
    deadline = time.monotonic() + 600
    while len(sent) < args.probes and time.monotonic() < deadline:
        # Users' messages so far (the manager's own are few and counted generously).
        if fakes.count() - baseline >= target:
            fanouts += 1
            target += args.background + 1
            title = f"Background fan-out {fanouts}"
            api.declare(title=title, components=["bulk"], service=f"bulk-{fanouts}")
            log(f"background fan-out {fanouts} declared ({args.background:,} users)")
            start = time.monotonic() - i * args.interval
        time.sleep(max(0.0, start + i * args.interval - time.monotonic()))
        token = f"LP{run:02d}l{i:04d}Z"
        sent[token] = probe(api, token)
        i += 1
    latencies = collect(fakes, phone, sent, timeout=300)
    # Every background message out (deliveries may not even be planned yet), then recorded.
    fakes.wait_count(baseline + fanouts * args.background, timeout=900, interval=0.5)
    wait_for(
        lambda: db.scalar(f"SELECT count(*) FROM deliveries WHERE state IN {PENDING}") == 0,
        timeout=600,
        interval=0.5,
        what="the background fan-out to finish",
    )
    return latencies, fanouts


def stats(latencies: dict[str, float], expected: int) -> dict[str, Any]:
    values = list(latencies.values())
    return {
        "p50_ms": (percentile(values, 50) or 0) * 1000 if values else None,
        "p99_ms": (percentile(values, 99) or 0) * 1000 if values else None,
        "max_ms": max(values) * 1000 if values else None,
        "missing": expected - len(values),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--probes", type=int, default=200)
    parser.add_argument("--background", type=int, default=20_000, help="users in the fan-out")
    parser.add_argument("--interval", type=float, default=0.25, help="seconds between probes")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", default="postgresql", choices=["postgresql", "sqlite"])
    parser.add_argument("--mode", default="distributed", choices=["distributed", "embedded"])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-concurrency", type=int, default=4)
    parser.add_argument(
        "--lanes",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="bulk workers on the dispatch queue at nice 10 + one lane worker on the urgent and "
        "events queues, as docker-compose.yml (default); --no-lanes: every worker on every queue",
    )
    args = parser.parse_args()
    runs: list[dict[str, Any]] = []
    with workspace("latency") as (folder, processes):
        fakes = Fakes(processes)
        contacts, phones = write_contacts(folder, args.background, managers=1, users_when="bulk")
        try:
            with database(args.db, folder) as db:
                runs = measure(args, folder, processes, fakes, db, contacts, phones[0])
        finally:
            fakes.close()
            flush_redis()
    rows = []
    summary: dict[str, Any] = {}
    for phase in ("idle", "loaded"):
        p50 = median(r[phase]["p50_ms"] for r in runs)
        p99 = median(r[phase]["p99_ms"] for r in runs)
        worst = median(r[phase]["max_ms"] for r in runs)
        missing = sum(r[phase]["missing"] for r in runs)
        summary[phase] = {"p50_ms": p50, "p99_ms": p99, "max_ms": worst, "missing": missing}
        rows.append([phase, f"{args.probes}", p50, p99, worst, str(missing)])
    print_table(
        f"webhook → first SMS, {args.mode}/{args.db}, {describe_layout(args)}, "
        f"background {args.background:,} users: medians of {args.runs} run(s) "
        f"({os.cpu_count()} cores, shared machine)",
        ["phase", "probes/run", "p50 ms", "p99 ms", "max ms", "missing (all runs)"],
        rows,
    )
    print_json(
        {
            "benchmark": "latency",
            "mode": args.mode,
            "db": args.db,
            "layout": layout(args),
            "workers": args.workers if args.mode == "distributed" else 0,
            "worker_concurrency": args.worker_concurrency,
            "background": args.background,
            "probes": args.probes,
            "interval_s": args.interval,
            "runs": args.runs,
            "cpus": os.cpu_count(),
            **summary,
            "per_run": runs,
        }
    )


def layout(args: argparse.Namespace) -> str:
    """`lanes`, `all-queues` (--no-lanes) or `embedded`."""
    if args.mode != "distributed":
        return "embedded"
    return "lanes" if args.lanes else "all-queues"


def describe_layout(args: argparse.Namespace) -> str:
    workers = f"{args.workers} worker(s) x {args.worker_concurrency}"
    return {
        "embedded": "embedded worker",
        "lanes": f"lanes: {workers} on dispatch at nice 10 + 1 x 2 on urgent,events",
        "all-queues": f"no lanes: {workers} on every queue",
    }[layout(args)]


def measure(
    args: argparse.Namespace,
    folder: Path,
    processes: Processes,
    fakes: Fakes,
    db: Database,
    contacts: Path,
    phone: str,
) -> list[dict[str, Any]]:
    flush_redis()
    distributed = args.mode == "distributed"
    env = service_env(
        database_url=db.url,
        broker_url=REDIS_URL if distributed else "",
        contacts_dir=contacts,
        fakes=fakes,
        OUTAGE_NOTIFY_WORKER_CONCURRENCY=str(args.worker_concurrency),
    )
    workers: list[str] = []
    if distributed:
        workers = start_workers(
            processes,
            env,
            workers=args.workers,
            concurrency=args.worker_concurrency,
            beat=True,
            lanes=args.lanes,
        )
    api = Api(processes, env)
    if workers:
        # The lane worker, when there is one, answers too.
        wait_workers_ready(processes, len(workers))
    runs = []
    try:
        # Warm-up (not counted): each worker child builds its channels on its first task.
        idle_phase(api, fakes, phone, 99, args, prefix="w")
        for run in range(args.runs):
            db.empty()
            fakes.reset()
            idle = stats(idle_phase(api, fakes, phone, run, args), args.probes)
            log(f"run {run + 1} idle: {idle}")
            latencies, fanouts = loaded_phase(api, db, fakes, phone, run, args)
            loaded = stats(latencies, args.probes)
            log(f"run {run + 1} loaded ({fanouts} fan-out(s)): {loaded}")
            runs.append({"idle": idle, "loaded": {**loaded, "fanouts": fanouts}})
    finally:
        api.close()
    return runs


if __name__ == "__main__":
    main()
