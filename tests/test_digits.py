"""Outside digits (core/digits.py): what passes is a number `int()` reads, and nothing else."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from outage_notify.core.digits import ascii_digits


@given(st.text(max_size=30), st.none() | st.integers(min_value=0, max_value=30))
@example("²", None)
@example("\u0663", None)  # an Arabic-Indic 3: int() reads it, we do not
@example("12", 1)
def test_what_passes_is_a_number_of_0_to_9_within_its_length(
    text: str, at_most: int | None
) -> None:
    if ascii_digits(text, at_most=at_most):
        assert int(text) >= 0 and set(text) <= set("0123456789")
        assert at_most is None or len(text) <= at_most
    else:
        assert (
            not text
            or not set(text) <= set("0123456789")
            or (at_most is not None and len(text) > at_most)
        )


@pytest.mark.parametrize("text", ["", "¹", "²³", "+1", " 1", "1.0", "\u0661"])
def test_these_are_not_outside_digits(text: str) -> None:
    assert not ascii_digits(text)
