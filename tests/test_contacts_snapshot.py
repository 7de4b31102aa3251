"""`contacts import`: a validated snapshot with its date, and a bad source changes nothing."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from outage_notify.contacts.directory import load_directory
from outage_notify.contacts.snapshot import SNAPSHOT_FILE, import_snapshot, read_snapshot
from outage_notify.core.errors import ContactsError
from tests.test_cli import run

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "contacts"
BAD = ROOT / "tests" / "data" / "contacts_bad"
NOW = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)


def tree(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_a_good_source_becomes_a_snapshot_with_its_date_source_and_counts(tmp_path: Path) -> None:
    into = tmp_path / "contacts"

    snapshot = import_snapshot(SHIPPED, into, now=NOW)

    assert snapshot.imported_at == NOW and snapshot.source == str(SHIPPED)
    assert snapshot.audiences == {"management": 5, "partners": 6, "security": 3, "users": 300}
    assert read_snapshot(into) == snapshot
    recorded = json.loads((into / SNAPSHOT_FILE).read_text())
    assert recorded["imported_at"] == "2025-03-14T09:30:00+00:00" and recorded["contacts"] == 314
    copied = tree(into)
    assert {name: data for name, data in copied.items() if name != SNAPSHOT_FILE} == tree(SHIPPED)
    assert load_directory(into).contact_count == 314
    # The components catalogue comes along: without it staff components go unchecked.
    assert load_directory(into).components == load_directory(SHIPPED).components
    # Nothing is left beside the snapshot: no staging folder, no parked old copy.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["contacts"]


def test_a_new_import_replaces_the_previous_snapshot_whole(tmp_path: Path) -> None:
    into = tmp_path / "contacts"
    import_snapshot(SHIPPED, into, now=NOW)
    smaller = tmp_path / "export"
    smaller.mkdir()
    shutil.copy(SHIPPED / "management.yaml", smaller)
    (smaller / "routing.yaml").write_text("rules:\n  - audience: management\n")

    later = datetime(2025, 3, 15, tzinfo=UTC)
    snapshot = import_snapshot(smaller, into, now=later)

    assert sorted(tree(into)) == [SNAPSHOT_FILE, "management.yaml", "routing.yaml"]
    assert snapshot.contacts == 5 and read_snapshot(into) == snapshot
    assert sorted(p.name for p in tmp_path.iterdir()) == ["contacts", "export"]


@pytest.mark.parametrize(
    ("source", "field"),
    [(BAD, "slack"), (ROOT / "tests" / "data" / "no-such-export", "SOURCE")],
)
def test_an_invalid_or_unreachable_source_leaves_the_old_snapshot_intact(
    tmp_path: Path, source: Path, field: str
) -> None:
    into = tmp_path / "contacts"
    import_snapshot(SHIPPED, into, now=NOW)
    before = tree(into)

    with pytest.raises(ContactsError) as raised:
        import_snapshot(source, into, now=datetime.now(UTC))

    assert raised.value.field == field
    assert tree(into) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["contacts"]


def test_the_snapshot_folder_cannot_be_the_source(tmp_path: Path) -> None:
    into = tmp_path / "contacts"
    import_snapshot(SHIPPED, into, now=NOW)
    with pytest.raises(ContactsError, match="apart from"):
        import_snapshot(into, into, now=NOW)


@pytest.mark.integration  # runs a process (conftest cannot see it)
def test_cli_import_then_check_shows_the_snapshot_and_a_bad_import_changes_nothing(
    tmp_path: Path,
) -> None:
    into = tmp_path / "contacts"
    env = {"OUTAGE_NOTIFY_CONTACTS_DIR": str(into)}

    good = run("contacts", "import", str(SHIPPED), env=env)
    assert good.returncode == 0, good.stderr
    assert "imported 314 contacts" in good.stdout
    before = tree(into)

    bad = run("contacts", "import", str(BAD), env=env)
    assert bad.returncode == 2
    message = " ".join(bad.stderr.split())
    assert "users.csv" in message and "slack" in message and "unchanged" in message
    assert tree(into) == before

    check = run("contacts", "check", env=env)
    assert check.returncode == 0, check.stderr
    assert f"snapshot of {SHIPPED} imported" in " ".join(check.stdout.split())
