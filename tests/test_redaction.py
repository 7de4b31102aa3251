"""What logs may not hold: phone numbers are masked wherever they appear, secrets replaced."""

from __future__ import annotations

import pytest

from outage_notify.core.redaction import Redactor, mask_phones


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("sent to +5511990000001", "sent to +55******0001"),
        ("GET /Messages.json?To=%2B5511990000002&Limit=50", "To=%2B55******0002&Limit=50"),
        ("+15005550006, +447700900123", "+15******0006, +44******0123"),
        # Not E.164: the hotline as people write it, short codes, years and offsets.
        ("IT hotline +55 11 4000-1234", "IT hotline +55 11 4000-1234"),
        ("code +1234567", "code +1234567"),
        ("at 2025-03-10T13:40:52+00:00", "at 2025-03-10T13:40:52+00:00"),
    ],
)
def test_phone_numbers_are_masked_to_country_prefix_and_last_four(text: str, shown: str) -> None:
    assert shown in mask_phones(text)


def test_secrets_are_replaced_whole_and_short_values_are_left_alone() -> None:
    redact = Redactor(["token-abc", "token-abc-longer", "abc"])
    assert redact("a token-abc-longer and token-abc") == "a [REDACTED] and [REDACTED]"
    # Three characters would redact ordinary words; production refuses such secrets anyway.
    assert redact("abc") == "abc"
