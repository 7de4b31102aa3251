"""`contacts import`: keep a validated snapshot of a directory export in CONTACTS_DIR.

The contact lists may come from a directory (LDAP, HR system) whose export itself depends on
email, so the service never reads the source: it reads CONTACTS_DIR, which holds the last
export that validated. An import reads SOURCE, validates it fully (`load_directory`), writes
the files and `SNAPSHOT.json` (date, source, counts, checksums) to a temporary folder beside
the target, validates that copy again, then swaps it in with one rename. A source that is
unreachable or invalid leaves the previous snapshot exactly as it was.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from outage_notify.contacts.components import components_file
from outage_notify.contacts.directory import Directory, contact_files, load_directory, routing_file
from outage_notify.contacts.fields import DEFAULT_LOCALES
from outage_notify.core.errors import ContactsError
from outage_notify.core.models import Contact
from outage_notify.core.yaml_files import safe_load

SNAPSHOT_FILE = "SNAPSHOT.json"
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


@dataclass(frozen=True)
class Snapshot:
    """What SNAPSHOT.json says about the contacts folder it sits in."""

    imported_at: datetime
    source: str
    contacts: int
    audiences: dict[str, int]
    files: dict[str, str]

    def to_json(self) -> dict[str, Any]:
        return {
            "imported_at": self.imported_at.isoformat(),
            "source": self.source,
            "contacts": self.contacts,
            "audiences": self.audiences,
            "files": self.files,
        }


def read_snapshot(folder: Path) -> Snapshot | None:
    """The folder's SNAPSHOT.json, or None for a folder kept by hand (or an unreadable file)."""
    try:
        data = json.loads((folder / SNAPSHOT_FILE).read_text(encoding="utf-8"))
        return Snapshot(
            imported_at=datetime.fromisoformat(data["imported_at"]),
            source=str(data["source"]),
            contacts=int(data["contacts"]),
            audiences={str(k): int(v) for k, v in data["audiences"].items()},
            files={str(k): str(v) for k, v in data["files"].items()},
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def count_rows(source: Path) -> int:
    """About how many contacts SOURCE holds (CSV data lines, YAML entries), for a progress bar."""
    if not source.is_dir():
        return 0
    total = 0
    for file in contact_files(source):
        try:
            if file.suffix == ".csv":
                with file.open("rb") as handle:
                    total += max(sum(1 for _ in handle) - 1, 0)
            else:
                data = safe_load(file.read_text(encoding="utf-8"))
                entries = data.get("contacts") if isinstance(data, dict) else None
                total += len(entries) if isinstance(entries, list) else 0
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue  # the import itself will name the problem
    return total


def import_snapshot(
    source: Path,
    into: Path,
    *,
    now: datetime,
    locales: frozenset[str] = DEFAULT_LOCALES,
    region: str | None = None,
    on_contact: Callable[[Contact], None] | None = None,
) -> Snapshot:
    """Validate SOURCE and replace INTO with a copy of it; raise ContactsError if invalid."""
    source, into = source.resolve(), into.resolve()
    if source == into or source in into.parents or into in source.parents:
        raise ContactsError(
            into, "folder", "--into", f"the snapshot folder must be apart from {source}."
        )
    directory = _validated(source, locales=locales, region=region, on_contact=on_contact)
    into.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{into.name}.import-", dir=into.parent))
    try:
        files = _copy(source, staging)
        snapshot = Snapshot(
            imported_at=now.astimezone(UTC),
            source=str(source),
            contacts=directory.contact_count,
            audiences={n: len(a.contacts) for n, a in sorted(directory.audiences.items())},
            files=files,
        )
        _write_synced(staging / SNAPSHOT_FILE, json.dumps(snapshot.to_json(), indent=2) + "\n")
        # What lands is what was validated, not merely what was read a moment before.
        load_directory(staging, locales=locales, region=region)
        # mkdtemp makes it owner-only; the service may run as another user than the import.
        os.chmod(staging, 0o755)  # noqa: S103
        _swap_in(staging, into)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return snapshot


def _validated(
    source: Path,
    *,
    locales: frozenset[str],
    region: str | None,
    on_contact: Callable[[Contact], None] | None,
) -> Directory:
    if not source.is_dir():
        raise ContactsError(
            source, "folder", "SOURCE", "the source cannot be reached (no such folder)."
        )
    return load_directory(source, locales=locales, region=region, on_contact=on_contact)


def _copy(source: Path, staging: Path) -> dict[str, str]:
    """Copy the files the loader reads; return each one's SHA-256."""
    wanted = contact_files(source)
    # The routing and the components catalogue are part of the folder the loader reads.
    wanted += [path for path in (routing_file(source), components_file(source)) if path]
    digests: dict[str, str] = {}
    for file in wanted:
        data = file.read_bytes()
        digests[file.name] = hashlib.sha256(data).hexdigest()
        _write_synced(staging / file.name, data)
    return digests


def _write_synced(path: Path, content: str | bytes) -> None:
    data = content.encode("utf-8") if isinstance(content, str) else content
    with path.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _swap_in(staging: Path, into: Path) -> None:
    """Put STAGING at INTO; afterwards STAGING holds the old snapshot (or nothing)."""
    if not into.exists():
        staging.rename(into)
        staging.mkdir()
        return
    if _exchange(staging, into):
        return
    # No atomic exchange here (not Linux, or the filesystem refuses it): two renames, with the
    # old snapshot put back if the second one fails. Readers could miss the folder for the
    # instant between them; the service reads contacts only when a process starts.
    parked = staging.with_name(staging.name + ".old")
    into.rename(parked)
    try:
        staging.rename(into)
    except OSError:
        parked.rename(into)
        raise
    staging.mkdir()
    shutil.rmtree(parked, ignore_errors=True)


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths atomically with renameat2(RENAME_EXCHANGE); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    result = renameat2(
        _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
    )
    return bool(result == 0)
