"""A contact's own `whatsapp` number and `quiet_hours`, in YAML and CSV contact files.

WhatsApp goes to the `whatsapp` number when one is set, else to the phone; a bad number, a
whatsapp channel without either, or bad quiet hours is an error naming file, entry and field,
at load and in `outage-notify contacts check` (exit 2, no traceback).
"""

from __future__ import annotations

import string
from pathlib import Path

import phonenumbers
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from outage_notify.config.settings import SlackSettings, TwilioSettings
from outage_notify.contacts.check import check_contacts
from outage_notify.contacts.directory import load_directory
from outage_notify.contacts.online import lookups_needed
from outage_notify.contacts.routing import recipients
from outage_notify.core.errors import ContactsError
from outage_notify.core.models import ChannelName, RenderedMessage, Route, UpdateKind
from outage_notify.doctor.channels import usage
from outage_notify.integrations.fake_server import FakeProviders
from outage_notify.integrations.lookups import check_online
from outage_notify.messages import planning
from tests.fixtures.providers import ACCOUNT_SID
from tests.strategies import examples, hostile_text
from tests.test_cli import run

PHONE = "+5511990000001"
WHATSAPP = "+5521987650002"
CSV_HEADER = "audience,id,name,phone,channels,quiet_hours,whatsapp\n"
# Valid mobile numbers of a few countries, as phonenumbers itself gives them.
REGIONS = ("BR", "PT", "US", "GB", "MX", "ES", "IN", "DE")


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


def csv_folder(folder: Path, *rows: str) -> Path:
    """A folder with one CSV file of `rows` under the header with quiet_hours and whatsapp."""
    return write(folder, "people.csv", CSV_HEADER + "".join(f"{row}\n" for row in rows))


def yaml_contact(**fields: str) -> str:
    cells = ", ".join(f"{key}: {value}" for key, value in fields.items())
    return f"audience: management\ncontacts:\n  - {{id: ana, name: Ana, {cells}}}\n"


def routes(folder: Path, audience: str = "management") -> tuple[Route, ...]:
    [recipient] = recipients(load_directory(folder).audiences[audience])
    return recipient.routes


@st.composite
def mobile_numbers(draw: st.DrawFn) -> str:
    region = draw(st.sampled_from(REGIONS))
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    assert example is not None
    return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)


@settings(max_examples=examples(), suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(number=mobile_numbers(), prefixed=st.booleans(), in_csv=st.booleans())
def test_a_whatsapp_number_is_where_whatsapp_goes(
    tmp_path: Path, number: str, prefixed: bool, in_csv: bool
) -> None:
    written = f"whatsapp:{number}" if prefixed else number
    folder = tmp_path / f"contacts-{prefixed}-{in_csv}"
    if in_csv:
        csv_folder(folder, f"management,ana,Ana,{PHONE},whatsapp|sms,,{written}")
    else:
        write(
            folder,
            "m.yaml",
            yaml_contact(phone=f'"{PHONE}"', whatsapp=f'"{written}"', channels="[whatsapp, sms]"),
        )

    assert routes(folder) == (
        Route(ChannelName.WHATSAPP, number),
        Route(ChannelName.SMS, PHONE),
    )
    assert load_directory(folder).contact_whatsapp("ana") == (number if number != PHONE else "")


@settings(max_examples=examples(), suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=hostile_text() | st.text(alphabet=string.digits + " +-()", min_size=1, max_size=20))
def test_a_whatsapp_value_that_is_not_e164_names_the_field(tmp_path: Path, text: str) -> None:
    folder = write(
        tmp_path / "contacts",
        "m.yaml",
        "audience: management\ncontacts:\n  - id: ana\n    name: Ana\n"
        f'    phone: "{PHONE}"\n    whatsapp: {_quoted(text)}\n',
    )
    try:
        directory = load_directory(folder)
    except ContactsError as error:
        assert Path(error.path).name == "m.yaml", error
        if error.field == "(syntax)":
            # libyaml refuses an escaped lone surrogate ("\\ud800") as YAML: on its line.
            assert error.where.startswith("line 6,"), error
            return
        assert error.field == "whatsapp", error
        assert "contacts[0] (id=ana" in error.where
        return
    # Only a real E.164 number gets through.
    number = directory.contact_whatsapp("ana") or PHONE
    assert number.startswith("+") and number[1:].isdigit()


def _quoted(text: str) -> str:
    """`text` as a YAML double-quoted scalar, every character outside printable ASCII escaped."""
    escaped = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else f"\\U{ord(c):08x}"
        for c in text
    )
    return f'"{escaped}"'


