"""What becomes of context values inside templates: per-channel escaping and local times
(component names come from the catalogue, `outage_notify.components`). Templates are trusted;
these functions are where untrusted text is made inert.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from outage_notify.models import ChannelName

_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# Noncharacters XML 1.0 cannot carry (every other character it refuses is Cc or Cs).
_NOT_XML = frozenset("\ufffe\uffff")


def clean_text(text: str) -> str:
    """Drop control and invisible format characters (bidi overrides, zero-width), lone
    surrogates and U+FFFE/U+FFFF, keep \\n: what is left is valid in XML 1.0 and in UTF-8."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
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


def format_time(moment: datetime, *, zone: ZoneInfo, now: datetime, locale: str) -> str:
    """`14:30` when on the same local day as `now`, else `27 Nov 14:30` (en) / `27/11 14:30`."""
    # The store may hand back naive datetimes; they are UTC, never the server's local time.
    local = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(zone)
    reference = (now if now.tzinfo else now.replace(tzinfo=UTC)).astimezone(zone)
    clock = f"{local:%H:%M}"
    if local.date() == reference.date():
        return clock
    if locale.lower().startswith("en"):
        return f"{local.day} {_MONTHS_EN[local.month - 1]} {clock}"
    return f"{local:%d/%m} {clock}"


def time_filter(locale: str) -> Callable[..., str]:
    """The `time` filter for one locale's templates; timezone and `now` come from the context."""

    @pass_context
    def time(context: Context, moment: datetime) -> str:
        if "timezone" not in context:
            raise RuntimeError("the time filter needs the context: import macros 'with context'")
        zone = ZoneInfo(context["timezone"])
        return format_time(moment, zone=zone, now=context["now"], locale=locale)

    return time
