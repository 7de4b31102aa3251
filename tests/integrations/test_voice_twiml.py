"""The call's TwiML: the update said in the person's language inside a one-digit Gather, and
whatever the text holds (markup, quotes, control characters) it stays one well-formed
document the fake Twilio reads back."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from outage_notify.integrations.twilio.fake_calls import parse_twiml
from outage_notify.integrations.twilio.twiml import (
    MAX_SAY,
    Speech,
    call_twiml,
    gather_answer_twiml,
    words_for,
)

ACTION = "https://notify.example.org/api/v1/webhooks/twilio/voice/gather?call=7"
PT = Speech(voice="Polly.Camila", language="pt-BR", words=words_for("pt-BR"))
# XML 1.0 forbids most control characters: Twilio would refuse a call whose TwiML holds them.
XML_TEXT = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"),
    max_size=400,
)


def test_the_call_says_the_update_and_asks_for_one_key() -> None:
    xml = call_twiml(text="E-mail fora do ar.", organisation="ACME", speech=PT, action_url=ACTION)
    says, action = parse_twiml(xml)
    assert action == ACTION
    assert says[:3] == [
        "Aviso de indisponibilidade de ACME.",
        "E-mail fora do ar.",
        "Pressione 1 para confirmar que ouviu esta mensagem.",
    ]
    assert 'numDigits="1"' in xml and 'voice="Polly.Camila"' in xml and 'language="pt-BR"' in xml


@pytest.mark.parametrize(
    ("locale", "word"), [("en", "Press 1"), ("es", "Pulse 1"), ("fr", "Press 1")]
)
def test_words_per_locale_fall_back_to_english(locale: str, word: str) -> None:
    assert words_for(locale).prompt.startswith(word)


def test_the_keypress_answers() -> None:
    thanks = gather_answer_twiml(confirmed=True, speech=PT, action_url=ACTION)
    assert "<Hangup" in thanks and "Obrigado" in thanks
    again = gather_answer_twiml(confirmed=False, speech=PT, action_url=ACTION)
    assert parse_twiml(again)[1] == ACTION


@given(XML_TEXT)
def test_any_update_text_stays_one_well_formed_document(text: str) -> None:
    xml = call_twiml(text=text, organisation="A & B <Co>", speech=PT, action_url=ACTION)
    says, action = parse_twiml(xml)
    assert action == ACTION
    assert says[0] == "Aviso de indisponibilidade de A & B <Co>."
    assert says[1] == text[:MAX_SAY]
