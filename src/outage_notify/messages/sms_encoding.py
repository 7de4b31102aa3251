"""How much an SMS body costs: its encoding, its length in that encoding and its segments.

One character outside the GSM 03.38 alphabet switches the whole message to UCS-2, which cuts a
segment from 160 to 70 characters (see VENDOR_NOTES "SMS encoding"). Counting here matches what
carriers bill, so templates can be kept within budget before anything is sent.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, NamedTuple

Encoding = Literal["GSM-7", "UCS-2"]

# GSM 03.38 default alphabet, in table order. ESC (0x1B) is left out on purpose: it only
# introduces the extension table and is not a character a message may contain.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Extension table: each costs two septets (ESC + code). \f is the page break.
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


class SmsMeasure(NamedTuple):
    encoding: Encoding
    # Septets for GSM-7, UTF-16 code units for UCS-2: the unit segments are counted in.
    length: int
    segments: int


GSM7 = GSM7_BASIC | GSM7_EXTENSION


def sms_encoding(text: str) -> Encoding:
    """GSM-7 if every character is in the GSM 03.38 basic or extension table, else UCS-2."""
    return "GSM-7" if GSM7.issuperset(text) else "UCS-2"


def _costs(text: str, encoding: Encoding) -> list[int]:
    if encoding == "GSM-7":
        return [2 if char in GSM7_EXTENSION else 1 for char in text]
    # Characters beyond the BMP (emoji) take a surrogate pair: two UTF-16 code units.
    return [2 if ord(char) > 0xFFFF else 1 for char in text]


def _parts(costs: Iterable[int], single: int, per_part: int) -> int:
    costs = list(costs)
    if sum(costs) <= single:
        return 1
    # Split greedily the way handsets do: an escape pair or a surrogate pair never straddles
    # two parts, so a part may end one unit short of `per_part`.
    parts, used = 1, 0
    for cost in costs:
        if used + cost > per_part:
            parts, used = parts + 1, 0
        used += cost
    return parts


def measure_sms(text: str) -> SmsMeasure:
    """Encoding, length in encoding units and number of segments; an SMS is at least one."""
    encoding = sms_encoding(text)
    single, per_part = (GSM7_SINGLE, GSM7_PART) if encoding == "GSM-7" else (UCS2_SINGLE, UCS2_PART)
    # Counted in C where it can be (every template check and every fan-out measures bodies):
    # the two-unit characters are the extension table's, or UTF-16's surrogate pairs.
    if encoding == "GSM-7":
        doubles = sum(map(text.count, GSM7_EXTENSION))
    else:
        doubles = len(text.encode("utf-16-le", "surrogatepass")) // 2 - len(text)
    length = len(text) + doubles
    if length <= single:
        return SmsMeasure(encoding, length, 1)
    if not doubles:
        # Nothing can straddle two parts: greedy splitting is plain division.
        return SmsMeasure(encoding, length, -(-length // per_part))
    return SmsMeasure(encoding, length, _parts(_costs(text, encoding), single, per_part))


def sms_segments(text: str) -> int:
    """Number of segments the text is billed as."""
    return measure_sms(text).segments
