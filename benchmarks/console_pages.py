"""Console pages: size and server time of the incident page with 10,000 deliveries.

One incident declared through the API, then --deliveries delivery rows written straight into
its database for --deliveries users of a generated contacts folder (users.csv), in a mix of
states: 80 % delivered, 10 % sent, 5 % pending, 5 % failed (the failed ones are the unreached
list, capped on the page at `console.views.UNREACHED_SHOWN`), a third asked to acknowledge and
half of those acknowledged. Then a signed-in client fetches the incident page, its live
fragment and the incidents list --requests times each, the report page a tenth as often (after
20 warm-up requests) and the script prints each page's size and p50/p99/max time.

The app runs in-process (FastAPI's TestClient: the ASGI app called directly, no socket), so
the times are the server's work (routing, queries, rendering) without network or TLS; the
targets of issue 18 are under 100 KB and at most 50 ms p99. Nothing here asserts them.

    .venv/bin/python benchmarks/console_pages.py                     # SQLite and PostgreSQL
    .venv/bin/python benchmarks/console_pages.py --dbs postgresql --deliveries 10000 --requests 300
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _harness import (
    ROOT,
    STAFF_TOKEN,
    database,
    fmt,
    log,
    percentile,
    print_json,
    print_table,
    workspace,
    write_contacts,
)

sys.path.insert(0, str(ROOT))


def seed(url: str, incident_id: int, update_id: int, count: int) -> None:
    """`count` deliveries of the incident's first update, one per generated user."""
    from sqlalchemy import insert

    from outage_notify.store.engine import create_store_engine
    from outage_notify.store.tables import DeliveryRow

    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = []
    for i in range(count):
        bucket = i % 20
        state = (
            "failed"
            if bucket == 0
            else "planned"
            if bucket == 1
            else "sent"
            if bucket < 4
            else "delivered"
        )
        asked = i % 3 == 0
        rows.append(
            {
                "update_id": update_id,
                "incident_id": incident_id,
                "audience": "users",
                "recipient_key": f"contact:user{i}",
                "recipient_name": f"User {i}",
                "recipient_kind": "contact",
                "locale": "en",
                "timezone": "",
                "routes": [{"channel": "sms", "address": f"+55119{i:08d}"}],
                "route_index": 0,
                "state": state,
                "attempts_on_route": 1,
                "channel": "sms",
                "created_at": now,
                "updated_at": now,
                "sent_at": now if state in ("sent", "delivered") else None,
                "ack_required": asked,
                "acked_at": now if asked and i % 2 == 0 and state == "delivered" else None,
            }
        )
    engine = create_store_engine(url)
    with engine.begin() as connection:
        for start in range(0, len(rows), 2000):
            connection.execute(insert(DeliveryRow), rows[start : start + 2000])
    engine.dispose()


def measure(client: Any, path: str, requests: int) -> dict[str, Any]:
    for _ in range(min(20, requests)):
        client.get(path)
    times: list[float] = []
    size = 0
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
        size = len(response.content)
    return {
        "path": path,
        "kb": size / 1024,
        "p50_ms": percentile(times, 50),
        "p99_ms": percentile(times, 99),
        "max_ms": max(times),
    }


def run(
    kind: str, folder: Path, contacts: Path, deliveries: int, requests: int
) -> list[dict[str, Any]]:
    from fastapi.testclient import TestClient

    from outage_notify.api.app import create_app
    from outage_notify.config.settings import Settings
    from outage_notify.worker.celery_app import close_runtime, create_celery

    with database(kind, folder) as db:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            database_url=db.url,
            contacts_dir=contacts,
            templates_dir=ROOT / "templates",
            api_tokens=f"staff:bench:{STAFF_TOKEN}",
            log_level="WARNING",
        )
        celery = create_celery(settings)
        app = create_app(settings, celery=celery)
        try:
            client = TestClient(app)
            staff = {"Authorization": f"Bearer {STAFF_TOKEN}"}
            declared = client.post(
                "/api/v1/incidents", json={"title": "Outbound mail down"}, headers=staff
            ).json()
            incident_id, update_id = declared["incident"]["id"], declared["update_id"]
            log(f"{kind}: writing {deliveries:,} deliveries")
            seed(db.url, incident_id, update_id, deliveries)
            page = client.get("/console/sign-in").text
            csrf = re.search(r'name="csrf" value="([^"]+)"', page)
            assert csrf is not None
            client.post("/console/sign-in", data={"csrf": csrf.group(1), "token": STAFF_TOKEN})
            paths = [
                f"/console/incidents/{incident_id}",
                f"/console/incidents/{incident_id}/live",
                "/console/incidents",
                f"/console/incidents/{incident_id}/report",
            ]
            results = []
            for path in paths:
                # The report (the API's own builder) takes about a second: fewer of those.
                count = max(10, requests // 10) if path.endswith("/report") else requests
                log(f"{kind}: {path} x {count}")
                results.append({"db": kind, "requests": count, **measure(client, path, count)})
            return results
        finally:
            app.state.engine.dispose()
            close_runtime(celery)
            celery.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dbs", default="sqlite,postgresql")
    parser.add_argument("--deliveries", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    results: list[dict[str, Any]] = []
    with workspace("console") as (folder, _processes):
        contacts, _ = write_contacts(folder, args.deliveries)
        for kind in args.dbs.split(","):
            results += run(kind, folder, contacts, args.deliveries, args.requests)
    print_table(
        f"Console pages, {args.deliveries:,} deliveries, {args.requests} requests each",
        ["db", "page", "KB", "p50 ms", "p99 ms", "max ms"],
        [
            [
                r["db"],
                r["path"],
                fmt(r["kb"], 1),
                fmt(r["p50_ms"]),
                fmt(r["p99_ms"]),
                fmt(r["max_ms"]),
            ]
            for r in results
        ],
    )
    print_json({"benchmark": "console_pages", "deliveries": args.deliveries, "results": results})


if __name__ == "__main__":
    main()
