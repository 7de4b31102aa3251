"""Ingest: Alertmanager webhooks/s and response time at concurrency 32, a quarter duplicates.

Against a real `outage-notify serve` process in distributed mode (Redis broker, PostgreSQL or
SQLite) with no worker: each accepted event is committed and queued, nothing processes it.
Every 4th request (by default) re-sends an earlier payload byte for byte, as Alertmanager
retries and HA peers do; the API must answer it 2xx ("duplicate") without a second event.
The client is aiohttp in this process, --concurrency requests in flight, after a warm-up.

    .venv/bin/python benchmarks/ingest.py
    .venv/bin/python benchmarks/ingest.py --requests 10000 --db sqlite
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import time
from pathlib import Path
from typing import Any

import aiohttp
from _harness import (
    MONITOR_TOKEN,
    REDIS_URL,
    Api,
    database,
    flush_redis,
    group_pids,
    log,
    median,
    percentile,
    print_json,
    print_table,
    service_env,
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
    async with aiohttp.ClientSession(connector=connector) as session:

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=5000, help="per run, after warm-up")
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--duplicates", type=float, default=0.25)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", default="postgresql", choices=["postgresql", "sqlite"])
    parser.add_argument(
        "--api-workers", type=int, default=1, help="`outage-notify serve --workers N`"
    )
    args = parser.parse_args()
    runs: list[dict[str, Any]] = []
    with workspace("ingest") as (folder, processes):
        contacts, _ = write_contacts(folder, 10, managers=1)
        with database(args.db, folder) as db:
            flush_redis()
            env = service_env(
                database_url=db.url, broker_url=REDIS_URL, contacts_dir=contacts, fakes=None
            )
            workers = ["--workers", str(args.api_workers)] if args.api_workers > 1 else []
            api = Api(processes, env, serve_args=workers)
            url = f"http://127.0.0.1:{api.port}/api/v1/webhooks/alertmanager"
            try:
                for run in range(args.runs):
                    db.empty()
                    flush_redis()
                    asyncio.run(blast(url, workload(args.warmup, 0, 10_000 + run), 8))
                    bodies = workload(args.requests, args.duplicates, run)
                    cpu_before = cpu_seconds(api.process.pid)
                    wall, latencies, answers = asyncio.run(blast(url, bodies, args.concurrency))
                    cpu = cpu_seconds(api.process.pid) - cpu_before
                    events = db.scalar("SELECT count(*) FROM events")
                    unique = sum(1 for _, duplicate in bodies if not duplicate)
                    result = {
                        "per_s": len(latencies) / wall,
                        "p50_ms": (percentile(latencies, 50) or 0) * 1000,
                        "p99_ms": (percentile(latencies, 99) or 0) * 1000,
                        "max_ms": max(latencies) * 1000,
                        # CPU the API spent per request: less sensitive to a loaded machine.
                        "api_cpu_ms": cpu / len(latencies) * 1000,
                        "answers": answers,
                        "new_events": events - args.warmup,
                        "unique_payloads": unique,
                    }
                    log(f"run {run + 1}: {result}")
                    runs.append(result)
                # With --api-workers N: the largest of the supervisor and its workers.
                peaks = processes.peak_rss("api")
                rss = max(peaks["main"], peaks["max_child"])
            finally:
                api.close()
                processes.stop_all()
                flush_redis()
    keys = ("per_s", "p50_ms", "p99_ms", "max_ms", "api_cpu_ms")
    summary = {key: median(r[key] for r in runs) for key in keys}
    print_table(
        f"Alertmanager ingest, {args.db}, {args.api_workers} API process(es), "
        f"concurrency {args.concurrency}, "
        f"{args.duplicates:.0%} duplicates: medians of {args.runs} run(s) (2 cores, shared)",
        [
            "requests/run",
            "webhooks/s",
            "p50 ms",
            "p99 ms",
            "max ms",
            "API CPU ms/request",
            "API peak RSS MB",
        ],
        [
            [
                f"{args.requests:,}",
                summary["per_s"],
                summary["p50_ms"],
                summary["p99_ms"],
                summary["max_ms"],
                summary["api_cpu_ms"],
                rss,
            ]
        ],
    )
    print_json(
        {
            "benchmark": "ingest",
            "db": args.db,
            "api_workers": args.api_workers,
            "concurrency": args.concurrency,
            "duplicates": args.duplicates,
            "requests": args.requests,
            "runs": args.runs,
            "cpus": os.cpu_count(),
            **summary,
            "api_peak_rss_mb": rss,
            "per_run": runs,
        }
    )


if __name__ == "__main__":
    main()
