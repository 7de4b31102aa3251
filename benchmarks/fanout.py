"""Fan-out: N SMS recipients through the fakes, against a raw-aiohttp ceiling and a naive design.

For each N (--sizes), database (--dbs) and mode (--modes), `--runs` times:
declare an incident through the API whose `opened` goes to N SMS-first users, then measure

- plan: the update's created_at (DB) → the moment a poller sees planned_at committed;
  `plan start` is planned_at - created_at (planned_at is stamped when the last row is written,
  so it is the plan less its commit) and `planning` the worker's own figure, the plan task's
  start to its last row (`planning_seconds` in the timeline's `planned` entry): plan - planning
  is the queueing before the task and the commit;
- dispatch: messages/s between the first and the last request the fake accepted (FakeRecord.at);
- end to end: the API call → the last message at the fake;
- CPU milliseconds a message: the service's (API, workers, their children), the fake's and, on
  PostgreSQL, the local server's (`_harness.ServerCpu`: its connections, including those opened
  or closed during the run, and its own processes; other databases' work on it counts too).
  The machine is CPU-bound, so what the fake and the database spend is CPU the workers cannot
  have; the ceiling's runs print the fake's too;
- peak RSS (VmHWM) of every service process.

Modes: `embedded` is `outage-notify serve` without BROKER_URL (memory broker, EmbeddedWorker
and API in one process, as service.py builds it); `distributed` is `outage-notify serve` +
`outage-notify worker` x --workers (prefork, --worker-concurrency children each) + beat on
Redis. Rate limits are set far above what the machine can send.

In the same run: the *ceiling* (a minimal aiohttp client posting N Twilio-shaped requests to
the same fake at settings.delivery.concurrency) and the *naive* design (one Celery task per
message with twilio's synchronous client; benchmarks/_naive.py; --workers worker processes).

`--plan-only` stops each run once the plan is committed (no dispatch figures, no ceiling or
naive runs) and starts fresh processes for every run, so that every run is the first fan-out
of freshly started workers, as a `--runs 1` run is.

    .venv/bin/python benchmarks/fanout.py                      # 1,000 and 10,000, 3 runs
    .venv/bin/python benchmarks/fanout.py --sizes 100000 --runs 1
    .venv/bin/python benchmarks/fanout.py --sizes 100000 --modes distributed --plan-only
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import shutil
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
from _harness import (
    BENCH_DIR,
    REDIS_URL,
    TWILIO_FROM,
    TWILIO_SID,
    Api,
    Database,
    Fakes,
    Processes,
    ServerCpu,
    cpu_seconds,
    database,
    epoch,
    flush_redis,
    group_cpu_seconds,
    load_average,
    log,
    median,
    print_json,
    print_table,
    provenance,
    service_env,
    start_workers,
    wait_for,
    wait_workers_ready,
    workspace,
    write_contacts,
)

from outage_notify.config.settings import DeliverySettings

PENDING = "('planned', 'sending', 'unknown')"
# A typical rendered pt-BR SMS (UCS-2, 3 segments), for the ceiling and the naive design.
BODY = (
    "[Example Corp TI] Falha no e-mail (crítica). Fora do ar: recebimento e envio de e-mails.\n"
    "Bench fan-out\nPrevisão: ainda sem previsão; próxima atualização até 10:30.\n"
    "Fale conosco: IT hotline +55 11 4000-1234; Slack #it-help\nStatus: https://status.example"
)


def run_timeout(size: int) -> float:
    return 120.0 + size / 100


# --- ours -------------------------------------------------------------------------------


def one_fanout(
    api: Api, db: Database, fakes: Fakes, size: int, *, plan_only: bool = False
) -> dict[str, Any]:
    """Declare, wait for every message and for the workers to record them; the figures."""
    db.empty()
    fakes.reset()
    started = time.time()
    incident = api.declare(title="Bench fan-out", components=["inbound", "outbound"])
    timeout = run_timeout(size)

    def planned() -> float | None:
        seen = db.scalar(
            "SELECT count(*) FROM updates WHERE incident_id = :i AND planned_at IS NOT NULL",
            i=incident,
        )
        return time.time() if seen else None

    planned_seen = wait_for(planned, timeout=timeout, interval=0.02, what="the update planned")
    created_at, planned_at = db.row(
        "SELECT created_at, planned_at FROM updates WHERE incident_id = :i ORDER BY id LIMIT 1",
        i=incident,
    )
    created = epoch(created_at) or started
    # The worker's own measure: the plan task's start to its last row (timeline data).
    data = db.scalar(
        "SELECT data FROM timeline WHERE incident_id = :i AND kind = 'planned' ORDER BY id",
        i=incident,
    )
    data = json.loads(data) if isinstance(data, str) else data or {}
    planning = data.get("planning_seconds")
    if plan_only:
        return {
            "plan_s": planned_seen - created,
            "plan_start_delay_s": (epoch(planned_at) or created) - created,
            "planning_s": planning,
            "deliveries": db.scalar("SELECT count(*) FROM deliveries"),
        }
    fakes.wait_count(size, timeout=timeout)
    wait_for(
        lambda: db.scalar(f"SELECT count(*) FROM deliveries WHERE state IN {PENDING}") == 0,
        timeout=timeout,
        interval=0.1,
        what="every delivery recorded",
    )
    summary = fakes.summary("sms")
    first, last, count = summary["first"], summary["last"], summary["count"]
    return {
        "plan_s": planned_seen - created,
        "plan_start_delay_s": (epoch(planned_at) or created) - created,
        "planning_s": planning,
        "first_message_s": first - started,
        "dispatch_per_s": (count - 1) / (last - first) if last > first else None,
        "e2e_s": last - started,
        "messages": count,
        "extra_messages": count - size,
    }


def run_ours(
    mode: str,
    db: Database,
    fakes: Fakes,
    contacts: Path,
    size: int,
    args: argparse.Namespace,
    folder: Path,
    count: int,
) -> dict[str, Any]:
    processes = Processes(folder)
    try:
        flush_redis()
        env = service_env(
            database_url=db.url,
            broker_url=REDIS_URL if mode == "distributed" else "",
            contacts_dir=contacts,
            fakes=fakes,
            OUTAGE_NOTIFY_WORKER_CONCURRENCY=str(args.worker_concurrency),
            **sql_counting(args, folder),
        )
        workers: list[str] = []
        if mode == "distributed":
            workers = start_workers(
                processes, env, workers=args.workers, concurrency=args.worker_concurrency, beat=True
            )
        api = Api(processes, env)
        if workers:
            wait_workers_ready(processes, len(workers))
        runs = []
        for run in range(count):
            leaders = [processes.running[name].pid for name in ["api", *workers]]
            cpu = sum(group_cpu_seconds(pid) for pid in leaders)
            # The machine is CPU-bound: what the fake and the database spend a message is CPU
            # ours cannot have.
            postgres = ServerCpu("postgres")
            if db.kind == "postgresql":
                postgres.start()
            fake_before = cpu_seconds([fakes.pid])
            result = one_fanout(api, db, fakes, size, plan_only=args.plan_only)
            # The service's own CPU (API, workers and their children) per message sent.
            cpu = sum(group_cpu_seconds(pid) for pid in leaders) - cpu
            result["service_cpu_ms_per_msg"] = cpu * 1000 / size
            if not args.plan_only:
                fake_cpu = cpu_seconds([fakes.pid]) - fake_before
                result["fake_cpu_ms_per_msg"] = fake_cpu * 1000 / size
                if (postgres_cpu := postgres.seconds()) is not None:
                    result["postgres_cpu_ms_per_msg"] = postgres_cpu * 1000 / size
            if not args.no_ceiling:
                # The machine's load drifts: compare each run with a ceiling run right after it.
                ceiling = ceiling_once(fakes, size, args)["dispatch_per_s"]
                result["adjacent_ceiling_per_s"] = ceiling
                rate = result["dispatch_per_s"]
                result["ours_over_adjacent_ceiling"] = rate / ceiling if rate and ceiling else None
            result["load_1m"] = load_average()
            log(f"ours {mode}/{db.kind} N={size} run {run + 1}: {_brief(result)}")
            runs.append(result)
        rss: dict[str, float] = {"api_mb": processes.peak_rss("api")["main"]}
        for name in workers:
            peaks = processes.peak_rss(name)
            rss[f"{name}_main_mb"] = peaks["main"]
            rss[f"{name}_max_child_mb"] = peaks["max_child"]
            rss[f"{name}_total_mb"] = peaks["total"]
        processes.stop_all()  # the counting processes write their last tallies at exit
        sql = sql_per_batch(args, folder, size * count) if args.count_sql else None
        api.close()
        return {
            "design": "ours",
            "mode": mode,
            "db": db.kind,
            "n": size,
            "runs": runs,
            **{key: median(r[key] for r in runs) for key in runs[0]},
            "rss": rss,
            **({"sql": sql} if sql else {}),
        }
    finally:
        processes.stop_all()
        flush_redis()


def sql_counting(args: argparse.Namespace, folder: Path) -> dict[str, str]:
    """With --count-sql: the environment that makes every service process count its SQL
    (benchmarks/_sqlcount/sitecustomize.py); an empty folder for their tallies."""
    if not args.count_sql:
        return {}
    tallies = folder / "sqlcount"
    shutil.rmtree(tallies, ignore_errors=True)
    tallies.mkdir()
    path = [str(BENCH_DIR / "_sqlcount"), os.environ.get("PYTHONPATH", "")]
    return {
        "OUTAGE_NOTIFY_BENCH_SQLCOUNT_DIR": str(tallies),
        "PYTHONPATH": os.pathsep.join(p for p in path if p),
    }


def sql_per_batch(args: argparse.Namespace, folder: Path, deliveries: int) -> dict[str, Any]:
    """Every process's statements summed, per dispatch batch (deliveries / batch size)."""
    statements: Counter[str] = Counter()
    rows: Counter[str] = Counter()
    transactions: Counter[str] = Counter()
    for path in (folder / "sqlcount").glob("*.json"):
        tally = json.loads(path.read_text())
        statements.update(tally["statements"])
        rows.update(tally["executemany_rows"])
        transactions.update(tally["transactions"])
    batches = max(deliveries / DeliverySettings().batch_size, 1)
    per_batch = {k: round(v / batches, 2) for k, v in statements.most_common() if v >= batches / 2}
    log(f"SQL per dispatch batch ({batches:.0f} batches, every process, executemany = 1):")
    for shape, count in per_batch.items():
        extra = f" ({rows[shape] / batches:.0f} rows)" if rows.get(shape) else ""
        log(f"  {count:6.2f}  {shape}{extra}")
    for shape, count in transactions.most_common(6):
        log(f"  transaction x{count}: {shape}")
    return {"batches": batches, "per_batch": per_batch}


