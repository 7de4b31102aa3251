"""Ingest: Alertmanager webhooks/s and response time at concurrency 32, a quarter duplicates.

Against a real `outage-notify serve` process in distributed mode (Redis broker, PostgreSQL or
SQLite) with no worker: each accepted event is committed and queued, nothing processes it.
Every 4th request (by default) re-sends an earlier payload byte for byte, as Alertmanager
retries and HA peers do; the API must answer it 2xx ("duplicate") without a second event.
The client is aiohttp in this process, --concurrency requests in flight, after a warm-up.

In the same run, right after each of ours, the *ceiling*: benchmarks/_lean_ingest.py (FastAPI,
a pydantic model of the payload, one INSERT … ON CONFLICT DO NOTHING RETURNING through an async
psycopg pool) under uvicorn with as many processes, on the same database, with the same client
and payloads. It is started for its run alone, after ours let go of its idle connections, so
that with 4 processes both fit in PostgreSQL's default 100 connections. The table prints
ours / ceiling (throughput, p99, API CPU per request) as medians of the per-run ratios, the
commit and the machine's load average.

    .venv/bin/python benchmarks/ingest.py
    .venv/bin/python benchmarks/ingest.py --api-processes 2
    .venv/bin/python benchmarks/ingest.py --requests 10000 --db sqlite
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import httpx
from _harness import (
    BENCH_DIR,
    MONITOR_TOKEN,
    REDIS_URL,
    ROOT,
    Api,
    Processes,
    database,
    flush_redis,
    free_port,
    group_pids,
    log,
    median,
    percentile,
    print_json,
    print_table,
    service_env,
    wait_for,
    workspace,
    write_contacts,
)


def payload(i: int, seed: int) -> bytes:
    """One distinct Alertmanager v4 notification (its own group and fingerprint)."""
    fingerprint = f"{seed:04x}{i:012x}"
    alert = {
        "status": "firing",
        "labels": {
            "alertname": f"BenchAlert{i}",
            "severity": "critical",
            "component": "inbound",
            "service": "email",
            "instance": f"mx{i % 7}.example.org",
        },
        "annotations": {"summary": f"Inbound mail queue is growing ({i})"},
        "startsAt": "2026-01-01T10:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.example/graph?g0.expr=up",
        "fingerprint": fingerprint,
    }
    body = {
        "version": "4",
        "groupKey": f'{{}}:{{alertname="BenchAlert{i}",seed="{seed}"}}',
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": "outage-notify",
        "groupLabels": {"alertname": f"BenchAlert{i}"},
        "commonLabels": alert["labels"],
        "commonAnnotations": alert["annotations"],
        "externalURL": "http://alertmanager.example",
        "alerts": [alert],
    }
    return json.dumps(body).encode()


def cpu_seconds(leader: int) -> float:
    """User + system CPU time of a process group so far (the API and any uvicorn workers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in group_pids(leader):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15 of stat)
    return total / ticks


def workload(count: int, duplicates: float, seed: int) -> list[tuple[bytes, bool]]:
    """`count` request bodies; a `duplicates` share repeats an earlier one."""
    rng = random.Random(seed)
    sent: list[bytes] = []
    out: list[tuple[bytes, bool]] = []
    every = round(1 / duplicates) if duplicates > 0 else 0
    for i in range(count):
        if every and sent and i % every == every - 1:
            out.append((rng.choice(sent[-200:]), True))
        else:
            body = payload(len(sent), seed)
            sent.append(body)
            out.append((body, False))
    return out


