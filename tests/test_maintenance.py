"""Scheduled maintenance's pure rules: the reminder hours setting, which steps are due when,
how a window ends with and without probes, and which alerts it silences."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from outage_notify.config.maintenance import MAX_REMINDER_HOURS, parse_reminder_hours
from outage_notify.maintenance.windows import (
    EndAction,
    Window,
    WindowState,
    at_end,
    due_steps,
    extension_problem,
    reminder_steps,
    schedule_problem,
    silences,
)
from tests.fixtures.settings import build_settings

NOW = datetime(2026, 3, 12, 17, 0, tzinfo=UTC)
START = NOW + timedelta(days=2)
WINDOW = Window(
    id=1,
    service="email",
    components=("inbound", "outbound"),
    starts_at=START,
    ends_at=START + timedelta(hours=3),
    state=WindowState.SCHEDULED,
    require_probes=False,
    created_at=NOW,
)


def keys(
    window: Window, at: datetime, taken: set[str], hours: tuple[int, ...] = (24, 1)
) -> tuple[list[str], list[str]]:
    announce, silent = due_steps(window, now=at, reminder_hours=hours, taken=taken)
    return [s.key for s in announce], [s.key for s in silent]


def test_the_steps_come_in_order_and_each_once() -> None:
    assert keys(WINDOW, NOW, set()) == (["scheduled"], [])
    assert keys(WINDOW, NOW + timedelta(hours=1), {"scheduled"}) == ([], [])
    day_before = START - timedelta(hours=24)
    assert keys(WINDOW, day_before, {"scheduled"}) == (["reminder_24"], [])
    taken = {"scheduled", "reminder_24"}
    assert keys(WINDOW, START - timedelta(minutes=59), taken) == (["reminder_1"], [])
    assert keys(WINDOW, START, taken | {"reminder_1"}) == (["started"], [])
    active = replace(WINDOW, state=WindowState.ACTIVE)
    assert keys(active, START + timedelta(hours=1), taken) == ([], [])


def test_a_worker_down_through_reminders_sends_only_the_latest() -> None:
    assert keys(WINDOW, START - timedelta(minutes=30), {"scheduled"}) == (
        ["reminder_1"],
        ["reminder_24"],
    )
    # Down until after the start: no reminder at all, the start is announced.
    assert keys(WINDOW, START + timedelta(minutes=5), {"scheduled"}) == (
        ["started"],
        ["reminder_24", "reminder_1"],
    )


def test_reminders_already_past_at_scheduling_are_skipped() -> None:
    soon = replace(WINDOW, starts_at=NOW + timedelta(hours=5))
    assert [
        s.key for s, _ in reminder_steps((24, 1), starts_at=soon.starts_at, scheduled_at=NOW)
    ] == ["reminder_1"]
    assert keys(soon, NOW + timedelta(hours=4, minutes=30), {"scheduled"}) == (["reminder_1"], [])


@pytest.mark.parametrize(
    ("require", "probe", "at", "action"),
    [
        (False, None, timedelta(hours=2), EndAction.WAIT),
        (False, None, timedelta(hours=3), EndAction.COMPLETE),
        (True, None, timedelta(hours=3), EndAction.WAIT),
        (True, False, timedelta(hours=3, minutes=1), EndAction.EXTEND),
        (True, True, timedelta(hours=3, minutes=1), EndAction.COMPLETE),
    ],
)
def test_the_end_waits_for_a_probe_when_asked(
    require: bool, probe: bool | None, at: timedelta, action: EndAction
) -> None:
    active = replace(WINDOW, state=WindowState.ACTIVE, require_probes=require)
    assert at_end(active, now=START + at, probe_since_end=probe) is action
    assert at_end(WINDOW, now=START + at, probe_since_end=probe) is EndAction.WAIT


@pytest.mark.parametrize(
    ("window_components", "alert_service", "alert_components", "silenced"),
    [
        (("inbound", "outbound"), "email", ("inbound",), True),
        (("inbound", "outbound"), "email", ("inbound", "webmail"), False),
        (("inbound",), "email", (), False),
        ((), "email", (), True),
        ((), "email", ("webmail",), True),
        ((), "vpn", ("webmail",), False),
    ],
)
def test_an_active_window_silences_only_its_service_and_components(
    window_components: tuple[str, ...],
    alert_service: str,
    alert_components: tuple[str, ...],
    silenced: bool,
) -> None:
    active = replace(WINDOW, state=WindowState.ACTIVE, components=window_components)
    assert silences(active, service=alert_service, components=alert_components) is silenced
    scheduled = replace(active, state=WindowState.SCHEDULED)
    assert silences(scheduled, service=alert_service, components=alert_components) is False


def test_schedule_and_extension_problems_name_the_field() -> None:
    assert schedule_problem(starts_at=START, ends_at=START + timedelta(hours=1), now=NOW) is None
    assert schedule_problem(starts_at=START, ends_at=START, now=NOW) == (
        "end",
        "field 'end' must be after 'start'",
    )
    problem = extension_problem(WINDOW, new_end=WINDOW.ends_at, now=NOW)
    assert problem is not None and "after the current end" in problem
    done = replace(WINDOW, state=WindowState.COMPLETED)
    problem = extension_problem(done, new_end=WINDOW.ends_at + timedelta(hours=1), now=NOW)
    assert problem is not None and "is completed" in problem


@given(
    st.lists(st.integers(min_value=1, max_value=MAX_REMINDER_HOURS), max_size=6),
    st.sampled_from([",", ", ", " ,"]),
)
def test_reminder_hours_round_trip_distinct_and_largest_first(hours: list[int], comma: str) -> None:
    parsed = parse_reminder_hours(comma.join(str(h) for h in hours))
    assert parsed == tuple(sorted(set(hours), reverse=True))


@given(st.text(max_size=40))
def test_any_reminder_hours_text_parses_or_says_why(text: str) -> None:
    try:
        parsed = parse_reminder_hours(text)
    except ValueError as error:
        assert str(error).startswith("reminder hours:")
    else:
        assert all(1 <= h <= MAX_REMINDER_HOURS for h in parsed)
        assert list(parsed) == sorted(set(parsed), reverse=True)


@given(
    st.lists(st.integers(min_value=1, max_value=500), max_size=5),
    st.integers(min_value=0, max_value=1000),
)
def test_reminders_are_never_before_scheduling_nor_after_the_start(
    hours: list[int], lead_hours: int
) -> None:
    start = NOW + timedelta(hours=lead_hours)
    found = reminder_steps(hours, starts_at=start, scheduled_at=NOW)
    assert all(NOW <= due <= start for _, due in found)
    assert [due for _, due in found] == sorted(due for _, due in found)


@pytest.mark.parametrize("value", ["24,x", "0", "-1", "1.5", "99999", "\uff12\uff14"])
def test_the_setting_refuses_a_bad_value_with_a_sentence(value: str) -> None:
    with pytest.raises(ValueError, match="reminder hours"):
        build_settings(maintenance_reminder_hours=value)
    assert build_settings(maintenance_reminder_hours="1, 24").maintenance_reminder_hours == [24, 1]
    assert build_settings(maintenance_reminder_hours="").maintenance_reminder_hours == []
