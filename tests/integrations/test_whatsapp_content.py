"""templates/whatsapp/content.yaml: the shipped file, its mistakes named by field, and (with
Hypothesis) any text either parses or is a `ContentError`, and variables are always valid."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from outage_notify.core.models import UpdateKind
from outage_notify.integrations.twilio.whatsapp_content import (
    MAX_VALUE_CHARS,
    ContentError,
    load_content,
    parse_content,
)

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
PATH = Path("templates/whatsapp/content.yaml")
SID = "HX" + "0" * 31 + "1"
# Read once: a file read per example would make the property test slow on a busy machine.
SHIPPED = load_content(TEMPLATES)


def test_the_shipped_file_has_a_template_for_every_kind_and_locale() -> None:
    content = load_content(TEMPLATES)

    kinds = [kind.value for kind in UpdateKind]
    assert content.missing(kinds, ["en", "es", "pt-BR"]) == []
    assert dict(content.variables) == {"1": "body"}
    assert set(content.text) == {"en", "es", "pt-BR"}


def test_every_shipped_template_body_has_fixed_text_before_and_after_its_variable() -> None:
    """Meta rejects a template body that begins or ends with a variable."""
    for locale, text in SHIPPED.text.items():
        assert not text.startswith("{{") and not text.endswith("}}"), (locale, text)


def test_a_line_without_an_ending_is_kept_apart_from_the_next() -> None:
    """One line for WhatsApp, but "Slack #it-help" must not run into "Status: ...": a person
    would read the channel as "#it-help Status"."""
    body = "Mail is down.\nCall IT: +55 11 4000-1234; Slack #it-help\nStatus: https://s.example/x\n"

    [value] = json.loads(SHIPPED.content_variables(organisation="Acme", body=body)).values()

    assert value == (
        "Mail is down. Call IT: +55 11 4000-1234; Slack #it-help · Status: https://s.example/x"
    )


def test_a_missing_file_is_no_templates(tmp_path: Path) -> None:
    content = load_content(tmp_path)

    assert content.sid("opened", "en") is None
    assert content.missing(["opened"], ["en"]) == [("opened", "en")]


@pytest.mark.parametrize(
    ("text", "where", "problem"),
    [
        ("templates:\n  opened:\n    en: SM123\n", "templates.opened.en", "not a ContentSid"),
        ("templates:\n  opened: HX1\n", "templates.opened", "must map locales"),
        ('variables:\n  "1": body\n  "0x": title\n', "variables.0x", "placeholder key"),
        ('variables:\n  "1": phone\n', "variables.1", "not a source"),
        ('variables:\n  "1": title\n', "variables", "no placeholder carries the body"),
        ('text:\n  en: "Hello {{1}}"\n', "text.en", "{{2}}"),
        ("templatez: {}\n", "templatez", "unknown key"),
        ("- a list\n", "file", "must be a mapping"),
        ("a: [\n", "file", "not valid YAML"),
    ],
)
def test_mistakes_name_the_file_and_field(text: str, where: str, problem: str) -> None:
    with pytest.raises(ContentError) as caught:
        parse_content(text, PATH)

    assert (caught.value.path, caught.value.where) == (PATH, where)
    assert problem in caught.value.problem
    assert str(PATH) in str(caught.value)


def test_variables_are_in_key_order_and_one_line() -> None:
    content = parse_content(
        'variables:\n  "10": title\n  "2": body\n  "1": organisation\n'
        f"templates:\n  opened:\n    en: {SID}\n",
        PATH,
    )

    encoded = content.content_variables(organisation="Acme", body="Down.\n\nReply OK", title="Mail")
    assert list(json.loads(encoded).items()) == [
        ("1", "Acme"),
        ("2", "Down. Reply OK"),
        ("10", "Mail"),
    ]
    assert content.sid("opened", "en") == SID


@pytest.mark.fuzz
@given(st.text(max_size=300))
def test_any_text_parses_or_is_a_content_error(text: str) -> None:
    try:
        content = parse_content(text, PATH)
    except ContentError as error:
        assert error.where and error.problem
    else:
        assert "body" in content.variables.values()


yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)


@pytest.mark.fuzz
@given(st.dictionaries(st.sampled_from(["variables", "text", "templates", "x"]), yaml_values))
def test_any_structure_parses_or_is_a_content_error(raw: dict[str, object]) -> None:
    try:
        parse_content(yaml.safe_dump(raw), PATH)
    except ContentError as error:
        assert error.where and error.problem


@pytest.mark.fuzz
@given(
    organisation=st.text(max_size=100),
    body=st.text(max_size=3000),
    title=st.text(max_size=200),
)
def test_variables_are_always_valid_for_whatsapp(organisation: str, body: str, title: str) -> None:
    content = SHIPPED

    values = json.loads(
        content.content_variables(organisation=organisation, body=body, title=title)
    )

    assert set(values) == {"1"}
    for value in values.values():
        # WhatsApp refuses an empty variable, a newline or tab in one (63021); Twilio one over
        # 1,600 characters.
        assert value and len(value) <= MAX_VALUE_CHARS
        assert "\n" not in value and "\t" not in value and "     " not in value
