"""Numbers written by others (headers, links, form fields, ids typed at a terminal).

Only ASCII 0-9 counts as a digit: `str.isdigit()` also holds for "²" and "¹", on which `int()`
raises (a 500 where a 4xx was due), and for other scripts' digits, which `int()` reads though
nothing we issue carries them. Every check of outside digits goes through here.
"""

from __future__ import annotations


def ascii_digits(text: str, *, at_most: int | None = None) -> bool:
    """Whether `text` is one or more of 0-9, and no more than `at_most` of them."""
    return text.isascii() and text.isdigit() and (at_most is None or len(text) <= at_most)
