"""ETAs as staff type them (`outage-notify incident … --eta`), read in the organisation's zone:
examples for each form, and properties over any instant, zone and input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from outage_notify.cli.eta_words import MAX_AHEAD, EtaWordsError, parse_eta
from tests import strategies

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
# 13:00 in São Paulo (UTC-3).
NOW = datetime(2026, 12, 5, 16, 0, tzinfo=UTC)
PROPERTY = settings(max_examples=strategies.examples() * 4, deadline=None)
ZONES = st.sampled_from(sorted(available_timezones() - {"Factory", "localtime"})).map(ZoneInfo)
INSTANTS = st.datetimes(
    min_value=datetime(2000, 1, 2), max_value=datetime(2090, 12, 30), timezones=st.just(UTC)
)


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("14:30", datetime(2026, 12, 5, 14, 30, tzinfo=SAO_PAULO)),
        ("9:05", datetime(2026, 12, 6, 9, 5, tzinfo=SAO_PAULO)),
        ("13:00", datetime(2026, 12, 6, 13, 0, tzinfo=SAO_PAULO)),
        ("14h30", datetime(2026, 12, 5, 14, 30, tzinfo=SAO_PAULO)),
        ("+90m", datetime(2026, 12, 5, 14, 30, tzinfo=SAO_PAULO)),
        ("90m", datetime(2026, 12, 5, 14, 30, tzinfo=SAO_PAULO)),
        ("2h", datetime(2026, 12, 5, 15, 0, tzinfo=SAO_PAULO)),
        (" +1h 30m ", datetime(2026, 12, 5, 14, 30, tzinfo=SAO_PAULO)),
        ("1d", datetime(2026, 12, 6, 13, 0, tzinfo=SAO_PAULO)),
        ("2026-12-05T18:00:00+00:00", datetime(2026, 12, 5, 15, 0, tzinfo=SAO_PAULO)),
        ("2026-12-05T17:00", datetime(2026, 12, 5, 17, 0, tzinfo=SAO_PAULO)),
    ],
)
def test_each_form_means_a_moment_in_the_organisations_zone(words: str, expected: datetime) -> None:
    found = parse_eta(words, now=NOW, zone=SAO_PAULO)

    assert found == expected
    assert found.tzinfo == SAO_PAULO


@pytest.mark.parametrize(
    ("words", "sentence"),
    [
        ("", "the ETA is empty"),
        ("soon", "cannot read the ETA 'soon'; write e.g. 14:30 (in America/Sao_Paulo)"),
        ("25:00", "25:00 is not a time of day"),
        ("12:61", "12:61 is not a time of day"),
        ("+0m", "is now, not ahead"),
        ("+9000h", "more than 7 days ahead"),
        ("h", "cannot read"),
        ("9999-12-31T23:59-05:00", "out of range"),
        ("0001-01-01T00:00+05:00", "out of range"),
    ],
)
def test_an_unreadable_eta_is_one_sentence(words: str, sentence: str) -> None:
    with pytest.raises(EtaWordsError, match=sentence.replace("(", r"\(").replace(")", r"\)")):
        parse_eta(words, now=NOW, zone=SAO_PAULO)


@PROPERTY
@given(now=INSTANTS, zone=ZONES, hour=st.integers(0, 23), minute=st.integers(0, 59))
def test_a_time_of_day_is_the_next_one_within_a_day(
    now: datetime, zone: ZoneInfo, hour: int, minute: int
) -> None:
    found = parse_eta(f"{hour}:{minute:02d}", now=now, zone=zone)

    assert now < found <= now + timedelta(days=1, hours=2)
    local = found.astimezone(zone)
    # Skipped by a DST change only: then the zone's moment an hour (or its shift) later.
    assert (local.hour, local.minute) == (hour, minute) or found - now < timedelta(days=1, hours=2)


@PROPERTY
@given(
    now=INSTANTS,
    zone=ZONES,
    minutes=st.integers(1, int(MAX_AHEAD.total_seconds() // 60)),
    local=st.booleans(),
)
# Found by this test: the answer falls in the hour Alaska's clocks repeat (2028-11-05 01:00).
@example(datetime(2028, 11, 4, 23, 24, tzinfo=UTC), ZoneInfo("US/Alaska"), 576, False)
# `maintenance schedule --start 00:30 --end +2h` on New York's fall-back night: the end counts
# from a local start, and 2 hours are 2 hours, not 3 on the wall clock.
@example(datetime(2026, 11, 1, 4, 30, tzinfo=UTC), ZoneInfo("America/New_York"), 120, True)
def test_a_duration_counts_from_now(
    now: datetime, zone: ZoneInfo, minutes: int, local: bool
) -> None:
    """Real time, whatever zone `now` is given in (the maintenance CLI counts an end from the
    start it read, in the organisation's zone), across any DST change."""
    hours, rest = divmod(minutes, 60)
    start = now.astimezone(zone) if local else now
    for words in (f"+{minutes}m", f"{hours}h{rest}m" if hours else f"{rest}m"):
        found = parse_eta(words, now=start, zone=zone)
        # Compared as instants: a time in an hour a DST change repeats never equals (==) one
        # of another zone (PEP 495), though it is the same moment.
        assert found.astimezone(UTC) == now + timedelta(minutes=minutes)
        assert found.tzinfo == zone


@pytest.mark.parametrize(
    ("now", "words", "expected"),
    [
        # 01:30 the second time (EST, 06:30 UTC): the next 01:45 is the second one, 15 minutes
        # away, not the first, which passed an hour ago.
        (
            datetime(2026, 11, 1, 6, 30, tzinfo=UTC),
            "1:45",
            datetime(2026, 11, 1, 6, 45, tzinfo=UTC),
        ),
        # 01:30 the first time (EDT, 05:30 UTC): the first 01:45.
        (
            datetime(2026, 11, 1, 5, 30, tzinfo=UTC),
            "1:45",
            datetime(2026, 11, 1, 5, 45, tzinfo=UTC),
        ),
        # 02:30 does not exist on the spring-forward night: the zone's moment, 03:30 EDT.
        (datetime(2026, 3, 8, 6, 0, tzinfo=UTC), "2:30", datetime(2026, 3, 8, 7, 30, tzinfo=UTC)),
    ],
)
def test_a_time_of_day_in_an_hour_a_dst_change_repeats_is_the_next_one(
    now: datetime, words: str, expected: datetime
) -> None:
    found = parse_eta(words, now=now, zone=ZoneInfo("America/New_York"))
    assert found.astimezone(UTC) == expected
    assert found > now


@PROPERTY
@given(text=st.one_of(strategies.hostile_text(6), st.text(max_size=40)), zone=ZONES)
def test_any_input_is_a_moment_or_one_sentence(text: str, zone: ZoneInfo) -> None:
    try:
        found = parse_eta(text, now=NOW, zone=zone)
    except EtaWordsError as error:
        assert str(error) and "\n" not in str(error)
    else:
        assert found.tzinfo is not None