def test_whatsapp_without_a_phone_goes_to_the_whatsapp_number(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "contacts",
        "m.yaml",
        yaml_contact(whatsapp=f'"{WHATSAPP}"', channels="[whatsapp]"),
    )

    assert routes(folder) == (Route(ChannelName.WHATSAPP, WHATSAPP),)


def test_doctor_counts_a_whatsapp_only_contact_as_a_whatsapp_user(tmp_path: Path) -> None:
    """`doctor`'s channel lines count who would be sent on a channel: the whatsapp number too."""
    folder = write(
        tmp_path / "contacts",
        "m.yaml",
        yaml_contact(whatsapp=f'"{WHATSAPP}"', channels="[whatsapp]"),
    )

    assert usage(load_directory(folder), "whatsapp") == (1, [WHATSAPP])


def test_without_a_whatsapp_number_whatsapp_goes_to_the_phone(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "contacts",
        "m.yaml",
        yaml_contact(phone=f'"{PHONE}"', channels="[whatsapp, sms]"),
    )

    assert routes(folder)[0] == Route(ChannelName.WHATSAPP, PHONE)


def test_a_whatsapp_number_alone_does_not_make_whatsapp_a_channel(tmp_path: Path) -> None:
    # WhatsApp needs the person's consent and approved templates: only when listed.
    folder = write(
        tmp_path / "contacts", "m.yaml", yaml_contact(phone=f'"{PHONE}"', whatsapp=f'"{WHATSAPP}"')
    )

    assert routes(folder) == (Route(ChannelName.SMS, PHONE),)


def test_csv_rows_take_quiet_hours(tmp_path: Path) -> None:
    folder = csv_folder(
        tmp_path / "contacts",
        f"management,ana,Ana,{PHONE},sms,22:00-07:00,",
        "management,bia,Bia,+5511990000002,sms,,",
    )

    directory = load_directory(folder)
    assert directory.contact_quiet_hours("ana") == "22:00-07:00"
    assert directory.contact_quiet_hours("bia") == ""


@pytest.mark.parametrize(
    ("row", "field", "words"),
    [
        (f"management,ana,Ana,{PHONE},sms,22h-7h,", "quiet_hours", "such as 22:00-07:00"),
        (f"management,ana,Ana,{PHONE},sms,,+55 21 98765-0002", "whatsapp", "+5521987650002"),
        ("management,ana,Ana,,whatsapp,,", "channels", "no 'phone' or 'whatsapp' address"),
        (f"management,ana,Ana,{PHONE},sms,,+5521000000000", "whatsapp", "not a valid number"),
    ],
)
def test_contacts_check_names_file_row_and_field_of_a_bad_csv_row(
    tmp_path: Path, row: str, field: str, words: str
) -> None:
    folder = csv_folder(tmp_path / "contacts", row)

    [error] = check_contacts(folder).errors
    assert (error.file, error.entry, error.field) == ("people.csv", "row 2", field)
    assert words in error.problem


def test_two_contacts_may_not_share_a_whatsapp_number(tmp_path: Path) -> None:
    folder = csv_folder(
        tmp_path / "contacts",
        f"management,ana,Ana,{PHONE},whatsapp,,{WHATSAPP}",
        f"management,bia,Bia,+5511990000002,whatsapp,,{WHATSAPP}",
    )

    [error] = check_contacts(folder).errors
    assert (error.entry, error.field) == ("row 3", "whatsapp")
    assert "also ana's (people.csv row 2)" in error.problem