def run_ours_fresh(
    mode: str,
    db: Database,
    fakes: Fakes,
    contacts: Path,
    size: int,
    args: argparse.Namespace,
    folder: Path,
) -> dict[str, Any]:
    """`--runs` runs of ours, each with processes of its own (--plan-only)."""
    parts = [run_ours(mode, db, fakes, contacts, size, args, folder, 1) for _ in range(args.runs)]
    runs = [run for part in parts for run in part["runs"]]
    keys = {key for part in parts for key in part["rss"]}
    return {
        **parts[0],
        "runs": runs,
        **{key: median(r[key] for r in runs) for key in runs[0]},
        "rss": {key: max(part["rss"].get(key) or 0 for part in parts) for key in keys},
    }


def _brief(result: dict[str, Any]) -> str:
    parts = []
    for key, value in result.items():
        parts.append(f"{key}={value:.2f}" if isinstance(value, float) else f"{key}={value}")
    return " ".join(parts)


# --- the ceiling ------------------------------------------------------------------------


async def post_all(url: str, size: int, concurrency: int) -> None:
    """N Twilio-shaped form posts over one pooled aiohttp session, `concurrency` at a time."""
    auth = "Basic " + base64.b64encode(f"{TWILIO_SID}:bench-twilio-auth".encode()).decode()
    numbers = iter(range(size))
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            for i in numbers:
                data = {"To": f"+55119{i:08d}", "From": TWILIO_FROM, "Body": BODY}
                async with session.post(url, data=data, headers={"Authorization": auth}) as r:
                    await r.read()
                    if r.status != 201:
                        raise RuntimeError(f"fake answered {r.status}")

        await asyncio.gather(*(worker() for _ in range(concurrency)))


