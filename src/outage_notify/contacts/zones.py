"""Which time zone a reader's times are shown in, and whether a text names a real zone.

A contact's zone is, in this order: the `timezone` of its entry or row; the zone of its phone
number when the number maps to exactly one (`phonenumbers`' time-zone data: +1 415 is
America/Los_Angeles, +44 20 Europe/London, but +351 is both Lisbon and the Azores); the
audience file's `timezone`; the organisation's (`OUTAGE_NOTIFY_TIMEZONE`). The first two are
settled when a contact is loaded, the audience's in `routing.recipients`, the last when the
message is rendered (a recipient whose zone is "" reads the organisation's).
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import phonenumbers

# Imported here, not on first use: its data is loaded once per process, not inside the
# loading of the first contact (which would count it against every contact's memory).
from phonenumbers import timezone as phone_zones

# What phonenumbers answers for a number it cannot place.
_UNKNOWN = "Etc/Unknown"


# What an IANA name looks like (`America/Argentina/Buenos_Aires`, `Etc/GMT+3`, `UTC`): checked
# before the name is looked up, so a value such as '../../etc/passwd', a NUL or 5,000
# characters from a contact file is refused without touching the file system.
_ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+){0,2}")
_LONGEST = 64
# Files of the database that are not zones of their own: copies under posix/ and right/ (the
# latter counts leap seconds, so its clocks are off by about half a minute), the machine's
# own `localtime` and the template `posixrules`.
_NOT_ZONES = re.compile(r"(?:posix|right)/.*|localtime|posixrules")


@lru_cache(maxsize=1)
def known_zones() -> tuple[str, ...]:
    """Every zone name of this machine's database, sorted; only for suggesting a correction
    (reading them all takes a fifth of a second)."""
    return tuple(sorted(available_timezones()))


def is_known_zone(name: str) -> bool:
    """Whether `name` is an IANA zone name, exactly as written (`America/Sao_Paulo`)."""
    if len(name) > _LONGEST or not _ZONE_NAME.fullmatch(name) or _NOT_ZONES.fullmatch(name):
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        # OSError: a folder of the database (`America`) is a name but not a zone.
        return False
    return True


def zone_problem(value: object) -> str | None:
    """Why `value` is not a zone name (with the closest real one when it is a typo), or None."""
    if isinstance(value, str) and is_known_zone(value):
        return None
    # Shown to an operator: invisible characters made visible, a long value cut.
    text = "".join(c if c.isprintable() else "?" for c in str(value)[:100])
    text += "…" if len(str(value)) > 100 else ""
    same = [zone for zone in known_zones() if zone.casefold() == text.casefold()]
    close = same or difflib.get_close_matches(text, known_zones(), n=1)
    hint = f"did you mean '{close[0]}'?" if close else "write it like America/Sao_Paulo."
    return f"'{text}' is not an IANA time zone; {hint}"


def zone_for_phone(phone: str | None) -> str | None:
    """The one zone `phone` (E.164) lies in, or None when it has none or several."""
    if not phone:
        return None
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return None
    zones = [zone for zone in phone_zones.time_zones_for_number(number) if zone != _UNKNOWN]
    if len(zones) != 1 or not is_known_zone(zones[0]):
        return None
    return zones[0]
