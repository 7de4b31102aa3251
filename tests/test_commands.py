"""Staff command parsing (pure): verbs, `#id`, ETA times, and the sentences errors are."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outage_notify.commands.parsing import Command, CommandError, parse, read_time
from outage_notify.commands.replies import IncidentFacts, sms_text
from outage_notify.messages.catalogs import Words, locales
from outage_notify.messages.sms_encoding import sms_segments
from tests.strategies import examples, hostile_text

ZONE = ZoneInfo("America/Sao_Paulo")  # UTC-3, no DST
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
# 10:00 in São Paulo.
NOW = datetime(2026, 5, 7, 13, 0, tzinfo=UTC)


def local(day: int, hour: int, minute: int) -> datetime:
    return datetime(2026, 5, day, hour, minute, tzinfo=ZONE)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("status", Command("status")),
        ("STATUS", Command("status")),
        ("  Status  ", Command("status")),
        ("#12 status", Command("status", 12)),
        ("#12", Command("status", 12)),
        ("", Command("help")),
        ("help", Command("help")),
        ("update Mail server restarted", Command("update", text="Mail server restarted")),
        ("UPDATE  disk replaced", Command("update", text="disk replaced")),
        ("#3 update Vendor is on site", Command("update", 3, "Vendor is on site")),
        ("resolve", Command("resolve")),
        ("Resolve queue drained", Command("resolve", text="queue drained")),
        ("note tried restarting postfix", Command("note", text="tried restarting postfix")),
        ("note a\x00b", Command("note", text="ab")),
    ],
)
def test_commands_parse(text: str, expected: Command) -> None:
    assert parse(text, now=NOW, zone=ZONE) == expected


@pytest.mark.parametrize(
    ("text", "eta", "next_day"),
    [
        ("eta 14:30", local(7, 14, 30), False),
        ("ETA 14:30", local(7, 14, 30), False),
        ("eta 14h30", local(7, 14, 30), False),
        ("eta 9:15", local(8, 9, 15), True),  # 09:15 has passed today
        ("eta 10:00", local(8, 10, 0), True),  # exactly now: the next one
        ("eta 00:00", local(8, 0, 0), True),
        ("eta +45m", NOW + timedelta(minutes=45), False),
        ("eta +2h", NOW + timedelta(hours=2), False),
        ("eta 2h", NOW + timedelta(hours=2), False),
        ("eta 90m", NOW + timedelta(minutes=90), False),
        ("eta 90min", NOW + timedelta(minutes=90), False),
        ("eta 1h30m", NOW + timedelta(minutes=90), False),
        ("eta 2026-05-08T14:30", local(8, 14, 30), False),
        ("eta 2026-05-08T14:30:00+00:00", datetime(2026, 5, 8, 14, 30, tzinfo=UTC), False),
        ("eta 2026-05-08T14:30Z", datetime(2026, 5, 8, 14, 30, tzinfo=UTC), False),
    ],
)
def test_eta_times(text: str, eta: datetime, next_day: bool) -> None:
    command = parse(text, now=NOW, zone=ZONE)
    assert command.verb == "eta"
    assert command.eta == eta
    assert command.eta_next_day is next_day
    assert command.text == ""


def test_a_clock_time_that_has_passed_is_tomorrow_in_the_zone_not_in_utc() -> None:
    # 23:30 in São Paulo is already 02:30 UTC of the next day: "01:00" is that local night.
    late = datetime(2026, 5, 8, 2, 30, tzinfo=UTC)
    command = parse("eta 01:00", now=late, zone=ZONE)
    assert command.eta == local(8, 1, 0)
    assert command.eta_next_day is True


def test_a_clock_time_across_a_dst_change_keeps_its_clock_time() -> None:
    lisbon = ZoneInfo("Europe/Lisbon")  # clocks go forward at 01:00 on 29 March 2026
    now = datetime(2026, 3, 28, 23, 0, tzinfo=UTC)  # 23:00 WET
    command = parse("eta 22:00", now=now, zone=lisbon)
    assert command.eta is not None
    assert command.eta.astimezone(lisbon).hour == 22
    assert command.eta.astimezone(UTC) == datetime(2026, 3, 29, 21, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "eta", "next_day"),
    [
        # New York goes back from 02:00 EDT to 01:00 EST on 1 November 2026: 01:00-02:00 twice.
        (datetime(2026, 11, 1, 5, 15, tzinfo=UTC), datetime(2026, 11, 1, 5, 30, tzinfo=UTC), False),
        # 01:15 on the second pass: 01:30 EDT has passed, 01:30 EST is still to come.
        (datetime(2026, 11, 1, 6, 15, tzinfo=UTC), datetime(2026, 11, 1, 6, 30, tzinfo=UTC), False),
        # 01:45 on the first pass: the next 01:30 is the repeated one, an hour and 45 min away.
        (datetime(2026, 11, 1, 5, 45, tzinfo=UTC), datetime(2026, 11, 1, 6, 30, tzinfo=UTC), False),
        # 01:45 on the second pass: both of today's have passed.
        (datetime(2026, 11, 1, 6, 45, tzinfo=UTC), datetime(2026, 11, 2, 6, 30, tzinfo=UTC), True),
    ],
    ids=["first-pass", "second-pass", "first-pass-late", "second-pass-late"],
)
def test_a_clock_time_in_the_hour_repeated_when_clocks_go_back_is_still_to_come(
    now: datetime, eta: datetime, next_day: bool
) -> None:
    command = parse("eta 01:30", now=now, zone=ZoneInfo("America/New_York"))
    assert command.eta is not None
    assert command.eta > now
    assert command.eta.astimezone(UTC) == eta
    assert command.eta.astimezone(ZoneInfo("America/New_York")).strftime("%H:%M") == "01:30"
    assert command.eta_next_day is next_day


FALL_BACK = datetime(2026, 11, 1, 4, 50, tzinfo=UTC)  # 00:50 EDT, New York's fall-back night
SPRING_FORWARD = datetime(2026, 3, 8, 6, 0, tzinfo=UTC)  # 01:00 EST, the spring-forward night


@pytest.mark.parametrize(
    ("now", "words", "stored"),
    [
        # 01:30 EDT: an hour the clocks repeat.
        (FALL_BACK, "eta 01:30", datetime(2026, 11, 1, 5, 30, tzinfo=UTC)),
        (FALL_BACK, "eta 2026-11-01T01:30", datetime(2026, 11, 1, 5, 30, tzinfo=UTC)),
        # 02:30 does not exist that night: it is 03:30 EDT.
        (SPRING_FORWARD, "eta 02:30", datetime(2026, 3, 8, 7, 30, tzinfo=UTC)),
    ],
    ids=["repeated-hour", "repeated-hour-iso", "skipped-hour"],
)
def test_the_eta_of_a_command_equals_the_same_eta_stored(
    now: datetime, words: str, stored: datetime
) -> None:
    """The ETA is compared with the one stored (UTC) to say "nothing was sent" and to decide
    whether it changed: in an hour a DST change repeats or skips, a local time never equals a
    UTC one (PEP 495), and the same ETA sent twice told every stakeholder it had changed."""
    command = parse(words, now=now, zone=ZoneInfo("America/New_York"))
    assert command.eta is not None
    assert command.eta == stored
    assert command.eta.utcoffset() == timedelta(0)


def test_an_eta_may_carry_a_message() -> None:
    command = parse("#4 eta +30m waiting for the vendor", now=NOW, zone=ZONE)
    assert command == Command(
        "eta", 4, "waiting for the vendor", NOW + timedelta(minutes=30), False
    )


@pytest.mark.parametrize("gap", ["\n", "\r\n", "\t", "\u00a0", "\u3000", "  \n "])
def test_any_whitespace_ends_the_time_of_an_eta(gap: str) -> None:
    # An SMS `ETA 14:30` with its text on the next line: Twilio hands over the line break.
    command = parse(f"ETA 14:30{gap}Back soon", now=NOW, zone=ZONE)
    assert (command.eta, command.text) == (local(7, 14, 30), "Back soon")


@pytest.mark.parametrize(
    "text", ["eta 2026-05-08 14:30 disk swapped", "eta 2026-05-08 14h30 disk swapped"]
)
def test_a_date_and_a_time_as_two_words_are_one_eta(text: str) -> None:
    # As people write it and as the CLI reads it: the date alone was refused as "no time".
    command = parse(text, now=NOW, zone=ZONE)
    assert (command.eta, command.text) == (local(8, 14, 30), "disk swapped")


@pytest.mark.parametrize(
    "zone", ["UTC", "utc", "GMT", "Z", "BST", "EDT", "Europe/London", "+01:00", "UTC+2"]
)
def test_a_time_followed_by_a_zone_is_refused_not_read_in_the_organisations(zone: str) -> None:
    # `eta 14:30 UTC` set 14:30 in the organisation's zone and sent "UTC" as the update's text.
    with pytest.raises(CommandError) as raised:
        parse(f"eta 14:30 {zone} mail queue draining", now=NOW, zone=ZONE)
    message = str(raised.value)
    assert "America/Sao_Paulo" in message and "offset" in message, message


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("eta 14:30 DNS fix under way", "DNS fix under way"),
        # Capitals, as people text: words that are also zone abbreviations somewhere.
        ("ETA 14:30 WEST WING POWER RESTORED", "WEST WING POWER RESTORED"),
        ("eta 14:30 ART team on site", "ART team on site"),
        ("eta 14:30 IST team on it", "IST team on it"),
        ("eta 14:30 EST. cost unchanged", "EST. cost unchanged"),
        # A duration or a time with its offset means the same moment whatever follows.
        ("eta +2h UTC maintenance window", "UTC maintenance window"),
    ],
)
def test_a_word_after_the_time_that_cannot_change_it_is_the_text(text: str, said: str) -> None:
    command = parse(text, now=NOW, zone=ZONE)
    assert command.text == said


def test_a_date_and_a_time_with_its_offset_as_two_words_are_one_eta() -> None:
    # What the refusal of `eta 14:30 UTC` suggests, written with a space.
    command = parse("eta 2026-05-08 14:30+01:00 swap done", now=NOW, zone=ZONE)
    assert (command.eta, command.text) == (datetime(2026, 5, 8, 13, 30, tzinfo=UTC), "swap done")


def test_an_iso_eta_in_the_organisations_zone_is_compared_as_an_instant() -> None:
    # 01:45 the second time (EST): 01:50 the first time (EDT) passed 55 minutes ago. Compared
    # as wall-clock times (same tzinfo, PEP 495) it looked 5 minutes ahead.
    new_york = ZoneInfo("America/New_York")
    now = datetime(2026, 11, 1, 1, 45, fold=1, tzinfo=new_york)
    with pytest.raises(CommandError, match="has already passed"):
        parse("eta 2026-11-01T01:50-04:00", now=now, zone=new_york)
    with pytest.raises(CommandError, match="has already passed"):
        read_time("2026-11-01T01:50", now=now, zone=new_york)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("eta", "Give the new ETA: eta 14:30, eta +45m or eta 2026-05-08T14:30."),
        ("eta soon", "'soon' is not a time. Use 14:30, +45m, +2h or 2026-05-08T14:30."),
        ("eta 25:00", "25:00 is not a time of day; use 00:00 to 23:59."),
        ("eta 14:75", "14:75 is not a time of day"),
        ("eta +0m", "'+0m' is now; an ETA must be in the future."),
        ("eta 0d0h", "'0d0h' is now; an ETA must be in the future."),
        ("eta 2026-05-01T10:00", "2026-05-01T10:00 has already passed"),
        ("eta 2026-05-08", "Give a time as well as the date"),
        ("eta +2000h", "more than 30 days away"),
        ("update", "Say what to send: update <text>."),
        ("note", "Say what to note: note <text>."),
        ("reboot the server", "Unknown command 'reboot'. Try: status"),
        ("#abc status", "'#abc' is not an incident number; write it like #12."),
        ("update " + "x" * 2001, "The text is 2001 characters long; the limit is 2000."),
    ],
)
def test_mistakes_are_sentences(text: str, says: str) -> None:
    with pytest.raises(CommandError) as raised:
        parse(text, now=NOW, zone=ZONE)
    message = str(raised.value)
    assert says in message
    assert message[0].isupper() or message[0] in "'#0123456789"
    assert message.endswith(".")


@pytest.mark.fuzz
@settings(max_examples=examples(), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    verb=st.sampled_from(["", "#", "#12 ", "eta ", "ETA ", "update ", "note ", "x ", "#1a "]),
    rest=hostile_text(),
    locale=st.sampled_from(locales(TEMPLATES)),
)
def test_any_text_is_a_command_or_a_sentence_in_every_locale(
    verb: str, rest: str, locale: str
) -> None:
    """Typed text (`%`, markup, surrogates) never breaks a translated error sentence."""
    try:
        parse(verb + rest, now=NOW, zone=ZONE)
    except CommandError as error:
        said = error.say(Words.of(TEMPLATES, locale))
        assert said.endswith("."), said
        assert all(str(value) in said for value in error.arguments.values()), said
        if locale == "en":
            assert said == str(error)


def facts(title: str) -> IncidentFacts:
    return IncidentFacts(
        id=12,
        title=title,
        service="email",
        phase="fixing",
        severity="major",
        eta="14:30",
        next_update="15:00",
        last_update="update 13:02 by ana: disk replaced",
    )


@pytest.mark.parametrize(
    "title",
    ["Mail down", "Mail " * 80, "Servidor de e-mail fora do ar — não envia 📧 " * 5],
)
def test_an_sms_reply_fits_two_segments(title: str) -> None:
    text = sms_text("ETA set to 14:30; stakeholders are being told.", facts(title))
    assert sms_segments(text) <= 2
    assert text.startswith("ETA set to 14:30; stakeholders are being told. #12 ")


def test_a_short_sms_reply_says_the_whole_state() -> None:
    text = sms_text("Update posted; stakeholders are being told.", facts("Mail down"))
    assert text == (
        "Update posted; stakeholders are being told. #12 Mail down: fixing, major."
        " ETA 14:30. Next update 15:00."
    )
