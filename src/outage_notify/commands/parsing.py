"""Staff commands as people type them in Slack (`/outage eta 14:30`) or by SMS (`ETA 14:30`).

Pure: text in, a `Command` or a `CommandError` whose message is a sentence to show the sender,
in English (`str`) or in the reader's language (`CommandError.say(words)`: the catalogs).

    [#<id>] status | eta <time> [text] | update <text> | resolve [text] | note <text> | help

Command words are case-insensitive. A time is `14:30` (or `14h30`) in the service's time zone
(the next such time: after 14:30 it means tomorrow), a duration from now (`+45m`, `+2h`, `2h`,
`90m`, `1h30m`, `1d`, `2d4h`), or an ISO 8601 date and time (`2025-05-08T14:30`, in the
service's time zone unless it has an offset). `read_time` is the one reader of these words: the
staff CLI's `--eta`, `--start` and `--end` use it too (cli/eta_words.py), so the same words
mean the same moment in Slack, by SMS and in a terminal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Literal
from zoneinfo import ZoneInfo, available_timezones

from outage_notify.core.models import without_nul
from outage_notify.core.times_of_day import next_time_of_day
from outage_notify.messages.catalogs import N_, Words

Verb = Literal["status", "eta", "update", "resolve", "note", "help"]
VERBS: tuple[Verb, ...] = ("status", "eta", "update", "resolve", "note", "help")
# The limits of the HTTP API's bodies (StaffUpdate, ResolveIncident, record_schemas.NoteIn).
MAX_MESSAGE = 2000
MAX_NOTE = 10_000

# Further ahead than this is a typo (an extra digit in `+450h`), not an estimate: the service's
# own limit (incidents/eta_rules.MAX_AHEAD, which this package may not import; a test holds
# the two equal), said before anything is sent.
MAX_AHEAD = timedelta(days=30)

# `14:30` and the Brazilian `14h30`; a bare `2h` is a duration, like `90m`.
_CLOCK = re.compile(r"(?P<hour>\d{1,2})(?::|h)(?P<minute>\d{2})")
_DURATION = re.compile(
    r"\+?(?:(?P<days>\d{1,3})d)?(?:(?P<hours>\d{1,4})h)?(?:(?P<minutes>\d{1,5})m(?:in)?)?"
)
_INCIDENT = re.compile(r"#(?P<id>\d{1,18})")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# `+01:00`, `UTC+2`, `GMT-03:00` after a time (not `+2`: `eta 14:30 +2 engineers on site`).
_OFFSET = re.compile(r"(?:UTC|GMT)[+-]\d{1,2}(?::?\d{2})?|[+-]\d{2}:\d{2}", re.IGNORECASE)
# Abbreviations people type after a time; exact and upper case, so no word of a text matches.
# Not WEST, ART, IST or EST: words (or "estimated") in updates texted in capitals.
_ZONE_ABBREVIATIONS = frozenset({
    "BST", "CET", "CEST", "EET", "EEST", "WET", "MSK", "EDT", "CST", "CDT", "MST", "MDT", "PST",
    "PDT", "AKST", "AKDT", "HST", "BRT", "CLT", "AEST", "AEDT", "ACST", "AWST", "NZST", "NZDT",
    "JST", "KST", "HKT", "SGT", "SAST",
})  # fmt: skip

# Catalog msgids (translated with `Words`); the command words in them stay as staff type them.
HELP = N_(
    "Commands: status (the incident's state); eta <time> [text] (a new ETA: 14:30, +45m,"
    " +2h, or a date and time like 2026-05-08T14:30); update <text> (progress to"
    " stakeholders); resolve [text] (it is fixed); note <text> (internal, never sent)."
    " Start with #<id> when several incidents are open, e.g. #12 status."
)

NOT_A_TIME = N_("%(word)s is not a time. Use 14:30, +45m, +2h or %(example)s.")


class CommandError(ValueError):
    """Text that is not a command we can run; the message says why, as a sentence.

    `message` is a catalog msgid with `%(name)s` arguments: `str()` is the English sentence,
    `say(words)` the sentence in the reader's language.
    """

    def __init__(self, message: str, /, **arguments: object) -> None:
        super().__init__(message % arguments if arguments else message)
        self.message = message
        self.arguments = arguments

    def say(self, words: Words) -> str:
        """The sentence in the language of `words`."""
        return words(self.message, **self.arguments)


@dataclass(frozen=True)
class Command:
    """One parsed command: what to do, to which incident (None: the only open one)."""

    verb: Verb
    incident_id: int | None = None
    text: str = ""
    eta: datetime | None = None
    # The `14:30` it was given had passed today, so the ETA is on a later day: say which.
    eta_next_day: bool = False


def parse(text: str, *, now: datetime, zone: ZoneInfo) -> Command:
    """The command in `text`, or CommandError; `now` is aware, `zone` reads clock times."""
    words = without_nul(text).strip().split(None, 1)
    incident_id = None
    if words and words[0].startswith("#"):
        found = _INCIDENT.fullmatch(words[0])
        if found is None:
            raise CommandError(
                N_("%(word)s is not an incident number; write it like #12."), word=repr(words[0])
            )
        incident_id = int(found["id"])
        words = words[1].split(None, 1) if len(words) > 1 else []
    if not words:
        return Command("help" if incident_id is None else "status", incident_id)
    verb = words[0].lower()
    rest = words[1].strip() if len(words) > 1 else ""
    if verb == "status":
        return Command("status", incident_id)
    if verb == "help":
        return Command("help", incident_id)
    if verb == "eta":
        return _eta(rest, incident_id, now=now, zone=zone)
    if verb in ("update", "note"):
        if not rest:
            raise CommandError(
                N_("Say what to send: update <text>.")
                if verb == "update"
                else N_("Say what to note: note <text>.")
            )
        return Command(
            verb, incident_id, _limited(rest, MAX_NOTE if verb == "note" else MAX_MESSAGE)
        )
    if verb == "resolve":
        return Command("resolve", incident_id, _limited(rest, MAX_MESSAGE))
    raise CommandError(
        N_(
            "Unknown command %(word)s. Try: status | eta <time> [text] | update <text> | "
            "resolve [text] | note <text>; start with #<id> when several incidents are open."
        ),
        word=repr(words[0][:30]),
    )


def _eta(rest: str, incident_id: int | None, *, now: datetime, zone: ZoneInfo) -> Command:
    if not rest:
        raise CommandError(
            N_("Give the new ETA: eta 14:30, eta +45m or eta %(example)s."),
            example=_example(now, zone),
        )
    # Any whitespace ends the time: an SMS puts the text on the next line as often as not.
    when, message = _first_word(rest)
    clock_word, after = _first_word(message)
    if (joined := _date_and_clock(when, clock_word)) is not None:
        when, message = joined, after
    zone_word = _first_word(message)[0]
    # Only where the zone would change the moment: a clock time, an ISO time without offset.
    if _is_zone(zone_word) and _read_in_zone(when):
        # `eta 14:30 UTC` was read in the organisation's zone and "UTC" sent as the text.
        raise CommandError(
            N_(
                "%(word)s after the time is a time zone, but times are read in %(zone)s. Write"
                " the time there, or as ISO with an offset, e.g. %(example)s."
            ),
            word=repr(zone_word[:40]),
            zone=zone.key,
            example=_offset_example(now, zone),
        )
    eta, next_day = parse_time(when, now=now, zone=zone)
    return Command("eta", incident_id, _limited(message, MAX_MESSAGE), eta, next_day)


def _date_and_clock(date_word: str, clock_word: str) -> str | None:
    """`2026-05-08` and `14:30` (or `14h30`, `14:30+01:00`) as one ISO time, as people write a
    date and a time; None for other words (a date alone is refused as such)."""
    if not _DATE.fullmatch(date_word):
        return None
    clock = _CLOCK.fullmatch(clock_word.lower())
    if clock is not None:
        return f"{date_word}T{int(clock['hour']):02d}:{clock['minute']}"
    joined = f"{date_word}T{clock_word}"
    try:
        datetime.fromisoformat(joined)
    except ValueError:
        return None
    return joined


def _read_in_zone(when: str) -> bool:
    """Whether the organisation's zone decides what `when` means: a clock time or an ISO time
    without an offset (a duration, or an offset given, means one moment anywhere)."""
    word = when.strip().lower()
    if _CLOCK.fullmatch(word) is not None:
        return True
    try:
        return datetime.fromisoformat(when.strip()).tzinfo is None
    except ValueError:
        return False


def _first_word(text: str) -> tuple[str, str]:
    """The first word of `text` and the rest, split at any whitespace (line breaks, tabs,
    no-break spaces), the rest stripped."""
    # Not named `words`: the catalogs' extractor takes that name for the translation call.
    parts = text.strip().split(None, 1)
    if not parts:
        return "", ""
    return parts[0], parts[1].strip() if len(parts) > 1 else ""


def _is_zone(word: str) -> bool:
    """Whether `word`, after a time, names a time zone or an offset (`UTC`, `BST`, `+01:00`,
    `Europe/London`): ordinary words of an update's text do not."""
    if word.upper() in ("UTC", "GMT", "Z") or word in _ZONE_ABBREVIATIONS:
        return True
    if _OFFSET.fullmatch(word):
        return True
    return "/" in word and word in _zone_names()


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def parse_time(text: str, *, now: datetime, zone: ZoneInfo) -> tuple[datetime, bool]:
    """A future moment (UTC) from `14:30`, `+45m`, `2h` or ISO 8601; and whether a clock time
    rolled over to a later day. CommandError says what is wrong with anything else.

    UTC, not the zone's time: the caller compares it with the ETA stored, and in an hour a DST
    change repeats or skips a zone's time never equals (==) a UTC one (PEP 495), so the same
    ETA sent twice was announced to every stakeholder as changed."""
    moment, next_day = read_time(text, now=now, zone=zone)
    return moment.astimezone(UTC), next_day


