"""Loading and validating contacts folders: the shipped example and every kind of mistake."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from outage_notify.contacts.directory import load_directory
from outage_notify.contacts.routing import DEFAULT_ROUTING
from outage_notify.core.errors import ContactsError
from outage_notify.core.models import ChannelName

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "contacts"
CSV_HEADER = "audience,id,name,phone,slack,fallback,locale,channels,tags\n"
ANA = """\
audience: management
contacts:
  - id: ana.souza
    name: Ana Souza
    phone: "+5511990000001"
    slack: U0ANA0001
"""


ANA_AT = "contacts[0] (id=ana.souza, line 3)"
PHONE = '"+5511990000001"'


def write(folder: Path, files: dict[str, str]) -> Path:
    """Write the given files into a fresh contacts folder."""
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def contact_yaml(**fields: str) -> str:
    """One management.yaml holding a single contact with these raw YAML field lines."""
    lines = "".join(f"    {key}: {value}\n" for key, value in fields.items())
    return f"audience: management\ncontacts:\n  - id: ana.souza\n    name: Ana Souza\n{lines}"


# --- the shipped example ------------------------------------------------------------------


def test_shipped_folder_loads_cleanly_with_expected_counts() -> None:
    directory = load_directory(SHIPPED)

    assert directory.warnings == ()
    assert directory.source == SHIPPED
    assert {name: len(a.contacts) for name, a in directory.audiences.items()} == {
        "management": 5,
        "partners": 6,
        "security": 3,
        "users": 300,
    }
    assert directory.contact_count == 314
    # The defaults, plus the security audience's rule (only a folder with that audience has it)
    # and the subscribers' (filled from the database).
    assert directory.routing.rules[:-2] == DEFAULT_ROUTING.rules
    assert [rule.audience for rule in directory.routing.rules[-2:]] == ["security", "subscribers"]
    assert [rule.audience for rule in directory.routing.acknowledge] == ["management"]


def test_shipped_users_merge_yaml_broadcast_with_csv_contacts() -> None:
    directory = load_directory(SHIPPED)
    users = directory.audience("users")

    assert users is not None
    assert users.deliver == "first"
    assert users.broadcast.slack_channels == ("C0ITSTATUS",)
    assert users.broadcast.fallback_urls == ()
    assert directory.broadcast_locale("users") == "pt-BR"
    assert directory.audience("vendors") is None


def test_shipped_contacts_are_fictional_unique_and_reachable() -> None:
    directory = load_directory(SHIPPED)
    contacts = [c for a in directory.audiences.values() for c in a.contacts]
    fictional = re.compile(
        r"\+55(11|21|31)99000\d{4}|\+1\d{3}55501\d\d|\+442079460\d{3}|\+35191000\d{4}"
    )

    assert all(c.phone and fictional.fullmatch(c.phone) for c in contacts)
    slack_ids = [c.slack for c in contacts if c.slack]
    assert len(slack_ids) == len(set(slack_ids))
    assert all(c.channels and all(c.address(ch) for ch in c.channels) for c in contacts)
    users = [c for c in contacts if c.audience == "users"]
    assert {c.tags["site"] for c in users} == {"sao-paulo", "rio", "belo-horizonte", "remote"}
    assert 0.15 <= sum(c.locale == "en" for c in users) / len(users) <= 0.30
    assert any(c.channels == (ChannelName.SMS,) for c in users)


@pytest.mark.integration  # runs a process (conftest cannot see it)
def test_users_csv_is_what_the_generator_writes(tmp_path: Path) -> None:
    output = tmp_path / "users.csv"
    script = ROOT / "scripts" / "generate_example_users.py"

    subprocess.run([sys.executable, str(script), "--output", str(output)], check=True)

    assert output.read_bytes() == (SHIPPED / "users.csv").read_bytes()


# --- validation errors --------------------------------------------------------------------

YAML_CASES = [
    # (file text, where, field, words the sentence must hold)
    (
        "audience: management\ncontacts:\n  - id: a\n    name: [x\n",
        "line 5, column 1",
        "(syntax)",
        "YAML syntax",
    ),
    ("audiance: management\n", "top level", "audiance", "did you mean 'audience'?"),
    (
        contact_yaml(phone=PHONE, slack="U0A", phone_="x").replace("phone_", "phone"),
        "line 7",
        "phone",
        "given twice",
    ),
    ("contacts: []\n", "top level", "audience", "'audience' is required"),
    ("audience: management\ndeliver: everyone\n", "top level", "deliver", "first or all"),
    ("- just\n- a list\n", "top level", "audience", "must be a mapping"),
    (contact_yaml(phnoe=PHONE), ANA_AT, "phnoe", "did you mean 'phone'?"),
    (
        "audience: management\ncontacts:\n  - name: Ana\n    phone: '+5511990000001'\n",
        "contacts[0] (line 3)",
        "id",
        "'id' is required",
    ),
    (
        "audience: management\ncontacts:\n  - id: ana souza\n    name: Ana\n",
        "contacts[0] (id=ana souza, line 3)",
        "id",
        "letters, digits",
    ),
    (
        "audience: management\ncontacts:\n  - id: ana\n    phone: '+5511990000001'\n",
        "contacts[0] (id=ana, line 3)",
        "name",
        "'name' is required",
    ),
    (
        "audience: management\ncontacts:\n  - ana.souza\n",
        "contacts[0] (line 3)",
        "id",
        "must be a mapping",
    ),
    (contact_yaml(phone='"+55 11 99000-0001"'), ANA_AT, "phone", "E.164"),
    (contact_yaml(phone='"+551199"'), ANA_AT, "phone", "8 to 15 digits"),
    (contact_yaml(phone="+5511990000001"), ANA_AT, "phone", "quote it"),
    (contact_yaml(slack="ana.souza"), ANA_AT, "slack", "not a Slack user id"),
    (contact_yaml(slack="u0ana0001"), ANA_AT, "slack", "upper-case"),
    (contact_yaml(slack="C0ITSTATUS"), ANA_AT, "slack", "member id"),
    (
        contact_yaml(phone=PHONE, channels="[sms, email]"),
        ANA_AT,
        "channels",
        "email is never a channel",
    ),
    (
        contact_yaml(phone=PHONE, channels="[sms, pager]"),
        ANA_AT,
        "channels",
        "'pager' is not a channel",
    ),
    (contact_yaml(phone=PHONE, channels="[sms, sms]"), ANA_AT, "channels", "listed twice"),
    (
        contact_yaml(slack="U0ANA0001", channels="[whatsapp, slack]"),
        ANA_AT,
        "channels",
        "'whatsapp' is listed but the contact has no 'phone' or 'whatsapp' address",
    ),
    (contact_yaml(phone=PHONE, channels="[sms, slack]"), ANA_AT, "channels", "no 'slack' address"),
    (contact_yaml(slack="U0ANA0001", channels="sms"), ANA_AT, "channels", "must be a list"),
    (contact_yaml(locale="es"), ANA_AT, "locale", "en, pt-BR"),
    (contact_yaml(locale="pt-br"), ANA_AT, "locale", "did you mean 'pt-BR'?"),
    (contact_yaml(fallback='"ntfy.example.org/ana"'), ANA_AT, "fallback", "scheme://target"),
    (
        contact_yaml(fallback='"mailto://ana@example.org"'),
        ANA_AT,
        "fallback",
        "'mailto://' sends email",
    ),
    (
        contact_yaml(fallback='"sendgrid://key:ops@example.org/ana@example.org"'),
        ANA_AT,
        "fallback",
        "sends email",
    ),
    (
        contact_yaml(fallback='"SES://key/secret/us-east-1/ana@example.org"'),
        ANA_AT,
        "fallback",
        "sends email",
    ),
    (contact_yaml(locale="en"), ANA_AT, "channels", "no phone, slack or fallback address"),
    (contact_yaml(slack="U0ANA0001", tags="{site: {city: rio}}"), ANA_AT, "tags", "plain text"),
    (
        "audience: users\nbroadcast:\n  slack_channels: ['#it-status']\n",
        "broadcast",
        "slack_channels[0]",
        "not its #name",
    ),
    (
        "audience: users\nbroadcast:\n  fallback_urls: ['mailtos://it@example.org']\n",
        "broadcast",
        "fallback_urls[0]",
        "sends email",
    ),
    (
        "audience: users\nbroadcast:\n  slack_channel: [C0ITSTATUS]\n",
        "broadcast",
        "slack_channel",
        "did you mean 'slack_channels'?",
    ),
    ("audience: users\nbroadcast:\n  locale: fr\n", "broadcast", "locale", "not a known locale"),
    ("audience: users\nbroadcast: C0ITSTATUS\n", "broadcast", "broadcast", "must be a mapping"),
]


@pytest.mark.parametrize(("text", "where", "field", "words"), YAML_CASES)
def test_yaml_mistake_names_file_entry_and_field(
    tmp_path: Path, text: str, where: str, field: str, words: str
) -> None:
    folder = write(tmp_path / "contacts", {"management.yaml": text})

    with pytest.raises(ContactsError) as raised:
        # The locales a templates folder with en and pt-BR offers (Renderer.locales).
        load_directory(folder, locales=frozenset({"en", "pt-BR"}))

    assert (raised.value.path, raised.value.where, raised.value.field) == (
        str(folder / "management.yaml"),
        where,
        field,
    )
    assert words in raised.value.problem
    assert raised.value.problem.endswith((".", "?"))


CSV_CASES = [
    # (file text, where, field, words the sentence must hold)
    (CSV_HEADER.replace("phone", "phnoe"), "row 1", "phnoe", "did you mean 'phone'?"),
    ("audience,id,phone\n", "row 1", "name", "no 'name' column"),
    ("audience,id,name,id\n", "row 1", "id", "appears twice"),
    ("", "row 1", "audience", "no 'audience' column"),
    (CSV_HEADER + "users,ana,Ana,+5511990000001,,,pt-BR,sms\n", "row 2", "(row)", "has 8 cells"),
    (
        CSV_HEADER
        + "users,ana,Ana,+5511990000001,,,pt-BR,sms,\nusers,bia,Bia,5511990000002,,,,,\n",
        "row 3",
        "phone",
        "E.164",
    ),
    (CSV_HEADER + ",ana,Ana,+5511990000001,,,,,\n", "row 2", "audience", "'audience' is required"),
    (
        CSV_HEADER + "users,ana,Ana,+5511990000001,,,,sms|email,\n",
        "row 2",
        "channels",
        "email is never a channel",
    ),
    (
        CSV_HEADER + "users,ana,Ana,+5511990000001,,,,sms|slack,\n",
        "row 2",
        "channels",
        "no 'slack' address",
    ),
    (CSV_HEADER + "users,ana,Ana,+5511990000001,,,,,site:rio\n", "row 2", "tags", "key=value"),
    (CSV_HEADER + "users,ana,Ana,,,,,,\n", "row 2", "channels", "nothing reaches them"),
    # A blank line and a quoted cell spanning two lines still count as one row each.
    (
        CSV_HEADER + '\nusers,ana,"Ana\nSouza",+5511990000001,,,,,\nusers,bia,Bia,,U0BIA,,xx,,\n',
        "row 4",
        "locale",
        "not a known locale",
    ),
]


@pytest.mark.parametrize(("text", "where", "field", "words"), CSV_CASES)
def test_csv_mistake_names_file_row_and_field(
    tmp_path: Path, text: str, where: str, field: str, words: str
) -> None:
    folder = write(tmp_path / "contacts", {"users.csv": text})

    with pytest.raises(ContactsError) as raised:
        # The locales a templates folder with en and pt-BR offers (Renderer.locales).
        load_directory(folder, locales=frozenset({"en", "pt-BR"}))

    assert (raised.value.path, raised.value.where, raised.value.field) == (
        str(folder / "users.csv"),
        where,
        field,
    )
    assert words in raised.value.problem


FOLDER_CASES = [
    # (files, file named, where, field, words)
    (
        {"management.yaml": ANA, "users.csv": CSV_HEADER + "users,ana.souza,Ana,,U0ANA0002,,,,\n"},
        "users.csv",
        "row 2",
        "id",
        "already used by management.yaml contacts[0] (id=ana.souza, line 3)",
    ),
    (
        {
            "a.yaml": "audience: users\ndeliver: first\n",
            "b.yaml": "audience: users\ndeliver: all\n",
        },
        "b.yaml",
        "top level",
        "deliver",
        "'all' disagrees with 'first' in a.yaml",
    ),
    (
        {
            "a.yaml": "audience: users\nbroadcast: {locale: en}\n",
            "b.yml": "audience: users\nbroadcast: {locale: pt-BR}\n",
        },
        "b.yml",
        "top level",
        "broadcast.locale",
        "disagrees with 'en' in a.yaml",
    ),
    (
        {
            "management.yaml": ANA,
            "routing.yaml": "rules:\n  - audience: management\n    when: []\n",
        },
        "routing.yaml",
        "rules[0] (audience=management, line 2)",
        "when",
        "leave it out",
    ),
]


@pytest.mark.parametrize(("files", "named", "where", "field", "words"), FOLDER_CASES)
def test_folder_mistake_names_the_later_file(
    tmp_path: Path, files: dict[str, str], named: str, where: str, field: str, words: str
) -> None:
    folder = write(tmp_path / "contacts", files)

    with pytest.raises(ContactsError) as raised:
        # The locales a templates folder with en and pt-BR offers (Renderer.locales).
        load_directory(folder, locales=frozenset({"en", "pt-BR"}))

    assert (raised.value.path, raised.value.where, raised.value.field) == (
        str(folder / named),
        where,
        field,
    )
    assert words in raised.value.problem


def test_missing_or_empty_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ContactsError, match="does not exist"):
        load_directory(tmp_path / "nowhere")
    with pytest.raises(ContactsError, match=r"no \*\.yaml or \*\.csv files"):
        load_directory(write(tmp_path / "empty", {"routing.yaml": "rules: []\n", "notes.txt": ""}))


def test_error_message_is_one_readable_line(tmp_path: Path) -> None:
    folder = write(tmp_path / "contacts", {"management.yaml": contact_yaml(phnoe="x")})

    with pytest.raises(ContactsError) as raised:
        # The locales a templates folder with en and pt-BR offers (Renderer.locales).
        load_directory(folder, locales=frozenset({"en", "pt-BR"}))

    assert str(raised.value) == (
        f"{folder / 'management.yaml'}: contacts[0] (id=ana.souza, line 3): field 'phnoe': "
        "unknown key 'phnoe'; did you mean 'phone'?"
    )


# --- merging, defaults and warnings -------------------------------------------------------


def test_yaml_and_csv_of_one_audience_merge(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "contacts",
        {
            "a_users.yaml": "audience: users\ndeliver: all\nbroadcast:\n"
            "  slack_channels: [C0ITSTATUS]\n  fallback_urls: ['json://status.example.org/a']\n",
            "b_users.yml": "audience: users\nbroadcast:\n  slack_channels: [C0ITSTATUS, G0OPS]\n",
            "people.csv": CSV_HEADER
            + "users,bia,Bia Lima,+5521990001001,,,pt-BR,,site=rio;department=sales\n"
            + "users,caio,Caio Dias,,U0CAIO1,,,,\n"
            + "partners,bank,Banco X,+5511990000101,,json://bank.example.com/h,en,sms|fallback,\n",
        },
    )

    directory = load_directory(folder)
    users = directory.audience("users")

    assert users is not None
    assert users.deliver == "all"
    assert users.broadcast.slack_channels == ("C0ITSTATUS", "G0OPS")
    assert users.broadcast.fallback_urls == ("json://status.example.org/a",)
    bia, caio = users.contacts
    assert (bia.locale, bia.channels, bia.tags) == (
        "pt-BR",
        (ChannelName.SMS,),
        {"site": "rio", "department": "sales"},
    )
    assert (caio.locale, caio.channels) == ("en", (ChannelName.SLACK,))
    assert directory.contact_count == 3
    assert directory.broadcast_locale("users") == "en"


def test_channels_left_out_means_every_channel_with_an_address(tmp_path: Path) -> None:
    text = contact_yaml(slack="U0ANA0001", fallback='"ntfy://ntfy.example.org/ana"')
    directory = load_directory(write(tmp_path / "contacts", {"management.yaml": text}))

    (ana,) = directory.audiences["management"].contacts
    assert ana.channels == (ChannelName.SLACK, ChannelName.FALLBACK)


def test_locales_are_a_parameter(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "contacts",
        {"management.yaml": contact_yaml(phone='"+34600000001"', locale="es")},
    )

    directory = load_directory(folder, locales=frozenset({"en", "es"}))

    assert directory.audiences["management"].contacts[0].locale == "es"


def test_warnings_name_routing_gaps(tmp_path: Path) -> None:
    routing = (
        "rules:\n  - audience: management\n  - audience: vendors\n"
        "  - audience: management\n    tags: {site: recife}\n"
    )
    folder = write(
        tmp_path / "contacts",
        {"management.yaml": ANA, "routing.yaml": routing, "empty.yaml": "audience: board\n"},
    )

    directory = load_directory(folder)

    assert directory.warnings == (
        "routing.yaml: rules[1] names audience 'vendors', which no contact file defines, "
        "so that rule tells nobody.",
        "routing.yaml: rules[2] narrows 'management' to tags {'site': 'recife'}, "
        "which no contact has.",
        "audience 'board' (empty.yaml) is never selected by routing.yaml.",
        "audience 'board' (empty.yaml) has no contacts and no broadcasts.",
    )


def test_default_routing_applies_without_routing_file(tmp_path: Path) -> None:
    directory = load_directory(write(tmp_path / "contacts", {"management.yaml": ANA}))

    assert directory.routing == DEFAULT_ROUTING
    assert directory.warnings == (
        "default routing: rules[1] names audience 'users', which no contact file defines, "
        "so that rule tells nobody.",
        "default routing: rules[2] names audience 'partners', which no contact file defines, "
        "so that rule tells nobody.",
    )
