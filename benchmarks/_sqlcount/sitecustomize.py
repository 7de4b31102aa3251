"""Benchmark-only: count the SQL statements of every transaction in this process.

`fanout.py --count-sql` puts this folder first on the PYTHONPATH of the processes it starts,
so Python imports this module at start-up (sitecustomize). It listens on every SQLAlchemy
engine and, at each COMMIT, adds the transaction's statements (executemany counted once, as
one round trip, with its row count apart) to a per-process tally written as JSON to
`$OUTAGE_NOTIFY_BENCH_SQLCOUNT_DIR/<pid>.json` at most every 0.25 s (and at exit).
Nothing of this is in the service: it measures it.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import re
import time
from collections import Counter
from typing import Any

FOLDER = os.environ.get("OUTAGE_NOTIFY_BENCH_SQLCOUNT_DIR", "")


def _shape(statement: str) -> str:
    """A statement's kind and first table, without its parameters or IN lists."""
    text = re.sub(r"\s+", " ", statement).strip()
    text = re.sub(r"\(__\[POSTCOMPILE_[^\]]*\]\)", "(…)", text)
    text = re.sub(r"\([%$:][^)]*\)", "(…)", text)
    return text[:90]


def _install() -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    statements: Counter[str] = Counter()
    rows: Counter[str] = Counter()
    transactions: Counter[str] = Counter()
    current: list[str] = []
    state = {"written": 0.0}

    def dump() -> None:
        payload = {
            "statements": dict(statements),
            "executemany_rows": dict(rows),
            "transactions": dict(transactions),
        }
        path = os.path.join(FOLDER, f"{os.getpid()}.json")
        with open(path + ".tmp", "w") as handle:
            json.dump(payload, handle)
        os.replace(path + ".tmp", path)

    @event.listens_for(Engine, "before_cursor_execute")
    def _count(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, executemany: bool
    ) -> None:
        shape = _shape(statement)
        statements[shape] += 1
        current.append(shape.split(" ")[0])
        if executemany:
            rows[shape] += len(params)

    @event.listens_for(Engine, "commit")
    def _commit(conn: Any) -> None:
        statements["COMMIT"] += 1
        transactions[" ".join(current)] += 1
        current.clear()
        if time.monotonic() - state["written"] > 0.25:
            state["written"] = time.monotonic()
            dump()

    @event.listens_for(Engine, "rollback")
    def _rollback(conn: Any) -> None:
        statements["ROLLBACK"] += 1
        current.clear()

    atexit.register(dump)


if FOLDER:
    with contextlib.suppress(ImportError):
        _install()
