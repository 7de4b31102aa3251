"""ETAs as staff type them (`outage-notify incident … --eta`), read in the organisation's zone:
examples for each form, properties over any instant, zone and input, and the same reading as
Slack and SMS commands (`commands.parsing`)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from outage_notify.cli.eta_words import MAX_AHEAD, EtaWordsError, parse_eta
from outage_notify.commands.parsing import CommandError, parse, parse_time
from outage_notify.incidents.eta_rules import MAX_AHEAD as ETA_RULES_MAX_AHEAD
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
        (
            "soon",
            "'soon' is not a time. Use 14:30, +45m, +2h or 2026-12-06T14:30. Clock times are"
            " the organisation's (America/Sao_Paulo).",
        ),
        ("25:00", "25:00 is not a time of day"),
        ("12:61", "12:61 is not a time of day"),
        ("+0m", "'+0m' is now; an ETA must be in the future."),
        ("+9000h", "more than 30 days away"),
        ("+31d", "more than 30 days away"),
        ("h", "'h' is not a time"),
        ("2026-12-08", "Give a time as well as the date"),
        ("2026-12-05T12:00", "has already passed"),
        ("9999-12-31T23:59-05:00", "more than 30 days away"),
        ("0001-01-01T00:00+05:00", "has already passed"),
    ],
)
def test_an_unreadable_eta_is_one_sentence(words: str, sentence: str) -> None:
    with pytest.raises(EtaWordsError, match=re.escape(sentence)):
        parse_eta(words, now=NOW, zone=SAO_PAULO)


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        # A maintenance window may start a minute ago or months ahead: the service decides.
        ("2026-12-05T12:58", datetime(2026, 12, 5, 12, 58, tzinfo=SAO_PAULO)),
        ("+60d", datetime(2027, 2, 3, 13, 0, tzinfo=SAO_PAULO)),
    ],
)
def test_a_maintenance_time_leaves_past_and_far_to_the_service(
    words: str, expected: datetime
) -> None:
    assert parse_eta(words, now=NOW, zone=SAO_PAULO, future=False, max_ahead=None) == expected


@pytest.mark.parametrize("words", ["9999-12-31T23:59-05:00", "0001-01-01T00:00+05:00"])
def test_a_maintenance_time_out_of_pythons_range_is_one_sentence(words: str) -> None:
    with pytest.raises(EtaWordsError, match="out of range"):
        parse_eta(words, now=NOW, zone=SAO_PAULO, future=False, max_ahead=None)


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


CLOCKS = st.builds(
    "{}{}{:02d}".format, st.integers(0, 30), st.sampled_from([":", "h"]), st.integers(0, 70)
)
DURATIONS = st.builds(
    "{}{}{}{}".format,
    st.sampled_from(["", "+"]),
    st.sampled_from(["", "1d", "2d", "45d"]),
    st.sampled_from(["", "2h", "30h", "800h"]),
    st.sampled_from(["", "0m", "45m", "90min", "50000m"]),
).filter(bool)
# Without whitespace: a terminal argument's inner spaces are the CLI's to drop (`1h 30m`), where
# a command's first word is its time; a blank ETA has a sentence of the CLI's own.
OTHER_WORDS = st.text(st.characters(exclude_categories=("Zs", "Zl", "Zp", "Cc", "Cs")), min_size=1)


@st.composite
def iso_words(draw: st.DrawFn, now: datetime, zone: ZoneInfo) -> tuple[str, datetime | None]:
    """An ISO 8601 time from 3 days before `now` to 40 after, and the instant it names when
    that does not depend on the zone's rules (an offset or Z given)."""
    moment = now + timedelta(minutes=draw(st.integers(-3 * 24 * 60, 40 * 24 * 60)))
    moment = moment.replace(second=0, microsecond=0)
    form = draw(st.sampled_from(["local", "utc", "offset", "date"]))
    if form == "local":
        return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M"), None
    if form == "utc":
        return moment.strftime("%Y-%m-%dT%H:%MZ"), moment
    if form == "offset":
        return moment.astimezone(zone).isoformat(timespec="minutes"), moment
    return moment.astimezone(zone).date().isoformat(), None


@st.composite
def typed_times(draw: st.DrawFn) -> tuple[str, datetime, ZoneInfo, datetime | None]:
    """Words for an ETA, the instant and zone they are read at, and the instant they name if
    known independently of the parsers."""
    now, zone = draw(INSTANTS), draw(ZONES)
    words, named = draw(
        st.one_of(
            st.tuples(st.one_of(CLOCKS, DURATIONS, OTHER_WORDS), st.none()),
            iso_words(now, zone),
        )
    )
    return words, now, zone, named


@PROPERTY
@given(typed=typed_times())
def test_the_cli_reads_time_words_as_slack_and_sms_do(
    typed: tuple[str, datetime, ZoneInfo, datetime | None],
) -> None:
    """`--eta` in a terminal and `eta <time>` in Slack or by SMS: the same words, the same
    moment or the same refusal (the CLI once capped ETAs at 7 days where the service takes 30,
    took a date alone and a past time, and Slack and SMS did not know `1d`)."""
    words, now, zone, named = typed
    try:
        command = parse(f"eta {words}", now=now, zone=zone)
    except CommandError as refusal:
        with pytest.raises(EtaWordsError) as error:
            parse_eta(words, now=now, zone=zone)
        assert str(error.value).startswith(str(refusal))
        return
    found = parse_eta(words, now=now, zone=zone)
    assert command.eta is not None and found.astimezone(UTC) == command.eta
    assert now < command.eta <= now + MAX_AHEAD
    if named is not None:
        assert command.eta == named


@pytest.mark.parametrize("words", ["+2d", "1d12h", "10d"])
def test_slack_and_sms_read_days_as_the_cli_does(words: str) -> None:
    command, _ = parse_time(words, now=NOW, zone=SAO_PAULO)
    assert command == parse_eta(words, now=NOW, zone=SAO_PAULO).astimezone(UTC)
    assert timedelta(days=1) <= command - NOW <= timedelta(days=10)


def test_the_cli_takes_an_eta_as_far_ahead_as_the_service() -> None:
    # Refused as "more than 7 days ahead" before, though the API and Slack took it.
    assert parse_eta("+20d", now=NOW, zone=SAO_PAULO) == NOW + timedelta(days=20)
    assert ETA_RULES_MAX_AHEAD == MAX_AHEAD
