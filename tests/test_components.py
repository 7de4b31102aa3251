"""The components catalogue (`contacts/components.yaml`): loaded, named per locale, and a bad
one named by file, entry and field by `contacts check`."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outage_notify.contacts.components import ComponentCatalogue, load_catalogue
from outage_notify.contacts.directory import load_directory
from outage_notify.core.errors import ContactsError
from tests.test_cli import run

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "contacts"


def test_the_shipped_catalogue_names_every_component_in_every_shipped_locale() -> None:
    catalogue = load_catalogue(SHIPPED / "components.yaml")

    assert catalogue.ids == (
        "calendar", "imap", "inbound", "mobile_sync", "outbound", "pop", "webmail",
    )  # fmt: skip
    assert catalogue.name("inbound", locale="en") == "receiving email"
    assert catalogue.name("inbound", locale="pt-BR") == "recebimento de e-mails"
    assert catalogue.name("inbound", locale="pt") == "recebimento de e-mails"
    assert catalogue.name("inbound", locale="es") == "recepción de correo"
    # A locale without a name of its own reads the en one.
    assert catalogue.name("inbound", locale="de") == "receiving email"
    assert catalogue.name("db-primary-10.0.0.7", locale="en") is None
    assert load_directory(SHIPPED).components == catalogue


def test_a_folder_without_a_catalogue_checks_no_staff_component() -> None:
    assert ComponentCatalogue().unknown(["webmial"]) == []


def test_the_catalogue_file_is_not_read_as_contacts(tmp_path: Path) -> None:
    folder = tmp_path / "contacts"
    shutil.copytree(SHIPPED, folder)
    directory = load_directory(folder)
    assert "components" not in directory.audiences


def write(folder: Path, data: Any) -> Path:
    path = folder / "components.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("data", "where", "field", "words"),
    [
        ({"components": {"webmail": {"names": {"pt-BR": "webmail"}}}}, "components.webmail",
         "names", "a name in 'en' is required"),
        ({"components": {"Web Mail": {"names": {"en": "webmail"}}}}, "components.Web Mail",
         "id", "is not a component id"),
        ({"components": {"webmail": {"nmes": {"en": "webmail"}}}}, "components.webmail",
         "nmes", "did you mean 'names'?"),
        ({"components": {"webmail": {"names": {"en": ""}}}}, "components.webmail",
         "names.en", "at least 1"),
        ({"components": {"webmail": {"names": {"en": "webmail"}, "service": ""}}},
         "components.webmail", "service", "at least 1"),
        ({"components": {"webmail": {"names": {"english": "webmail"}}}}, "components.webmail",
         "names.english", "'english' is not a locale"),
        ({"componets": {}}, "top level", "componets", "did you mean 'components'?"),
        ({"components": ["webmail"]}, "top level", "components", "must be a mapping"),
        (["webmail"], "top level", "components", "must be a mapping"),
    ],
)  # fmt: skip
def test_a_bad_catalogue_is_named_by_entry_and_field(
    tmp_path: Path, data: Any, where: str, field: str, words: str
) -> None:
    path = write(tmp_path, data)
    with pytest.raises(ContactsError) as caught:
        load_catalogue(path)
    error = caught.value
    assert (error.path, error.where, error.field) == (str(path), where, field), str(error)
    assert words in error.problem, error.problem


@pytest.mark.integration  # runs a process (conftest cannot see it)
def test_contacts_check_reports_a_bad_catalogue_and_exits_non_zero(tmp_path: Path) -> None:
    folder = tmp_path / "contacts"
    shutil.copytree(SHIPPED, folder)
    write(folder, {"components": {"webmail": {"names": {"pt-BR": "webmail"}}}})

    result = run("contacts", "check", env={"OUTAGE_NOTIFY_CONTACTS_DIR": str(folder)})

    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr
    output = " ".join((result.stdout + result.stderr).split())
    assert "components.yaml" in output and "components.webmail" in output and "names" in output


# Whatever an operator writes, loading answers a catalogue or a ContactsError, nothing else.
SCALARS = st.none() | st.booleans() | st.integers() | st.text(max_size=60)
KEYS = st.sampled_from(["components", "names", "service", "en", "pt-BR", "es", "webmail"])
YAML_VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(KEYS | st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=YAML_VALUES | st.fixed_dictionaries({"components": YAML_VALUES}))
def test_any_yaml_loads_or_is_a_named_problem(data: Any) -> None:
    folder = Path(__import__("tempfile").mkdtemp(dir="/tmp"))
    try:
        path = write(folder, data)
        try:
            catalogue = load_catalogue(path)
        except ContactsError as error:
            assert error.path == str(path) and error.where and error.problem
            return
        for component in catalogue.ids:
            for locale in ("en", "pt-BR", "es", "xx"):
                assert catalogue.name(component, locale=locale)
    finally:
        shutil.rmtree(folder)


@settings(max_examples=100, deadline=None)
@given(
    names=st.dictionaries(
        st.sampled_from(["en", "pt-BR", "pt-PT", "es", "es-MX", "fr"]),
        st.text(st.characters(categories=("L", "N")), min_size=1, max_size=40),
        min_size=1,
    ).map(lambda names: {"en": "fallback", **names}),
    locale=st.sampled_from(["en", "pt-BR", "pt", "es", "es-AR", "de", "PT_br"]),
)
def test_a_reader_gets_their_language_else_english(names: dict[str, str], locale: str) -> None:
    catalogue = ComponentCatalogue.model_validate({"components": {"webmail": {"names": names}}})
    name = catalogue.name("webmail", locale=locale)
    language = locale.lower().replace("_", "-").split("-")[0]
    same = [text for key, text in names.items() if key.lower().split("-")[0] == language]
    assert name in (same or [names["en"]])