async def blast(
    url: str, bodies: list[tuple[bytes, bool]], concurrency: int
) -> tuple[float, list[float], dict[str, int]]:
    """Post every body, `concurrency` at a time; wall time, latencies, answers by kind."""
    headers = {"Authorization": f"Bearer {MONITOR_TOKEN}", "Content-Type": "application/json"}
    latencies: list[float] = []
    answers: dict[str, int] = {}
    queue = iter(bodies)
    connector = aiohttp.TCPConnector(limit=concurrency)
    # A request unanswered for a minute fails the run (and its processes are stopped) rather
    # than hanging it.
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def worker() -> None:
            for body, _duplicate in queue:
                started = time.perf_counter()
                async with session.post(url, data=body, headers=headers) as response:
                    text = await response.read()
                latencies.append(time.perf_counter() - started)
                kind = str(response.status)
                if response.status == 202:
                    kind = json.loads(text).get("status", kind)
                answers[kind] = answers.get(kind, 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - started
    return wall, latencies, answers


class Lean:
    """The ceiling: benchmarks/_lean_ingest.py under uvicorn, on the same database."""

    def __init__(self, processes: Processes, db_url: str, workers: int) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/webhook"
        # Its best pool (40, as before) where PostgreSQL's 100 connections allow, with a few
        # left for the harness.
        pool = min(40, 88 // workers)
        env = {**os.environ, "LEAN_DATABASE_URL": db_url, "LEAN_TOKEN": MONITOR_TOKEN}
        env["LEAN_POOL_SIZE"] = str(pool)
        argv = [sys.executable, "-m", "uvicorn", "_lean_ingest:app", "--port", str(self.port)]
        argv += ["--log-level", "warning", "--no-access-log", "--workers", str(workers)]
        self.process = processes.start("lean", argv, env=env, cwd=BENCH_DIR)
        http = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=10)

        def ready() -> bool:
            processes.check()
            try:
                return http.get("/readyz").status_code == 200
            except httpx.TransportError:
                return False

        try:
            wait_for(ready, timeout=60, interval=0.2, what="the lean ingest app")
        finally:
            http.close()


def measure(
    url: str, leader: int, args: argparse.Namespace, run: int, count: Callable[[], int]
) -> dict[str, Any]:
    """One warm-up and one measured blast at `url`; figures of that blast."""
    # At full concurrency: both pools hold as many connections as the timed run needs.
    asyncio.run(blast(url, workload(args.warmup, 0, 10_000 + run), args.concurrency))
    before = count()
    bodies = workload(args.requests, args.duplicates, run)
    cpu_before = cpu_seconds(leader)
    wall, latencies, answers = asyncio.run(blast(url, bodies, args.concurrency))
    cpu = cpu_seconds(leader) - cpu_before
    return {
        "per_s": len(latencies) / wall,
        "p50_ms": (percentile(latencies, 50) or 0) * 1000,
        "p99_ms": (percentile(latencies, 99) or 0) * 1000,
        "max_ms": max(latencies) * 1000,
        # CPU the API spent per request: less sensitive to a loaded machine.
        "api_cpu_ms": cpu / len(latencies) * 1000,
        "answers": answers,
        "new_events": count() - before,
        "unique_payloads": sum(1 for _, duplicate in bodies if not duplicate),
    }


# Each app's connections carry its name, so that ours can be told to let go of its idle ones
# before the ceiling runs (it reconnects in its next warm-up, as after a database restart).
OURS, LEAN = "bench_outage_notify", "bench_lean_ingest"


def named(url: str, application: str) -> str:
    """`url` with `application_name` set (PostgreSQL; a SQLite URL as it is)."""
    if not url.startswith("postgresql"):
        return url
    return f"{url}{'&' if '?' in url else '?'}application_name={application}"


def close_idle(db: Any, application: str) -> None:
    """End `application`'s idle connections (it reconnects in its next warm-up)."""
    if db.kind != "postgresql":
        return
    db.scalar(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE application_name = :name AND state = 'idle'",
        name=application,
    )


def commit() -> str:
    try:
        found = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return found.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=5000, help="per run, after warm-up")
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--duplicates", type=float, default=0.25)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", default="postgresql", choices=["postgresql", "sqlite"])
    parser.add_argument(
        "--api-processes",
        "--api-workers",
        dest="api_processes",
        type=int,
        default=1,
        help="`outage-notify serve --workers N` (and uvicorn --workers N for the ceiling)",
    )
    parser.add_argument(
        "--no-ceiling", action="store_true", help="skip the lean app (always on SQLite)"
    )
    args = parser.parse_args()
    ceiling_on = not args.no_ceiling and args.db == "postgresql"
    load_before = os.getloadavg()
    ours: list[dict[str, Any]] = []
    lean: list[dict[str, Any]] = []
    with workspace("ingest") as (folder, processes):
        contacts, _ = write_contacts(folder, 10, managers=1)
        with database(args.db, folder) as db:
            flush_redis()
            env = service_env(
                database_url=named(db.url, OURS),
                broker_url=REDIS_URL,
                contacts_dir=contacts,
                fakes=None,
            )
            workers = ["--workers", str(args.api_processes)] if args.api_processes > 1 else []
            api = Api(processes, env, serve_args=workers)
            url = f"http://127.0.0.1:{api.port}/api/v1/webhooks/alertmanager"
            try:
                for run in range(args.runs):
                    db.empty()
                    flush_redis()
                    result = measure(
                        url,
                        api.process.pid,
                        args,
                        run,
                        lambda: int(db.scalar("SELECT count(*) FROM events")),
                    )
                    if ceiling_on:
                        # Right after ours: the machine's load drifts, so each run is compared
                        # with its own ceiling. Started for its run alone, on the connections
                        # ours leaves idle (with --api-processes 4, both apps' pools would not
                        # fit in PostgreSQL's default max_connections of 100).
                        close_idle(db, OURS)
                        ceiling = Lean(processes, named(db.url, LEAN), args.api_processes)
                        try:
                            with db.reader().begin() as connection:
                                connection.exec_driver_sql("TRUNCATE lean_events")
                            bound = measure(
                                ceiling.url,
                                ceiling.process.pid,
                                args,
                                run,
                                lambda: int(db.scalar("SELECT count(*) FROM lean_events")),
                            )
                        finally:
                            processes.stop("lean")
                        result["throughput_ratio"] = result["per_s"] / bound["per_s"]
                        result["p99_ratio"] = result["p99_ms"] / bound["p99_ms"]
                        # Steadier than throughput on a shared machine, where the scheduler's
                        # share of the cores (per thread) sets the pace more than the code does.
                        result["cpu_ratio"] = result["api_cpu_ms"] / bound["api_cpu_ms"]
                        log(f"ceiling run {run + 1}: {bound}")
                        lean.append(bound)
                    log(f"run {run + 1}: {result}")
                    ours.append(result)
                # With --api-processes N: the largest of the supervisor and its workers.
                peaks = processes.peak_rss("api")
                rss = max(peaks["main"], peaks["max_child"])
            finally:
                api.close()
                processes.stop_all()
                flush_redis()
    keys = ("per_s", "p50_ms", "p99_ms", "max_ms", "api_cpu_ms")
    summary = {key: median(r[key] for r in ours) for key in keys}
    bound_summary = {key: median(r[key] for r in lean) for key in keys}
    ratios = {
        "throughput_ratio": median(r.get("throughput_ratio") for r in ours),
        "p99_ratio": median(r.get("p99_ratio") for r in ours),
        "cpu_ratio": median(r.get("cpu_ratio") for r in ours),
    }
    load = os.getloadavg()
    columns = ["", "webhooks/s", "p50 ms", "p99 ms", "max ms", "API CPU ms/request"]
    rows: list[list[Any]] = [["outage_notify", *(summary[k] for k in keys)]]
    if lean:
        rows.append(["ceiling (lean FastAPI)", *(bound_summary[k] for k in keys)])
        rows.append(
            [
                "ours / ceiling",
                ratios["throughput_ratio"],
                "",
                ratios["p99_ratio"],
                "",
                ratios["cpu_ratio"],
            ]
        )
    print_table(
        f"Alertmanager ingest, {args.db}, {args.api_processes} API process(es), "
        f"concurrency {args.concurrency}, {args.duplicates:.0%} duplicates, "
        f"{args.requests:,} requests/run: medians of {args.runs} run(s)",
        columns,
        rows,
    )
    print(
        f"commit {commit()}; {os.cpu_count()} CPUs; load average "
        f"{load_before[0]:.2f} before, {load[0]:.2f} after (1 min); "
        f"API peak RSS {rss:.0f} MB"
    )
    print_json(
        {
            "benchmark": "ingest",
            "commit": commit(),
            "db": args.db,
            "api_processes": args.api_processes,
            "concurrency": args.concurrency,
            "duplicates": args.duplicates,
            "requests": args.requests,
            "runs": args.runs,
            "cpus": os.cpu_count(),
            "load_average": {"before": load_before, "after": load},
            **summary,
            **ratios,
            "ceiling": bound_summary if lean else None,
            "api_peak_rss_mb": rss,
            "per_run": ours,
            "ceiling_per_run": lean,
        }
    )


if __name__ == "__main__":
    main()
