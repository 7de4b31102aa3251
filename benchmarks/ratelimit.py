"""Rate limit: a Twilio limit of R/s shared by --workers worker processes, for --seconds.

An incident goes to more SMS-first users than R x seconds, with
OUTAGE_NOTIFY_RATELIMIT_TWILIO_PER_SECOND=R (the other limits far above reach). From the first
message on, for --seconds: the achieved rate (messages accepted in the window / seconds), the
most requests the fake received in any sliding one-second window, and the 429s it answered.
The fake enforces R itself, as a provider that refuses the excess (--no-provider-limit: it
accepts everything, and only the windows tell); any 429 means we exceeded R somewhere.

    .venv/bin/python benchmarks/ratelimit.py                       # R = 50/s, 60 s, 3 runs
    .venv/bin/python benchmarks/ratelimit.py --seconds 20 --runs 1
"""

from __future__ import annotations

import argparse
import math
import os
import time
from typing import Any

from _harness import (
    REDIS_URL,
    Api,
    Fakes,
    Processes,
    database,
    flush_redis,
    log,
    max_in_window,
    median,
    print_json,
    print_table,
    service_env,
    start_workers,
    wait_workers_ready,
    workspace,
    write_contacts,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=50.0, help="Twilio messages per second")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-concurrency", type=int, default=4)
    parser.add_argument("--db", default="postgresql", choices=["postgresql", "sqlite"])
    parser.add_argument("--no-provider-limit", action="store_true")
    parser.add_argument(
        "--jitter",
        type=float,
        default=None,
        help="OUTAGE_NOTIFY_RATELIMIT_JITTER_SECONDS for the workers (default: the setting's)",
    )
    args = parser.parse_args()
    users = math.ceil(args.rate * (args.seconds + 10) * 1.2)
    runs: list[dict[str, Any]] = []
    jitter = (
        {"OUTAGE_NOTIFY_RATELIMIT_JITTER_SECONDS": str(args.jitter)}
        if args.jitter is not None
        else {}
    )
    with workspace("ratelimit") as (folder, processes):
        fakes = Fakes(processes)
        contacts, _ = write_contacts(folder, users)
        try:
            with database(args.db, folder) as db:
                for run in range(args.runs):
                    db.empty()
                    flush_redis()
                    fakes.reset(limit=0 if args.no_provider_limit else args.rate)
                    env = service_env(
                        database_url=db.url,
                        broker_url=REDIS_URL,
                        contacts_dir=contacts,
                        fakes=fakes,
                        OUTAGE_NOTIFY_RATELIMIT_TWILIO_PER_SECOND=str(args.rate),
                        **jitter,
                    )
                    result = one_run(args, Processes(folder), fakes, env)
                    log(f"run {run + 1}: {result}")
                    runs.append(result)
        finally:
            fakes.close()
            flush_redis()
    keys = ("achieved_per_s", "achieved_over_r", "max_1s_accepted", "max_1s_requests", "429s")
    summary = {key: median(r[key] for r in runs) for key in keys}
    worst = max(r["max_1s_requests"] for r in runs)
    print_table(
        f"Twilio limit R = {args.rate:g}/s, {args.workers} workers x {args.worker_concurrency}, "
        f"{args.seconds:g} s: medians of {args.runs} run(s) (2 cores, shared machine)",
        [
            "R/s",
            "achieved/s",
            "achieved/R",
            "max 1-s window (accepted)",
            "max 1-s window (requests)",
            "worst window, any run",
            "429s",
        ],
        [
            [
                f"{args.rate:g}",
                summary["achieved_per_s"],
                summary["achieved_over_r"],
                summary["max_1s_accepted"],
                summary["max_1s_requests"],
                str(worst),
                summary["429s"],
            ]
        ],
    )
    print_json(
        {
            "benchmark": "ratelimit",
            "rate": args.rate,
            "seconds": args.seconds,
            "workers": args.workers,
            "worker_concurrency": args.worker_concurrency,
            "provider_limit": not args.no_provider_limit,
            "jitter_s": args.jitter,
            "runs": args.runs,
            "cpus": os.cpu_count(),
            **summary,
            "worst_1s_requests": worst,
            "per_run": runs,
        }
    )


def one_run(
    args: argparse.Namespace, processes: Processes, fakes: Fakes, env: dict[str, str]
) -> dict[str, Any]:
    try:
        workers = start_workers(
            processes, env, workers=args.workers, concurrency=args.worker_concurrency, beat=True
        )
        api = Api(processes, env)
        wait_workers_ready(processes, len(workers))
        api.declare(title="Bench rate limit", components=["inbound", "outbound"])
        fakes.wait_count(1, timeout=120)
        first = fakes.summary("sms")["first"]
        end = first + args.seconds
        while time.time() < end + 0.5:
            processes.check()
            time.sleep(min(1.0, max(end + 0.5 - time.time(), 0.01)))
        summary = fakes.summary("sms", windows=True)
        stamps = [t for t in fakes.stamps("sms") if first <= t < end]
        api.close()
    finally:
        processes.stop_all()
    achieved = len(stamps) / args.seconds
    return {
        "achieved_per_s": achieved,
        "achieved_over_r": achieved / args.rate,
        "max_1s_accepted": max_in_window(stamps),
        # Every request the fake got, accepted or refused, over the whole run.
        "max_1s_requests": summary["max_1s_requests"],
        "429s": summary["rejections_429"],
        "other_rejections": summary["rejections"] - summary["rejections_429"],
    }


if __name__ == "__main__":
    main()
