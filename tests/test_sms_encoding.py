"""What an SMS body costs: GSM-7 vs UCS-2 and the segment count carriers bill."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from outage_notify.messages.sms_encoding import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    measure_sms,
    sms_encoding,
    sms_segments,
)
from tests.strategies import examples


@pytest.mark.parametrize(
    ("text", "encoding", "length", "segments"),
    [
        ("", "GSM-7", 0, 1),
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),  # 153 x 2
        ("a" * 307, "GSM-7", 307, 3),
        # Extension characters cost two septets each.
        ("^{}\\[~]|€", "GSM-7", 18, 1),
        ("€" * 80, "GSM-7", 160, 1),
        ("€" * 81, "GSM-7", 162, 2),
        # An escape pair never straddles two parts: 306 septets, yet three segments.
        ("a" * 152 + "€" + "a" * 152, "GSM-7", 306, 3),
        ("ã" * 70, "UCS-2", 70, 1),
        ("ã" * 71, "UCS-2", 71, 2),
        ("ã" * 134, "UCS-2", 134, 2),  # 67 x 2
        ("ã" * 135, "UCS-2", 135, 3),
        # Characters beyond the BMP are two UTF-16 code units.
        ("😀" * 35, "UCS-2", 70, 1),
        ("😀" * 36, "UCS-2", 72, 2),
        ("Retorno previsto às 14:30, até logo", "GSM-7", 35, 1),
        ("Previsão", "UCS-2", 8, 1),
    ],
)
def test_measure(text: str, encoding: str, length: int, segments: int) -> None:
    assert measure_sms(text) == (encoding, length, segments)
    assert sms_segments(text) == segments


@pytest.mark.parametrize("char", list("éÉàÇüÜäöñÄÖÑ@£$¥èùìòØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¡§¿¤\n"))
def test_gsm_basic_characters(char: str) -> None:
    assert sms_encoding(f"Falha {char}") == "GSM-7"


@pytest.mark.parametrize(
    "char",
    # Portuguese letters outside GSM 03.38 (ç: only the capital is in the table), smart quotes,
    # dashes and ellipsis, as word processors and phones insert them.
    [*"ãõçáêíóôúâÃÕÁÊÍÓÔÚÂ", "\u201c", "\u201d", "\u2018", "\u2019", "\u2013", "\u2014", "…"],
)
def test_characters_that_force_ucs2(char: str) -> None:
    assert sms_encoding(f"Falha {char}") == "UCS-2"


@pytest.mark.parametrize(
    ("word", "encoding"),
    [
        ("até", "GSM-7"),
        ("às", "GSM-7"),
        ("CORREÇÃO", "UCS-2"),
        ("Ç", "GSM-7"),
        ("ç", "UCS-2"),
        ("atualização", "UCS-2"),
        ("e-mail", "GSM-7"),
    ],
)
def test_portuguese_words(word: str, encoding: str) -> None:
    assert sms_encoding(word) == encoding


def _measured_one_character_at_a_time(text: str) -> tuple[str, int, int]:
    """The billing rule written plainly (what measure_sms computes faster): each character's
    cost in its encoding's units, then parts filled greedily, no pair split between two."""
    gsm = all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)
    costs = [
        (2 if c in GSM7_EXTENSION else 1) if gsm else (2 if ord(c) > 0xFFFF else 1) for c in text
    ]
    single, per_part = (160, 153) if gsm else (70, 67)
    parts, used = 1, 0
    if sum(costs) > single:
        for cost in costs:
            if used + cost > per_part:
                parts, used = parts + 1, 0
            used += cost
    return ("GSM-7" if gsm else "UCS-2", sum(costs), parts)


# Runs of plain letters, extension characters, accents, emoji and lone surrogates, so that
# pairs land on every part boundary.
PIECES = st.sampled_from(["a", "a" * 40, "€", "[", "ã", "😀", "\ud800", " ", "\n", "é"])


@settings(max_examples=examples() * 20, deadline=None)
@given(st.lists(PIECES, max_size=60).map("".join))
def test_measure_agrees_with_the_rule_written_plainly(text: str) -> None:
    assert tuple(measure_sms(text)) == _measured_one_character_at_a_time(text)