def is_clock_or_duration(word: str) -> bool:
    """Whether `word` has the form of a clock time (`14:30`) or a duration (`1h30m`), readable
    or not (`25:00` has the form)."""
    word = word.strip().lower()
    return _CLOCK.fullmatch(word) is not None or bool(
        (duration := _DURATION.fullmatch(word)) and any(duration.groupdict().values())
    )


def read_time(
    text: str,
    *,
    now: datetime,
    zone: ZoneInfo,
    future: bool = True,
    max_ahead: timedelta | None = MAX_AHEAD,
) -> tuple[datetime, bool]:
    """The moment `text` means (aware; a clock time in `zone`, else UTC or the offset given)
    and whether a clock time rolled over to a later day; CommandError says what is wrong.

    An ETA (the defaults) must be ahead of `now` and at most MAX_AHEAD away, as the service
    requires (incidents/eta_rules.py). A maintenance window's times (`future=False`,
    `max_ahead=None`) are left to the service's own rules (maintenance/windows.py: a start a
    few minutes past, a year ahead); a duration still counts forward from `now`."""
    parts = text.split()
    if len(parts) == 2 and (joined := _date_and_clock(*parts)) is not None:
        text = joined
    word = text.strip().lower()
    clock = _CLOCK.fullmatch(word)
    if clock is not None:
        return _next_clock(int(clock["hour"]), int(clock["minute"]), now=now, zone=zone)
    duration = _DURATION.fullmatch(word)
    if duration is not None and (duration["days"] or duration["hours"] or duration["minutes"]):
        delta = timedelta(
            days=int(duration["days"] or 0),
            hours=int(duration["hours"] or 0),
            minutes=int(duration["minutes"] or 0),
        )
        if not delta:
            raise CommandError(
                N_("%(word)s is now; an ETA must be in the future."), word=repr(text.strip())
            )
        # In UTC: `+` on a zone's time adds wall-clock time (Python keeps the tzinfo), so a
        # duration counted from a local start across a DST change was an hour off.
        return _checked(now.astimezone(UTC) + delta, now, max_ahead), False
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise CommandError(
            NOT_A_TIME,
            word=repr(text.strip()[:40]),
            example=_example(now, zone),
        ) from None
    if _is_date_alone(text.strip()):
        raise CommandError(
            N_("Give a time as well as the date, e.g. %(example)s."), example=_example(now, zone)
        )
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    # As instants: two times of the same zone compare as wall-clock times (PEP 495), so in the
    # hour clocks go back a time that passed 55 minutes ago looked 5 minutes ahead.
    if future and moment.timestamp() <= now.timestamp():
        raise CommandError(
            N_("%(when)s has already passed; an ETA must be in the future."), when=text.strip()
        )
    return _checked(moment, now, max_ahead), False


