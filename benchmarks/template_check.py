"""The start-up template check: every template rendered on its samples, CPU seconds per check.

What each `serve` and `worker` start pays on folders it has not checked before (a pass is
remembered: messages/check_memory.py), every reload, `templates check` and `doctor`. The
check runs in this process on the shipped contacts and templates (or `--contacts` and
`--templates`), once to warm up, then `--runs` times; the table gives the median and the
range of this process's CPU time, and the number of problems found.

    .venv/bin/python benchmarks/template_check.py
    PYTHONPATH=/elsewhere/src .venv/bin/python benchmarks/template_check.py   # another checkout
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from _harness import ROOT, log, median, print_json, print_table, provenance

from outage_notify.config.settings import Settings
from outage_notify.contacts.loading import load_contacts
from outage_notify.messages.budget import for_directory
from outage_notify.messages.template_check import check_deployment


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--contacts", type=Path, default=ROOT / "contacts")
    parser.add_argument("--templates", type=Path, default=ROOT / "templates")
    args = parser.parse_args()
    origin = provenance()
    settings = Settings(contacts_dir=args.contacts, templates_dir=args.templates)
    directory = load_contacts(settings)
    budgets = for_directory(settings, directory)
    log("warming up")
    problems = check_deployment(settings, directory, budgets)
    seconds = []
    for run in range(1, args.runs + 1):
        started = time.process_time()
        problems = check_deployment(settings, directory, budgets)
        seconds.append(time.process_time() - started)
        log(f"run {run}: {seconds[-1]:.3f} CPU s")
    print_table(
        f"template check, {args.runs} runs; commit {origin['commit']}, "
        f"1-min load {origin['load_at_start']:.1f}",
        ["median CPU s", "fastest", "slowest", "problems"],
        [[median(seconds), min(seconds), max(seconds), str(len(problems))]],
    )
    print_json(
        {
            "benchmark": "template_check",
            **origin,
            "cpu_s_median": median(seconds),
            "cpu_s_runs": seconds,
            "problems": len(problems),
        }
    )


if __name__ == "__main__":
    main()