@pytest.mark.integration  # runs a process
@pytest.mark.parametrize(
    ("entry", "sentence"),
    [
        (
            yaml_contact(slack="U0ANA0001", channels="[whatsapp, slack]"),
            "field 'channels': 'whatsapp' is listed but the contact has no 'phone' or "
            "'whatsapp' address.",
        ),
        (
            yaml_contact(phone=f'"{PHONE}"', whatsapp='"021 98765-0002"', channels="[whatsapp]"),
            "field 'whatsapp': '021 98765-0002' is not E.164",
        ),
        (
            yaml_contact(phone=f'"{PHONE}"', quiet_hours='"7-22"'),
            "field 'quiet_hours': '7-22' is not a span of hours, such as 22:00-07:00.",
        ),
    ],
)
def test_contacts_check_says_what_is_wrong_and_exits_2(
    tmp_path: Path, entry: str, sentence: str
) -> None:
    folder = write(tmp_path / "contacts", "management.yaml", entry)

    result = run("contacts", "check", env={"OUTAGE_NOTIFY_CONTACTS_DIR": str(folder)})

    assert result.returncode == 2, result.stdout
    err = " ".join(result.stderr.split())
    assert "management.yaml: contacts[0] (id=ana, line 3):" in err, err
    assert sentence in err, err
    assert "Traceback" not in result.stderr


@pytest.mark.integration  # runs a process
def test_contacts_check_accepts_a_whatsapp_only_contact(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "contacts",
        "management.yaml",
        yaml_contact(
            whatsapp=f'"{WHATSAPP}"',
            slack="U0ANA0001",
            channels="[whatsapp, slack]",
            quiet_hours='"22:00-07:00"',
        ),
    )

    result = run("contacts", "check", env={"OUTAGE_NOTIFY_CONTACTS_DIR": str(folder)})

    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout


def rendered(
    audience: str, kind: UpdateKind, channel: ChannelName, locale: str, zone: str = ""
) -> RenderedMessage:
    return RenderedMessage(audience=audience, channel=channel, locale=locale, body=str(kind))


def test_the_lead_is_told_on_their_own_whatsapp_number_too(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "contacts",
        "m.yaml",
        yaml_contact(phone=f'"{PHONE}"', whatsapp=f'"{WHATSAPP}"', channels="[whatsapp, sms]"),
    )
    directory = load_directory(folder)
    lead = planning.find_contact(directory, "ana")
    assert lead is not None

    [reminder] = planning.iter_deliveries(
        [planning.AudiencePlan(planning.STAFF, UpdateKind.REMINDER, planning.WHOLE)],
        directory=directory,
        renderings=planning.Renderings(rendered),
        staff=[lead],
    )
    assert reminder.recipient.routes == (
        Route(ChannelName.WHATSAPP, WHATSAPP),
        Route(ChannelName.SMS, PHONE),
    )


def test_the_online_check_asks_twilio_lookup_about_the_whatsapp_number_too(
    tmp_path: Path, providers: FakeProviders
) -> None:
    folder = write(
        tmp_path / "contacts",
        "management.yaml",
        yaml_contact(phone=f'"{PHONE}"', whatsapp=f'"{WHATSAPP}"', channels="[whatsapp, sms]"),
    )
    directory = load_directory(folder)
    providers.add_fault("sms", to=WHATSAPP, twilio_code=20404, method="lookups.fetch")
    calls: list[None] = []

    result = check_online(
        directory,
        slack=SlackSettings(),
        twilio=TwilioSettings(
            account_sid=ACCOUNT_SID,
            auth_token=SecretStr("test-auth-token"),
            base_url=providers.twilio_base_url,
        ),
        advance=lambda: calls.append(None),
    )

    [finding] = result.findings
    assert (finding.level, finding.file, finding.field) == ("error", "management.yaml", "whatsapp")
    assert "contacts[0] (id=ana" in finding.entry and "404" in finding.problem
    assert len(calls) == lookups_needed(directory, slack=False, twilio=True) == 2
