"""What becomes of context values inside templates: per-channel escaping and local times
(Babel, in the reader's zone; component names come from the catalogue,
`contacts.components`). Templates are trusted; these functions are where untrusted text
is made inert.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_datetime, format_skeleton, get_timezone_gmt
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from outage_notify.core.models import ChannelName

FALLBACK_LOCALE = "en"


# Noncharacters XML 1.0 cannot carry (every other character it refuses is Cc or Cs).
_NOT_XML = frozenset("\ufffe\uffff")


def clean_text(text: str) -> str:
    """Drop control and invisible format characters (bidi overrides, zero-width), lone
    surrogates and U+FFFE/U+FFFF, keep \\n: what is left is valid in XML 1.0 and in UTF-8."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    # Fast path (templates call this for every expression): a printable character is none of
    # Cc, Cf, Cs, nor U+FFFE/U+FFFF (unassigned, so not printable), so nothing would be dropped.
    if text.replace("\n", "").isprintable():
        return text
    return "".join(
        char
        for char in text
        if char == "\n"
        or (unicodedata.category(char) not in {"Cc", "Cf", "Cs"} and char not in _NOT_XML)
    )


def slack_escape(text: str) -> str:
    """Slack's own rule: only & < > are escaped, so <!channel> or <url|label> arrive inert."""
    return clean_text(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_ESCAPERS: dict[ChannelName, Callable[[str], str]] = {
    ChannelName.SLACK: slack_escape,
    ChannelName.SMS: clean_text,
    ChannelName.FALLBACK: clean_text,
    ChannelName.WHATSAPP: clean_text,
}


def finalizer(channel: ChannelName) -> Callable[[object], Markup]:
    """Jinja `finalize` for a channel: every `{{ expression }}` result goes through it."""
    escape = _ESCAPERS[channel]

    def finalize(value: object) -> Markup:
        # Markup only comes from macros and {% set %} blocks, whose own expressions were
        # already finalized; escaping them again would garble `&amp;` and the template's markup.
        if isinstance(value, Markup):
            return value
        return Markup(escape(str(value)))  # noqa: S704 - escaped for this channel just now

    return finalize


def format_time(
    moment: datetime,
    *,
    zone: ZoneInfo,
    now: datetime,
    locale: str,
    organisation_zone: ZoneInfo | None = None,
) -> str:
    """`moment` as a reader of `locale` in `zone` reads it: `14:30`; with the date when it is
    not on the day of `now` there (`Nov 28, 14:30`, `28 de nov. 14:30`); with the zone's
    abbreviation when `zone` is not `organisation_zone` (`17:30 PST`, `20:30 GMT`)."""
    # The store may hand back naive datetimes; they are UTC, never the server's local time.
    instant = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    today = (now if now.tzinfo else now.replace(tzinfo=UTC)).astimezone(zone).date()
    named = organisation_zone is not None and zone.key != organisation_zone.key
    return _formatted(instant, zone, today, locale, named)


# Babel's formatting is ~0.2 ms a call, and a message names the same few moments (the ETA,
# the start) in each of its renderings: the template check renders ~4,600. Keyed by the UTC
# instant, not the local time: the two 01:30s of a repeated hour are equal as local times.
@lru_cache(maxsize=4096)
def _formatted(instant: datetime, zone: ZoneInfo, today: date, locale: str, named: bool) -> str:
    local = instant.astimezone(zone)
    speaker = babel_locale(locale)
    # A 24-hour clock in every locale ("Hm", written the locale's way): what the organisation's
    # messages have always said, and never an "AM" a reader abroad could misplace.
    text = format_skeleton("Hm", local, tzinfo=zone, locale=speaker)
    if local.date() != today:
        day = format_skeleton("MMMd", local, tzinfo=zone, locale=speaker)
        text = str(speaker.datetime_formats["short"]).format(text, day)
    if named:
        text = f"{text} {zone_abbreviation(local, zone=zone, speaker=speaker)}"
    return text


def zone_abbreviation(local: datetime, *, zone: ZoneInfo, speaker: Locale) -> str:
    """A short name for `zone` at `local`: the locale's own (CLDR: `BRT` in pt-BR, `PST` in
    en), else the time-zone database's (`BST`, `CET`, `JST`), else the offset (`GMT-03:00`)."""
    named = format_datetime(local, "z", tzinfo=zone, locale=speaker)
    # CLDR falls back to "-0300" or a long name ("Pacific Standard Time" in en-GB).
    if named.isalpha() and len(named) <= 5:
        return named
    # The database also writes numbers ("-03" for Sao Paulo): not a name anyone knows.
    database = local.tzname() or ""
    if database.isalpha():
        return database
    # U+2212 is outside GSM-7: it would make the whole SMS UCS-2.
    return get_timezone_gmt(local, width="long", locale=speaker).replace("\u2212", "-")


@lru_cache(maxsize=64)
def babel_locale(locale: str) -> Locale:
    """Babel's data for one of our locale tags (`pt-BR`); English for one it does not know."""
    try:
        return Locale.parse(locale.replace("-", "_"))
    except (ValueError, TypeError, UnknownLocaleError):
        return Locale.parse(FALLBACK_LOCALE)


def time_filter(locale: str) -> Callable[..., str]:
    """The `time` filter for one locale's templates; the reader's `timezone`, the
    `organisation_timezone` and `now` come from the context."""

    @pass_context
    def time(context: Context, moment: datetime) -> str:
        if "timezone" not in context:
            raise RuntimeError("the time filter needs the context: import macros 'with context'")
        zone = ZoneInfo(context["timezone"])
        # The reader's zone is named whenever it is not the organisation's ("" or missing:
        # a render without a reader, such as `templates check`, shows the bare time).
        organisation = context.get("organisation_timezone") or ""
        return format_time(
            moment,
            zone=zone,
            now=context["now"],
            locale=locale,
            organisation_zone=ZoneInfo(organisation) if organisation else None,
        )

    return time
