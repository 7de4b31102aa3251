"""The pure rules of self-subscription (contacts/subscription.py, contacts/subscribers.py):
hostile and boundary input to the phone, code, form-stamp and token readers, by Hypothesis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import phonenumbers
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from outage_notify.contacts.subscribers import SUBSCRIBERS, Subscriber, subscriber_audience
from outage_notify.contacts.subscription import (
    Refused,
    check_form,
    code_hash,
    form_stamp,
    is_code,
    new_code,
    number_prefix,
    subscriber_phone,
    token_holds,
    token_subscriber,
    unsubscribe_token,
)
from outage_notify.status.subscription_words import REFUSALS

KEY = "rules-test-key-0123456789abcdef"
NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
HOSTILE = st.one_of(
    st.text(max_size=80),
    st.from_regex(r"\+?[0-9 ()\-.]{0,30}", fullmatch=True),
    st.sampled_from(["+", "++5511912345678", "+55 11 9" + "9" * 200, "\u202e+5511912345678"]),
)


@given(HOSTILE)
@example("+5511912345678")
@example("011 91234-5678")
@settings(max_examples=300, deadline=None)
def test_a_phone_input_is_an_allowed_mobile_in_e164_or_a_refusal(raw: str) -> None:
    try:
        phone = subscriber_phone(raw, countries=("BR",))
    except Refused as refused:
        assert 400 <= refused.status < 500 and refused.why in REFUSALS
        return
    parsed = phonenumbers.parse(phone, None)
    assert phone.startswith("+55") and phonenumbers.is_valid_number(parsed)
    assert phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == phone


@pytest.mark.parametrize(
    ("raw", "countries", "expected"),
    [
        ("(11) 91234-5678", ("BR",), "+5511912345678"),
        ("+351 912 345 678", ("BR", "PT"), "+351912345678"),
        ("+351 912 345 678", ("BR",), None),
        ("+1 202 555 0123", ("US",), "+12025550123"),
    ],
)
def test_allowed_countries(raw: str, countries: tuple[str, ...], expected: str | None) -> None:
    if expected is None:
        with pytest.raises(Refused):
            subscriber_phone(raw, countries=countries)
    else:
        assert subscriber_phone(raw, countries=countries) == expected


@given(st.text(max_size=20))
def test_only_six_ascii_digits_are_a_code(text: str) -> None:
    assert is_code(text) == (
        len(text.strip()) == 6 and text.strip().isascii() and text.strip().isdigit()
    )


def test_codes_are_six_digits_and_hashed_per_number() -> None:
    codes = {new_code() for _ in range(200)}
    assert all(is_code(code) for code in codes) and len(codes) > 150
    code = new_code()
    assert code_hash(code, phone="+5511912345678", key=KEY) != code_hash(
        code, phone="+5511912345679", key=KEY
    )
    assert code not in code_hash(code, phone="+5511912345678", key=KEY)


@given(st.text(max_size=60))
@example("¹².AAAA")  # digits to str.isdigit(), not to int()
def test_a_forged_form_stamp_is_refused(stamp: str) -> None:
    with pytest.raises(Refused) as refused:
        check_form(stamp, now=NOW, key=KEY, min_fill=timedelta(0))
    assert refused.value.status == 400


@given(st.integers(min_value=0, max_value=7200))
def test_a_form_stamp_holds_between_the_fill_time_and_its_age(age: int) -> None:
    stamp = form_stamp(NOW - timedelta(seconds=age), key=KEY)
    fill = timedelta(seconds=3)
    if age < 3 or age > 7200:
        with pytest.raises(Refused):
            check_form(stamp, now=NOW, key=KEY, min_fill=fill)
    else:
        check_form(stamp, now=NOW, key=KEY, min_fill=fill)
    with pytest.raises(Refused):
        check_form(stamp, now=NOW, key=KEY + "x", min_fill=timedelta(0))


@given(st.text(max_size=60))
@example("¹")  # str.isdigit() holds, int() refuses: found by this test
@example("\u0663.x")  # an Arabic-Indic 3: int() takes it, a link never carries them
def test_any_token_text_names_a_subscriber_or_none_and_holds_only_when_signed(
    token: str,
) -> None:
    found = token_subscriber(token)
    assert found is None or found >= 0
    assert not token_holds(token, subscriber_id=found or 1, phone="+5511912345678", key=KEY)


def test_a_token_holds_for_its_subscriber_and_number_only() -> None:
    token = unsubscribe_token(7, "+5511912345678", key=KEY)
    assert "5511912345678" not in token and token_subscriber(token) == 7
    assert token_holds(token, subscriber_id=7, phone="+5511912345678", key=KEY)
    assert not token_holds(token, subscriber_id=8, phone="+5511912345678", key=KEY)
    assert not token_holds(token, subscriber_id=7, phone="+5511912345679", key=KEY)


def test_prefix_and_following() -> None:
    assert number_prefix("+5511912345678", digits=7) == "5511912"
    everything = Subscriber(1, "+5511912345678", "en")
    webmail = Subscriber(2, "+5521987654321", "pt-BR", ("webmail",))
    assert everything.follows([]) and everything.follows(["inbound"])
    assert webmail.follows(["inbound", "WebMail"]) and not webmail.follows(["inbound"])
    audience = subscriber_audience([everything, webmail])
    assert audience.name == SUBSCRIBERS
    assert [(c.id, c.phone, c.locale, c.channels) for c in audience.contacts] == [
        ("subscriber-1", "+5511912345678", "en", ("sms",)),
        ("subscriber-2", "+5521987654321", "pt-BR", ("sms",)),
    ]
    assert audience.zones["subscriber-1"] == "America/Sao_Paulo"
