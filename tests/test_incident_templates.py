"""The incident templates (`incident_templates/`, issue 18): the shipped ones load against the
shipped components and locales, a bad file is refused naming the file and the field, and no
YAML at all, however hostile, gets anything else out of the loader."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outage_notify.contacts.components import load_catalogue
from outage_notify.core.errors import IncidentTemplateError
from outage_notify.core.models import CauseCategory
from outage_notify.incidents.declare_templates import (
    IncidentTemplate,
    load_incident_template,
    load_incident_templates,
)
from outage_notify.messages.catalogs import locales
from tests import strategies
from tests.fixtures.settings import ROOT

SHIPPED = ROOT / "incident_templates"
LOCALES = locales(ROOT / "templates")
COMPONENTS = load_catalogue(ROOT / "contacts" / "components.yaml").ids

GOOD = {
    "severity": "major",
    "components": ["webmail"],
    "texts": {
        locale: {"title": "Webmail down", "public_title": "Webmail", "first_message": "Use apps."}
        for locale in LOCALES
    },
}


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_templates_cover_the_outages_of_the_sop_in_every_locale() -> None:
    templates = load_incident_templates(SHIPPED, locales=LOCALES, components=COMPONENTS)

    assert sorted(templates) == [
        "inbound-mail-down",
        "mail-delayed",
        "mail-server-security-incident",
        "outbound-mail-down",
        "webmail-down",
    ]
    assert set(LOCALES) == {"en", "es", "pt-BR"}
    for template in templates.values():
        assert set(template.texts) == set(LOCALES)
        # Every locale says something of its own, not the English words copied.
        for locale in LOCALES:
            if locale != "en":
                assert template.texts[locale].first_message != template.texts["en"].first_message
    security = templates["mail-server-security-incident"]
    assert security.cause_category is CauseCategory.SECURITY
    assert security.declare_body("en")["cause_category"] == "security"
    assert templates["outbound-mail-down"].components == ("outbound",)


def test_a_declare_body_is_in_the_readers_locale_falling_back_to_english() -> None:
    template = load_incident_templates(SHIPPED)["webmail-down"]

    assert template.declare_body("pt-BR")["title"] == "O webmail está fora do ar"
    assert template.declare_body("pt")["title"] == "O webmail está fora do ar"
    assert template.declare_body("fr")["title"] == "Webmail is unavailable"
    body = template.declare_body("es")
    assert body == {
        "title": "El correo web no está disponible",
        "summary": template.texts["es"].first_message,
        "severity": "minor",
        "components": ["webmail"],
    }


@pytest.mark.parametrize(
    ("text", "field", "problem"),
    [
        ("severity: [major\n", "", "not valid YAML at line 2"),
        ("- a list\n", "", "must be a mapping"),
        (yaml.safe_dump({**GOOD, "severity": "huge"}), "severity", "'critical', 'major'"),
        (yaml.safe_dump({**GOOD, "components": []}), "components", "at least 1"),
        (yaml.safe_dump({**GOOD, "colour": "red"}), "colour", "Extra inputs"),
        (yaml.safe_dump({**GOOD, "name": "x"}), "name", "the file's name"),
        (yaml.safe_dump({**GOOD, "eta_hint_minutes": 0}), "eta_hint_minutes", "greater than"),
        (
            yaml.safe_dump({**GOOD, "texts": {"en": {"title": "t", "public_title": "p"}}}),
            "texts.en.first_message",
            "Field required",
        ),
        (
            yaml.safe_dump({**GOOD, "texts": {"es": GOOD["texts"]["es"]}}),  # type: ignore[index]
            "texts",
            "needs the 'en' texts",
        ),
        (
            yaml.safe_dump(
                {**GOOD, "texts": {"en": {"title": " ", "public_title": "p", "first_message": "m"}}}
            ),
            "texts.en.title",
            "must not be blank",
        ),
    ],
)
def test_a_bad_template_is_refused_naming_the_file_and_the_field(
    tmp_path: Path, text: str, field: str, problem: str
) -> None:
    path = write(tmp_path, "broken", text)

    with pytest.raises(IncidentTemplateError) as raised:
        load_incident_templates(tmp_path)

    assert raised.value.path == str(path)
    assert raised.value.field == field
    assert problem in raised.value.problem
    assert str(path) in str(raised.value)


def test_unknown_components_and_missing_locales_name_what_is_known(tmp_path: Path) -> None:
    path = write(tmp_path, "typo", yaml.safe_dump({**GOOD, "components": ["webmial"]}))
    with pytest.raises(IncidentTemplateError, match=r"unknown component\(s\) webmial; known: "):
        load_incident_template(path, components=COMPONENTS)

    only_en = {**GOOD, "texts": {"en": GOOD["texts"]["en"]}}  # type: ignore[index]
    path = write(tmp_path, "english-only", yaml.safe_dump(only_en))
    with pytest.raises(IncidentTemplateError, match=r"missing the texts of locale\(s\) es, pt-BR"):
        load_incident_template(path, locales=LOCALES)

    with pytest.raises(IncidentTemplateError, match="file name must be lower case"):
        load_incident_template(write(tmp_path, "Bad Name", yaml.safe_dump(GOOD)))


def test_a_missing_folder_means_no_templates(tmp_path: Path) -> None:
    assert load_incident_templates(tmp_path / "absent") == {}


YAML_PIECES = st.sampled_from(
    [
        "severity: major\n",
        "components: [webmail]\n",
        "texts: {en: {title: t, public_title: p, first_message: m}}\n",
        "texts: &a [*a]\n",
        "x: &a [&b [*a, *a], *b]\n",
        "!!python/object/apply:os.system ['true']\n",
        "? [a, b]\n: c\n",
        "1: 2\n",
        "severity: !!binary aGVsbG8=\n",
        "eta_hint_minutes: 1e999\n",
        "components: " + "[" * 5000 + "]" * 5000 + "\n",
        "\ufeff",
        "---\n---\n",
        "\t",
        "%YAML 9.9\n",
    ]
)


@settings(
    max_examples=strategies.examples(),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    pieces=st.lists(st.one_of(YAML_PIECES, strategies.hostile_text(4)), max_size=6),
    raw=st.binary(max_size=200),
)
def test_hostile_yaml_loads_or_is_refused_with_the_file_named(
    tmp_path_factory: pytest.TempPathFactory, pieces: list[str], raw: bytes
) -> None:
    folder = tmp_path_factory.mktemp("hostile")
    text = "".join(pieces)
    (folder / "text.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
    (folder / "bytes.yaml").write_bytes(raw)

    for path in sorted(folder.iterdir()):
        try:
            template = load_incident_template(path, locales=LOCALES, components=COMPONENTS)
        except IncidentTemplateError as error:
            assert error.path == str(path)
            assert str(path) in str(error)
        else:
            assert isinstance(template, IncidentTemplate)
            assert set(template.texts) == set(LOCALES)