def ceiling_once(fakes: Fakes, size: int, args: argparse.Namespace) -> dict[str, Any]:
    fakes.reset()
    started, fake_cpu = time.time(), cpu_seconds([fakes.pid])
    asyncio.run(post_all(fakes.twilio_url, size, args.concurrency))
    summary = fakes.summary("sms")
    first, last, count = summary["first"], summary["last"], summary["count"]
    return {
        "dispatch_per_s": (count - 1) / (last - first) if last > first else None,
        "e2e_s": last - started,
        "messages": count,
        "fake_cpu_ms_per_msg": (cpu_seconds([fakes.pid]) - fake_cpu) * 1000 / size,
    }


def run_ceiling(fakes: Fakes, size: int, args: argparse.Namespace) -> dict[str, Any]:
    runs = []
    for run in range(args.runs):
        result = ceiling_once(fakes, size, args)
        result["load_1m"] = load_average()
        log(f"ceiling N={size} run {run + 1}: {_brief(result)}")
        runs.append(result)
    return {
        "design": "ceiling",
        "mode": f"aiohttp x{args.concurrency}",
        "db": "-",
        "n": size,
        "runs": runs,
        **{key: median(r[key] for r in runs) for key in runs[0]},
        "rss": {},
    }


# --- the naive design -------------------------------------------------------------------


