"""Quiet hours: parsing (with Hypothesis over hostile text), crossing midnight, and the
contacts folder reporting a bad value with its file and field."""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from outage_notify.contacts.directory import load_directory
from outage_notify.contacts.quiet_hours import QuietHours, is_quiet, parse_quiet_hours
from outage_notify.core.errors import ContactsError


@pytest.mark.parametrize(
    ("text", "inside", "outside"),
    [
        ("22:00-07:00", [time(22), time(23, 59), time(0), time(6, 59)], [time(7), time(12)]),
        ("12:30-13:30", [time(12, 30), time(13, 29)], [time(13, 30), time(12, 29), time(0)]),
        (" 9:00 - 17:00 ", [time(9), time(16, 59)], [time(17), time(8, 59)]),
    ],
)
def test_spans_include_the_start_and_not_the_end(
    text: str, inside: list[time], outside: list[time]
) -> None:
    quiet = parse_quiet_hours(text)
    assert all(quiet.contains(moment) for moment in inside)
    assert not any(quiet.contains(moment) for moment in outside)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("22:00", "not a span"),
        ("24:00-07:00", "not a time of day"),
        ("22:60-07:00", "not a time of day"),
        ("07:00-07:00", "same time"),
        ("\uff12\uff12:\uff10\uff10-07:00", "not a span"),  # full-width digits
        ("", "not a span"),
    ],
)
def test_bad_spans_are_refused_with_a_sentence(text: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        parse_quiet_hours(text)


@given(st.text(max_size=40))
def test_any_text_parses_or_is_refused_with_value_error(text: str) -> None:
    try:
        quiet = parse_quiet_hours(text)
    except ValueError as error:
        assert str(error)
    else:
        assert parse_quiet_hours(str(quiet)) == quiet


@given(
    st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    st.times(),
)
def test_a_span_and_its_complement_cover_the_day_once(start: time, end: time, moment: time) -> None:
    if start == end:
        return
    span, rest = QuietHours(start, end), QuietHours(end, start)
    assert span.contains(moment) != rest.contains(moment)


def test_quiet_hours_are_read_in_the_contacts_zone() -> None:
    # 01:30 UTC is 22:30 the evening before in São Paulo (UTC-3).
    now = datetime(2026, 12, 5, 1, 30, tzinfo=UTC)
    assert is_quiet("22:00-07:00", now=now, zone="America/Sao_Paulo")
    assert not is_quiet("22:00-07:00", now=now, zone="Asia/Tokyo")
    assert not is_quiet("", now=now, zone="UTC")


def _folder(tmp_path: Path, quiet: str) -> Path:
    folder = tmp_path / "contacts"
    folder.mkdir()
    (folder / "management.yaml").write_text(
        "audience: management\ncontacts:\n"
        f'  - {{id: ana, name: Ana, phone: "+5511990000001", quiet_hours: "{quiet}"}}\n'
        '  - {id: bia, name: Bia, phone: "+5511990000002"}\n'
    )
    return folder


def test_the_directory_keeps_each_contacts_quiet_hours(tmp_path: Path) -> None:
    directory = load_directory(_folder(tmp_path, "22:00-7:00"))
    assert directory.contact_quiet_hours("ana") == "22:00-07:00"
    assert directory.contact_quiet_hours("bia") == ""


def test_a_bad_value_names_the_file_and_the_field(tmp_path: Path) -> None:
    with pytest.raises(ContactsError) as raised:
        load_directory(_folder(tmp_path, "late"))
    text = str(raised.value)
    assert "management.yaml" in text and "quiet_hours" in text and "22:00-07:00" in text


@pytest.mark.integration  # runs a process (conftest cannot see it)
def test_contacts_check_names_the_file_entry_and_field_and_exits_non_zero(tmp_path: Path) -> None:
    from tests.test_cli import run

    folder = _folder(tmp_path, "22h-7h")
    result = run("contacts", "check", env={"OUTAGE_NOTIFY_CONTACTS_DIR": str(folder)})
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr
    for words in ("management.yaml", "id=ana", "quiet_hours", "such as 22:00-07:00"):
        assert words in result.stderr, words


def test_check_contacts_collects_every_bad_quiet_hours(tmp_path: Path) -> None:
    from outage_notify.contacts.check import check_contacts

    report = check_contacts(_folder(tmp_path, "25:00-07:00"))
    fields = [problem.field for problem in report.errors]
    assert fields == ["quiet_hours"]
