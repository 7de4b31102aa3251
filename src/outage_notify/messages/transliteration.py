"""GSM-7 transliteration of SMS bodies (optional setting `SMS_TRANSLITERATE`); pure.

One letter outside GSM 03.38 (ã, ç, á, a smart quote) bills the whole SMS as UCS-2: 70
characters per segment instead of 160 (see VENDOR_NOTES "SMS encoding"). Replacing those
letters by their nearest GSM-7 form (ã → a, ç → c, “ → ") usually halves a Portuguese
message. Letters GSM-7 has (é É à Ç ü ö ñ å ø æ ß è ù ì ò ...) are kept as they are, and
characters with no GSM-7 form (emoji, other scripts) are left alone.
"""

from __future__ import annotations

import unicodedata

from outage_notify.messages.sms_encoding import GSM7_BASIC, GSM7_EXTENSION, sms_encoding

GSM7 = GSM7_BASIC | GSM7_EXTENSION

# Typography that word processors and phones put in place of plain ASCII. Letters are not
# listed: they are found by stripping their accents (see `gsm7_form`).
_PUNCTUATION = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-",
    "\u2212": "-",
    "\u2026": "...",
    "\u00a0": " ", "\u2007": " ", "\u2009": " ", "\u202f": " ",
    "\u2022": "-",
    "\u00ba": "o", "\u00aa": "a",
}  # fmt: skip


def _char_form(char: str) -> str:
    if char in GSM7:
        return char
    if char in _PUNCTUATION:
        return _PUNCTUATION[char]
    # Compatibility decomposition, then drop the accents: ã → a + ~ → a, Ê → E, ﬀ stays.
    decomposed = unicodedata.normalize("NFKD", char)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    if stripped and all(c in GSM7 for c in stripped):
        return stripped
    return char


def gsm7_form(text: str) -> str:
    """Every character replaced by its GSM-7 form where it has one; the rest left as is."""
    # Composed first, so "e" + combining acute becomes é (GSM-7) instead of a bare "e".
    return "".join(_char_form(char) for char in unicodedata.normalize("NFC", text))


def transliterate_sms(text: str) -> str:
    """`text` in GSM-7 when transliteration gets it there; otherwise unchanged.

    A message that stays UCS-2 anyway (an emoji, a name in another script) costs the same
    with its accents, so it keeps them.
    """
    if sms_encoding(text) == "GSM-7":
        return text
    converted = gsm7_form(text)
    return converted if sms_encoding(converted) == "GSM-7" else text
