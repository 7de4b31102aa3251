"""`outage-notify subscribers list|export|remove` on SQLite and PostgreSQL: real processes."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest

from outage_notify.store import subscribers as store
from outage_notify.store.engine import transaction
from tests.fixtures.databases import Sessions
from tests.test_cli import run

AT = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


def add_two(sessions: Sessions) -> None:
    with transaction(sessions) as session:
        store.subscribe(session, phone="+5511912345678", locale="pt-BR", components=[], at=AT)
        store.subscribe(session, phone="+5521987654321", locale="en", components=["webmail"], at=AT)


@pytest.mark.integration
def test_list_export_and_remove(sessions: Sessions, database_url: str) -> None:
    add_two(sessions)
    env = {"OUTAGE_NOTIFY_DATABASE_URL": database_url}

    listed = run("subscribers", "list", env=env)
    assert listed.returncode == 0, listed.stderr
    assert "2 subscriber(s)" in listed.stdout and "+55******5678" in listed.stdout
    assert "+5511912345678" not in listed.stdout  # masked unless --full
    assert "webmail" in listed.stdout and "all" in listed.stdout

    exported = run("subscribers", "export", env=env)
    assert exported.returncode == 0, exported.stderr
    table = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert [(r["phone"], r["locale"], r["components"]) for r in table] == [
        ("+5511912345678", "pt-BR", ""),
        ("+5521987654321", "en", "webmail"),
    ]
    as_json = json.loads(run("subscribers", "export", "--format", "json", env=env).stdout)
    assert [item["components"] for item in as_json] == [[], ["webmail"]]

    assert run("subscribers", "remove", "+5511912345678", env=env).returncode == 0
    assert run("subscribers", "remove", table[1]["id"], env=env).returncode == 0
    missing = run("subscribers", "remove", table[1]["id"], env=env)
    assert missing.returncode == 1 and f"no subscriber {table[1]['id']}" in missing.stderr
    bad = run("subscribers", "remove", "bob", env=env)
    assert bad.returncode == 2 and "neither a subscriber id nor" in bad.stderr
    assert "Traceback" not in bad.stderr
    assert "0 subscriber(s)" in run("subscribers", "list", env=env).stdout
    assert run("subscribers", "export", "--format", "xml", env=env).returncode == 2
