"""A loaded folder stays small: every worker process keeps all of its contacts for its lifetime."""

from __future__ import annotations

import gc
import tracemalloc
from pathlib import Path

import pytest
from pydantic import ValidationError

from outage_notify.contacts.directory import load_directory
from outage_notify.core.models import ChannelName, Contact

CSV_HEADER = "audience,id,name,phone,slack,fallback,locale,channels,tags\n"


def write_users(folder: Path, count: int, *, tags: str = "") -> Path:
    """A folder with one users.csv of `count` SMS-first users, as large folders look."""
    folder.mkdir(exist_ok=True)
    rows = "".join(
        f"users,user{i},User {i},+55119{i:08d},U{i:09d},,{'pt-BR' if i % 3 else 'en'},"
        f"sms|slack,{tags}\n"
        for i in range(count)
    )
    (folder / "users.csv").write_text(CSV_HEADER + rows, encoding="utf-8")
    return folder


def test_rows_share_their_repeated_values(tmp_path: Path) -> None:
    folder = write_users(tmp_path / "contacts", 4, tags="site=rio")
    (folder / "partners.csv").write_text(
        CSV_HEADER + "partners,p1,Partner 1,+5511980000001,,,pt-BR,sms,\n"
        "partners,p2,Partner 2,+5511980000002,,,pt-BR,sms,\n",
        encoding="utf-8",
    )
    directory = load_directory(folder)
    first, second, *_ = directory.audiences["users"].contacts
    partner, other_partner = directory.audiences["partners"].contacts

    assert second.audience is first.audience
    assert second.locale == "pt-BR" and partner.locale is second.locale
    assert second.channels is first.channels
    assert first.channels == (ChannelName.SMS, ChannelName.SLACK)
    assert second.tags is first.tags and first.tags == {"site": "rio"}
    assert other_partner.tags is partner.tags and partner.tags == {}


def test_shared_values_leave_each_contact_a_valid_frozen_model(tmp_path: Path) -> None:
    directory = load_directory(write_users(tmp_path / "contacts", 3, tags="site=rio"))
    first, second, _ = directory.audiences["users"].contacts

    # Built without pydantic's validation, yet exactly what validation gives.
    assert Contact.model_validate(first.model_dump()) == first
    assert first.model_fields_set == set(Contact.model_fields)
    # Set by name: mypy already knows a frozen model's fields are read-only.
    field = "locale"
    with pytest.raises(ValidationError):
        setattr(first, field, "en")
    moved = first.model_copy(update={"tags": {"site": "recife"}, "email": "ana@example.com"})

    assert moved.tags == {"site": "recife"} and moved.email == "ana@example.com"
    assert first.tags == second.tags == {"site": "rio"}
    assert first.model_fields_set == second.model_fields_set == set(Contact.model_fields)


def test_loaded_contacts_take_under_900_bytes_each(tmp_path: Path) -> None:
    count = 2_000
    folder = write_users(tmp_path / "contacts", count)
    # Counted by allocation, not RSS, so only what loading keeps counts; before shared values
    # and a shared fields-set this was about 1,700 bytes a contact, now about 750.
    only_loading = [tracemalloc.Filter(True, "*/outage_notify/contacts*", all_frames=True)]
    gc.collect()
    tracemalloc.start(30)
    try:
        before = tracemalloc.take_snapshot().filter_traces(only_loading)
        directory = load_directory(folder)
        gc.collect()
        after = tracemalloc.take_snapshot().filter_traces(only_loading)
    finally:
        tracemalloc.stop()
    kept = sum(stat.size_diff for stat in after.compare_to(before, "filename"))

    assert directory.contact_count == count
    assert kept / count < 900
