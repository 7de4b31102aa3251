"""`storable`: monitoring text with NULs dropped and lone surrogates replaced, never refused."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from outage_notify.core.models import LONE_SURROGATE, REPLACEMENT_CHARACTER, storable
from tests import strategies

# Any code point, surrogates included, plus the ones that broke something before.
TEXT = st.lists(
    st.one_of(
        st.characters(exclude_categories=()),
        st.sampled_from(strategies.HOSTILE_CHARACTERS),
    ),
    max_size=12,
).map("".join)
VALUES = st.recursive(
    st.one_of(TEXT, st.integers(), st.none()),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=4).map(tuple),
        st.dictionaries(TEXT, inner, max_size=4),
    ),
    max_leaves=12,
)


def first_storable(value: Any) -> Any:
    """`storable` as first written, before its ASCII shortcut."""
    if isinstance(value, str):
        return LONE_SURROGATE.sub(REPLACEMENT_CHARACTER, value.replace("\x00", ""))
    if isinstance(value, dict):
        return {first_storable(key): first_storable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(first_storable(item) for item in value)
    return value


@settings(max_examples=strategies.examples() * 8, deadline=None)
@given(value=VALUES)
def test_storable_is_what_it_was_first_defined_as(value: Any) -> None:
    assert storable(value) == first_storable(value)


def test_nul_is_dropped_and_a_lone_surrogate_replaced() -> None:
    assert storable({"a\x00b": ["x\x00", "\ud800 é"]}) == {"ab": ["x", "\ufffd é"]}
    assert storable(("plain",)) == ("plain",)