def _next_clock(hour: int, minute: int, *, now: datetime, zone: ZoneInfo) -> tuple[datetime, bool]:
    if hour > 23 or minute > 59:
        raise CommandError(
            N_("%(clock)s is not a time of day; use 00:00 to 23:59."),
            clock=f"{hour}:{minute:02d}",
        )
    moment = next_time_of_day(hour, minute, after=now, zone=zone)
    return moment, moment.astimezone(zone).date() != now.astimezone(zone).date()


def _is_date_alone(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _offset_example(now: datetime, zone: ZoneInfo) -> str:
    """Tomorrow at 14:30 in `zone`, with its offset: a time no zone rule can misread."""
    tomorrow = now.astimezone(zone).date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(14, 30), tzinfo=zone).isoformat(timespec="minutes")


def _example(now: datetime, zone: ZoneInfo) -> str:
    """An ISO 8601 example that would be accepted: tomorrow at 14:30, local time."""
    return (now.astimezone(zone).date() + timedelta(days=1)).isoformat() + "T14:30"


def _checked(moment: datetime, now: datetime, max_ahead: timedelta | None) -> datetime:
    if max_ahead is not None and moment.timestamp() - now.timestamp() > max_ahead.total_seconds():
        raise CommandError(
            N_("That ETA is more than %(days)s days away; check the number."),
            days=max_ahead.days,
        )
    return moment


def _limited(text: str, limit: int) -> str:
    if len(text) > limit:
        raise CommandError(
            N_("The text is %(length)s characters long; the limit is %(limit)s."),
            length=len(text),
            limit=limit,
        )
    return text
