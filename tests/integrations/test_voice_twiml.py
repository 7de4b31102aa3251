"""The call's TwiML: the update said in the person's language inside a one-digit Gather, and
whatever the text holds (markup, quotes, control characters) it stays one well-formed
document the fake Twilio reads back. Its words come from the gettext catalogs, and the TwiML
says exactly the script the preview and the golden files show."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from outage_notify.integrations.twilio.fake_calls import parse_twiml
from outage_notify.integrations.twilio.twiml import Speech, call_twiml, gather_answer_twiml
from outage_notify.messages.call_script import MAX_SAY, call_script, call_words

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
ACTION = "https://notify.example.org/api/v1/webhooks/twilio/voice/gather?call=7"


def speech(locale: str, organisation: str = "ACME", templates: Path = TEMPLATES) -> Speech:
    words = call_words(templates, locale, organisation=organisation)
    return Speech(voice="Polly.Camila", language=locale, words=words)


PT = speech("pt-BR")
# XML 1.0 forbids most control characters: Twilio would refuse a call whose TwiML holds them.
XML_TEXT = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"),
    max_size=400,
)


def test_the_call_says_the_update_and_asks_for_one_key() -> None:
    xml = call_twiml(text="E-mail fora do ar.", speech=PT, action_url=ACTION)
    says, action = parse_twiml(xml)
    assert action == ACTION
    assert says[:3] == [
        "Aviso de indisponibilidade de ACME.",
        "E-mail fora do ar.",
        "Pressione 1 para confirmar que ouviu esta mensagem.",
    ]
    assert 'numDigits="1"' in xml and 'voice="Polly.Camila"' in xml and 'language="pt-BR"' in xml


def test_the_twiml_says_the_script_the_preview_shows() -> None:
    script = call_script(PT.words, "E-mail fora do ar.")
    answered, again, goodbye, thanks, wrong = script

    says, _ = parse_twiml(call_twiml(text="E-mail fora do ar.", speech=PT, action_url=ACTION))
    assert says == [*answered.says, *again.says, *goodbye.says]
    confirmed, _ = parse_twiml(gather_answer_twiml(confirmed=True, speech=PT, action_url=ACTION))
    assert confirmed == list(thanks.says)
    other, _ = parse_twiml(gather_answer_twiml(confirmed=False, speech=PT, action_url=ACTION))
    assert other == list(wrong.says)


def test_a_new_locale_speaks_from_its_catalog_no_code(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    shutil.copytree(templates / "es", templates / "fr")
    catalog = templates / "fr" / "LC_MESSAGES" / "messages.po"
    text = catalog.read_text(encoding="utf-8").replace(
        'msgstr "Pulse 1 para confirmar que ha escuchado este mensaje."',
        'msgstr "Appuyez sur 1 pour confirmer que vous avez entendu ce message."',
    )
    catalog.write_text(text.replace("Language: es", "Language: fr"), encoding="utf-8")

    fr = speech("fr", templates=templates)
    says, _ = parse_twiml(call_twiml(text="x", speech=fr, action_url=ACTION))
    assert "Appuyez sur 1 pour confirmer que vous avez entendu ce message." in says


@pytest.mark.parametrize(
    ("locale", "word"), [("en", "Press 1"), ("es", "Pulse 1"), ("fr", "Press 1")]
)
def test_words_per_locale_fall_back_to_english(locale: str, word: str) -> None:
    assert speech(locale).words.prompt.startswith(word)


def test_the_keypress_answers() -> None:
    thanks = gather_answer_twiml(confirmed=True, speech=PT, action_url=ACTION)
    assert "<Hangup" in thanks and "Obrigado" in thanks
    again = gather_answer_twiml(confirmed=False, speech=PT, action_url=ACTION)
    assert parse_twiml(again)[1] == ACTION


@given(XML_TEXT)
def test_any_update_text_stays_one_well_formed_document(text: str) -> None:
    xml = call_twiml(text=text, speech=speech("pt-BR", "A & B <Co>"), action_url=ACTION)
    says, action = parse_twiml(xml)
    assert action == ACTION
    assert says[0] == "Aviso de indisponibilidade de A & B <Co>."
    assert says[1] == text[:MAX_SAY]
