"""One locale fallback rule (core/locales.py) for every place that had its own copy; the two
copies that ordered a language's variants their own way keep that order."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from outage_notify.contacts.components import ComponentEntry
from outage_notify.core.locales import locale_chain
from outage_notify.core.models import Severity
from outage_notify.incidents.declare_templates import IncidentTemplate, TemplateTexts
from tests import strategies

LOCALES = st.sampled_from(["en", "EN", "pt", "pt-BR", "pt-br", "pt-PT", "es", "es-419", "fr-CA"])
ASKED = st.one_of(LOCALES, st.sampled_from(["pt_BR", "PT-br", "de", "fr", "es_MX", ""]))
PROPERTY = settings(max_examples=strategies.examples() * 8, deadline=None)


def first_component_name(names: dict[str, str], locale: str) -> str:
    """`ComponentEntry.name` as first written."""
    wanted = locale.lower().replace("_", "-")
    by_key = {key.lower(): name for key, name in names.items()}
    language = wanted.split("-")[0]
    same = sorted(key for key in by_key if key.split("-")[0] == language)
    for key in (wanted, *same, "en"):
        if key in by_key:
            return by_key[key]
    return names["en"]


def first_texts_key(texts: list[str], locale: str) -> str:
    """The key `IncidentTemplate.texts_for` chose as first written."""
    wanted = locale.lower().replace("_", "-")
    by_lower = {key.lower(): key for key in texts}
    for candidate in (wanted, wanted.split("-")[0]):
        if candidate in by_lower:
            return by_lower[candidate]
    for key in texts:
        if key.lower().split("-")[0] == wanted.split("-")[0]:
            return key
    return "en"


@PROPERTY
@given(keys=st.lists(LOCALES, unique_by=str.lower), locale=ASKED)
def test_a_component_name_is_chosen_as_before(keys: list[str], locale: str) -> None:
    names = {key: f"name-{key}" for key in [*keys, "en"] if key.lower() != "en" or key == "en"}
    entry = ComponentEntry(names=names)
    assert entry.name(locale) == first_component_name(names, locale)


@PROPERTY
@given(keys=st.lists(LOCALES, unique_by=str.lower), locale=ASKED)
def test_an_incident_templates_texts_are_chosen_as_before(keys: list[str], locale: str) -> None:
    order = [key for key in keys if key.lower() != "en"] + ["en"]
    texts = {key: TemplateTexts(title=key, public_title=key, first_message=key) for key in order}
    template = IncidentTemplate(
        name="t", severity=Severity.MAJOR, components=("inbound",), texts=texts
    )
    assert template.texts_for(locale).title == first_texts_key(order, locale)


def test_the_chain_is_exact_then_language_then_fallback() -> None:
    known = ["es", "pt-PT", "pt-BR", "en"]
    assert locale_chain(known, "pt_br", "en") == ["pt-BR", "pt-PT", "en"]
    assert locale_chain(known, "de", "en") == ["en"]
    assert locale_chain(["fr"], "de", "en") == ["en"]  # the fallback, known or not
