"""Which of the locales at hand serves a reader: one rule for every place that falls back.

Templates, catalogs, public words, component names, incident templates and the ways to reach
IT each pick the text for a reader's locale; each had its own copy of the order.
"""

from __future__ import annotations

from collections.abc import Iterable


def locale_chain(known: Iterable[str], locale: str, fallback: str) -> list[str]:
    """The keys of `known` that serve a reader of `locale`, best first: the same locale (any
    case, `_` or `-`), then the same language in `known`'s order, then `fallback` (known or
    not: a caller that needs only known keys keeps those)."""
    wanted = locale.lower().replace("_", "-")
    language = wanted.split("-")[0]
    keys = list(known)
    chain = [key for key in keys if key.lower() == wanted]
    chain += [key for key in keys if key.lower().split("-")[0] == language]
    return list(dict.fromkeys([*chain, fallback]))