def run_naive(fakes: Fakes, size: int, args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    import _naive

    processes = Processes(folder)
    _naive.app.conf.broker_url = REDIS_URL
    try:
        flush_redis()
        env = {
            **os.environ,
            "NAIVE_BROKER_URL": REDIS_URL,
            "NAIVE_TWILIO_BASE_URL": fakes.base_url,
            "PYTHONUNBUFFERED": "1",
        }
        for key in ("TWILIO_EDGE", "TWILIO_REGION"):
            env.pop(key, None)
        names = []
        for index in range(args.workers):
            name = f"naive{index + 1}"
            argv = [sys.executable, "-m", "celery", "-A", "_naive", "worker"]
            argv += [f"--concurrency={args.worker_concurrency}", f"--queues={_naive.QUEUE}"]
            argv += ["--without-gossip", "--without-mingle", "--loglevel=WARNING"]
            argv += [f"--hostname={name}@%h"]
            processes.start(name, argv, env=env, cwd=Path(_naive.__file__).parent)
            names.append(name)
        wait_workers_ready(processes, len(names))
        runs = []
        for run in range(args.runs):
            fakes.reset()
            cpu = sum(group_cpu_seconds(processes.running[name].pid) for name in names)
            started = time.time()
            with _naive.app.producer_or_acquire() as producer:
                for i in range(size):
                    _naive.app.send_task(
                        _naive.TASK,
                        args=[f"+55119{i:08d}", BODY],
                        queue=_naive.QUEUE,
                        producer=producer,
                    )
            enqueued = time.time() - started
            fakes.wait_count(size, timeout=run_timeout(size) * 3)
            cpu = sum(group_cpu_seconds(processes.running[name].pid) for name in names) - cpu
            summary = fakes.summary("sms")
            first, last, count = summary["first"], summary["last"], summary["count"]
            result = {
                "enqueue_s": enqueued,
                "first_message_s": first - started,
                "dispatch_per_s": (count - 1) / (last - first) if last > first else None,
                "e2e_s": last - started,
                "messages": count,
                "service_cpu_ms_per_msg": cpu * 1000 / size,
                "load_1m": load_average(),
            }
            log(f"naive N={size} run {run + 1}: {_brief(result)}")
            runs.append(result)
        rss = {}
        for name in names:
            peaks = processes.peak_rss(name)
            rss[f"{name}_max_child_mb"] = peaks["max_child"]
            rss[f"{name}_total_mb"] = peaks["total"]
        return {
            "design": "naive",
            "mode": f"celery 1 task/msg, {args.workers} workers",
            "db": "-",
            "n": size,
            "runs": runs,
            **{key: median(r[key] for r in runs) for key in runs[0]},
            "rss": rss,
        }
    finally:
        processes.stop_all()
        _naive.app.close()
        flush_redis()


# --- report -----------------------------------------------------------------------------


def report(
    results: list[dict[str, Any]], args: argparse.Namespace, origin: dict[str, Any]
) -> dict[str, Any]:
    by_n: dict[int, dict[str, float | None]] = {}
    for result in results:
        if result["design"] in ("ceiling", "naive"):
            by_n.setdefault(result["n"], {})[result["design"]] = result["dispatch_per_s"]
    rows = []
    for r in results:
        base = by_n.get(r["n"], {})
        rate = r.get("dispatch_per_s")
        ceiling, naive = base.get("ceiling"), base.get("naive")
        if r["design"] == "ours":
            r["ours_over_ceiling"] = rate / ceiling if rate and ceiling else None
            r["ours_over_naive"] = rate / naive if rate and naive else None
        rss = r["rss"]
        worker_child = max((v for k, v in rss.items() if k.endswith("_max_child_mb")), default=None)
        worker_total = max((v for k, v in rss.items() if k.endswith("_total_mb")), default=None)
        rows.append(
            [
                r["design"],
                r["mode"],
                r["db"],
                f"{r['n']:,}",
                r.get("plan_s"),
                r.get("plan_start_delay_s"),
                r.get("planning_s"),
                r.get("first_message_s"),
                r.get("dispatch_per_s"),
                r.get("e2e_s"),
                r.get("ours_over_ceiling"),
                r.get("ours_over_adjacent_ceiling"),
                r.get("ours_over_naive"),
                r.get("service_cpu_ms_per_msg"),
                r.get("fake_cpu_ms_per_msg"),
                r.get("postgres_cpu_ms_per_msg"),
                _load_range(r["runs"]),
                rss.get("api_mb"),
                worker_child,
                worker_total,
            ]
        )
    loads = [run["load_1m"] for r in results for run in r["runs"] if "load_1m" in run]
    print_table(
        f"fan-out: medians of {args.runs} run(s); commit {origin['commit']}, "
        f"{origin['cpus']} CPUs, {args.workers} x {args.worker_concurrency} worker processes, "
        f"1-min load {origin['load_at_start']:.1f} at start, "
        f"{min(loads, default=0):.1f}-{max(loads, default=0):.1f} after the runs",
        [
            "design",
            "mode",
            "db",
            "N",
            "plan s",
            "plan start s",
            "planning s",
            "1st msg s",
            "msgs/s",
            "e2e s",
            "/ceiling",
            "/adj. ceiling",
            "/naive",
            "CPU ms/msg",
            "fake ms/msg",
            "PG ms/msg",
            "load",
            "api/embedded MB",
            "worker child MB",
            "worker total MB",
        ],
        rows,
    )
    return {
        "benchmark": "fanout",
        "runs": args.runs,
        "workers": args.workers,
        "worker_concurrency": args.worker_concurrency,
        **origin,
        "results": results,
    }


def _load_range(runs: list[dict[str, Any]]) -> str:
    """The 1-minute load average after each run, lowest to highest."""
    loads = [run["load_1m"] for run in runs if "load_1m" in run]
    return f"{min(loads):.1f}-{max(loads):.1f}" if loads else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000", help="recipients, comma-separated")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--modes", default="embedded,distributed")
    parser.add_argument("--dbs", default="sqlite,postgresql")
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument(
        "--worker-concurrency", type=int, default=4, help="prefork children per worker"
    )
    parser.add_argument("--no-ceiling", action="store_true")
    parser.add_argument("--no-naive", action="store_true")
    parser.add_argument(
        "--count-sql",
        action="store_true",
        help="count every service process's SQL statements and print them per dispatch batch",
    )
    parser.add_argument(
        "--plan-only",
        action="store_true",
        help="stop each run once planned (fresh processes each run; no ceiling, no naive)",
    )
    args = parser.parse_args()
    if args.plan_only:
        args.no_ceiling = args.no_naive = True
    args.concurrency = DeliverySettings().concurrency
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s]
    modes = [m for m in args.modes.split(",") if m]
    dbs = [d for d in args.dbs.split(",") if d]
    results: list[dict[str, Any]] = []
    origin = provenance()
    log(f"commit {origin['commit']}, load {origin['load_at_start']:.1f}")
    with workspace("fanout") as (folder, processes):
        fakes = Fakes(processes)
        try:
            for size in sizes:
                contacts, _ = write_contacts(folder, size)
                if not args.no_ceiling:
                    results.append(run_ceiling(fakes, size, args))
                if not args.no_naive:
                    results.append(run_naive(fakes, size, args, folder))
                for kind in dbs:
                    with database(kind, folder) as db:
                        for mode in modes:
                            if args.plan_only:
                                ours = run_ours_fresh(mode, db, fakes, contacts, size, args, folder)
                            else:
                                ours = run_ours(
                                    mode, db, fakes, contacts, size, args, folder, args.runs
                                )
                            results.append(ours)
        finally:
            fakes.close()
    print_json(report(results, args, origin))


if __name__ == "__main__":
    main()
