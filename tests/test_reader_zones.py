"""Times in the reader's zone: which zone a contact reads (its own, its phone's, its audience's,
the organisation's), how a time is written there, and that planning renders once per zone."""

from __future__ import annotations

import csv
import re
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outage_notify.contacts.directory import Directory, load_directory
from outage_notify.contacts.zones import is_known_zone, zone_for_phone, zone_problem
from outage_notify.core.errors import ContactsError
from outage_notify.core.models import ChannelName, Severity, UpdateKind
from outage_notify.demo.main import DEMO_TIMEZONE, demo_settings
from outage_notify.fakes.mail import FakeMail
from outage_notify.incidents.update_messages import renderer_for
from outage_notify.integrations.fake_server import FakeProviders
from outage_notify.messages.budget import for_directory
from outage_notify.messages.filters import format_time
from outage_notify.messages.planning import (
    PlannedDelivery,
    Renderings,
    iter_deliveries,
    plan_audiences,
)
from outage_notify.messages.rendering import Renderer
from outage_notify.store.tables import IncidentRow, UpdateRow
from tests.fixtures.settings import build_settings
from tests.strategies import HOSTILE_CHARACTERS, examples

ROOT = Path(__file__).resolve().parents[1]
RENDERER = Renderer(ROOT / "templates")
SAO_PAULO = ZoneInfo("America/Sao_Paulo")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
LONDON = ZoneInfo("Europe/London")
# One reader per case of the acceptance line, none with a `timezone` of their own.
MANAGEMENT = """\
audience: management
contacts:
  - {id: sf, name: Sam Francis, phone: "+14155550100", channels: [sms]}
  - {id: london, name: Lou Don, phone: "+442079460001", channels: [sms]}
  - {id: ana, name: Ana Souza, phone: "+5511990000001", locale: pt-BR, channels: [sms]}
  - {id: bia, name: Bia Lima, phone: "+5521990000003", locale: pt-BR, channels: [sms]}
"""


def write(folder: Path, **files: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name.replace("_", ".", 1)).write_text(text, encoding="utf-8")
    return folder


# --- which zone ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phone", "zone"),
    [
        ("+14155550100", "America/Los_Angeles"),
        ("+12025550101", "America/New_York"),
        ("+442079460001", "Europe/London"),
        ("+5511990000001", "America/Sao_Paulo"),
        ("+5592991234567", "America/Manaus"),
        # Mainland Portugal and the Azores share +351 9x mobiles: no single zone.
        ("+351910000003", None),
        # Not a number phonenumbers can place.
        ("+999123456789", None),
        (None, None),
    ],
)
def test_a_phone_number_gives_its_zone_only_when_it_has_exactly_one(
    phone: str | None, zone: str | None
) -> None:
    assert zone_for_phone(phone) == zone


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        ("America/Sao_Paolo", "did you mean 'America/Sao_Paulo'?"),
        ("america/sao_paulo", "did you mean 'America/Sao_Paulo'?"),
        ("America", "is not an IANA time zone"),
        ("../../etc/passwd", "is not an IANA time zone"),
        ("right/UTC", "is not an IANA time zone"),
        ("localtime", "is not an IANA time zone"),
        ("Europe/London\x00", "'Europe/London?' is not an IANA time zone"),
        ("x" * 5_000, "…' is not an IANA time zone"),
        (-3, "'-3' is not an IANA time zone"),
    ],
)
def test_a_zone_that_is_not_real_is_named_with_the_closest_real_one(
    value: object, hint: str
) -> None:
    problem = zone_problem(value)
    assert problem is not None and hint in problem


def test_a_contact_reads_its_own_zone_then_its_phones_then_its_audiences_then_the_organisations(
    tmp_path: Path,
) -> None:
    folder = write(
        tmp_path / "contacts",
        partners_yaml="audience: partners\ntimezone: Europe/Lisbon\ncontacts:\n"
        # Its own zone wins over the phone's (a Californian number used in Tokyo).
        "  - {id: own, name: Own, phone: '+14155550100', timezone: Asia/Tokyo}\n"
        # +351 has two zones: the audience file's applies.
        "  - {id: azores, name: Azores, phone: '+351910000003'}\n"
        "  - {id: room, name: Room, slack: U0ROOM001}\n",
        users_csv="audience,id,name,phone,slack,locale,timezone\n"
        "users,csv-own,A,+5511990000001,,pt-BR,America/Manaus\n"
        "users,csv-phone,B,+442079460001,,en,\n"
        # Nothing says: the organisation's zone ("").
        "users,csv-none,C,,U0CSV0003,en,\n",
    )
    directory = load_directory(folder)

    assert {r.key: r.timezone for r in directory.recipients({"partners": ({},)})} == {
        "contact:own": "Asia/Tokyo",
        "contact:azores": "Europe/Lisbon",
        "contact:room": "Europe/Lisbon",
    }
    assert {r.key: r.timezone for r in directory.recipients({"users": ({},)})} == {
        "contact:csv-own": "America/Manaus",
        "contact:csv-phone": "Europe/London",
        "contact:csv-none": "",
    }
    assert directory.contact_zone("azores") == "Europe/Lisbon"
    assert directory.contact_zone("csv-none") == ""


@pytest.mark.parametrize(
    ("files", "where", "problem"),
    [
        (
            {"users_csv": "audience,id,name,phone,timezone\nusers,a,A,+5511990000001,GMT-3\n"},
            ("users.csv", "row 2"),
            "'GMT-3' is not an IANA time zone",
        ),
        (
            {"users_yaml": "audience: users\ncontacts:\n"
             "  - {id: a, name: A, phone: '+5511990000001', timezone: Brasilia}\n"},
            ("users.yaml", "contacts[0] (id=a, line 3)"),
            "'Brasilia' is not an IANA time zone",
        ),
        (
            {"users_yaml": "audience: users\ntimezone: Europe/Lodnon\ncontacts: []\n"},
            ("users.yaml", "top level"),
            "did you mean 'Europe/London'?",
        ),
    ],
)  # fmt: skip
def test_a_bad_timezone_is_refused_naming_file_entry_and_field(
    tmp_path: Path, files: dict[str, str], where: tuple[str, str], problem: str
) -> None:
    folder = write(tmp_path / "contacts", **files)
    with pytest.raises(ContactsError) as raised:
        load_directory(folder)
    assert (Path(raised.value.path).name, raised.value.where) == where
    assert raised.value.field == "timezone"
    assert problem in raised.value.problem


@pytest.mark.parametrize("name", ["users.yaml", "users.csv"])
def test_a_file_that_is_not_utf8_is_refused_naming_where(tmp_path: Path, name: str) -> None:
    folder = tmp_path / "contacts"
    folder.mkdir()
    header = b"audience: users\ntimezone: " if name.endswith("yaml") else b"audience,id,name\n"
    # Latin-1 "São Paulo", as a spreadsheet saved in the wrong encoding writes it.
    (folder / name).write_bytes(header + b"S\xe3o_Paulo\n")

    with pytest.raises(ContactsError) as raised:
        load_directory(folder)
    assert raised.value.field == "(encoding)"
    assert "not UTF-8" in raised.value.problem and "line 2" in raised.value.where


def test_two_files_of_one_audience_must_agree_on_its_timezone(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "contacts",
        a_yaml="audience: users\ntimezone: Europe/London\ncontacts: []\n",
        b_yaml="audience: users\ntimezone: Europe/Lisbon\ncontacts: []\n",
    )
    with pytest.raises(ContactsError, match="disagrees with 'Europe/London'"):
        load_directory(folder)


ANY_VALUE = st.one_of(
    st.text(max_size=80),
    st.sampled_from(["America/Sao_Paulo", "UTC", "Etc/GMT+3", "US/Pacific", "America", "Factory"]),
    st.sampled_from(HOSTILE_CHARACTERS).map(lambda c: f"Europe/{c}London"),
    st.integers(),
    st.floats(allow_nan=True),
    st.booleans(),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
    st.none(),
)


def _has_surrogate(value: object) -> bool:
    """Whether a lone surrogate (U+D800-U+DFFF) is anywhere in `value` (keys included)."""
    if isinstance(value, str):
        return any("\ud800" <= c <= "\udfff" for c in value)
    if isinstance(value, dict):
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_surrogate(item) for item in value)
    return False


@settings(max_examples=examples() * 4, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(value=ANY_VALUE, audience_value=ANY_VALUE)
def test_any_timezone_in_a_contact_file_gives_a_zone_or_an_error_naming_it(
    value: object, audience_value: object
) -> None:
    entry = {"id": "a", "name": "A", "phone": "+14155550100", "timezone": value}
    document = {"audience": "users", "timezone": audience_value, "contacts": [entry]}
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "users.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
        try:
            directory = load_directory(Path(folder))
        except ContactsError as error:
            if error.field == "(syntax)":
                # libyaml refuses the escape of a lone surrogate that safe_dump writes ("\\ud800")
                # as YAML, naming its line: only such a value gets this answer.
                assert "Unicode" in error.problem and _has_surrogate(document), error
                return
            assert error.field == "timezone" and "IANA time zone" in error.problem
            return
    (recipient,) = directory.recipients({"users": ({},)})
    # Not set (None or ""): the phone's zone.
    assert recipient.timezone == (value or "America/Los_Angeles")
    assert is_known_zone(recipient.timezone)


@settings(max_examples=examples() * 4, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(cell=st.one_of(st.text(max_size=80), st.sampled_from(HOSTILE_CHARACTERS)))
# A lone surrogate cannot be written as UTF-8: see the test of files that are not UTF-8.
def test_any_timezone_cell_in_a_csv_file_gives_a_zone_or_an_error_naming_it(cell: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "users.csv"
        with path.open("w", encoding="utf-8", errors="surrogatepass", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["audience", "id", "name", "phone", "timezone"])
            writer.writerow(["users", "a", "A", "+442079460001", cell])
        try:
            directory = load_directory(Path(folder))
        except ContactsError as error:
            if error.field == "(encoding)":
                assert any("\ud800" <= char <= "\udfff" for char in cell), cell
            else:
                assert (error.where, error.field) == ("row 2", "timezone"), error
            return
    (recipient,) = directory.recipients({"users": ({},)})
    # Cells are stripped, and an empty one means not set: the phone's zone.
    assert recipient.timezone == (cell.strip() or "Europe/London")
    assert is_known_zone(recipient.timezone)


@settings(max_examples=examples() * 8, deadline=None)
@given(phone=st.from_regex(r"\+[1-9]\d{7,14}", fullmatch=True))
def test_any_phone_number_gives_one_real_zone_or_none(phone: str) -> None:
    zone = zone_for_phone(phone)
    assert zone is None or is_known_zone(zone)


# --- how a time is written -------------------------------------------------------------------

WINTER = datetime(2026, 12, 5, 1, 30, tzinfo=UTC)  # 17:30 on the 4th in San Francisco
SUMMER = datetime(2026, 7, 4, 19, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "zone", "locale", "expected"),
    [
        (WINTER, LOS_ANGELES, "en", "17:30 PST"),
        (SUMMER, LOS_ANGELES, "en", "12:30 PDT"),
        (WINTER - timedelta(hours=5), LONDON, "en", "20:30 GMT"),
        (SUMMER, LONDON, "en", "20:30 BST"),
        # A pt-BR reader abroad: Portuguese date words, the zone's usual name.
        (WINTER, LOS_ANGELES, "pt-BR", "17:30 PST"),
        # The database calls Manaus "-04"; CLDR's pt-BR name is used, and en falls to the offset.
        (WINTER, ZoneInfo("America/Manaus"), "pt-BR", "21:30 AMT"),
        (WINTER, ZoneInfo("America/Manaus"), "en", "21:30 GMT-04:00"),
        # The organisation's own zone: no clutter.
        (WINTER, SAO_PAULO, "pt-BR", "22:30"),
    ],
)
def test_a_time_carries_its_zone_when_the_reader_is_not_in_the_organisations(
    moment: datetime, zone: ZoneInfo, locale: str, expected: str
) -> None:
    now = moment - timedelta(hours=1)
    assert format_time(moment, zone=zone, now=now, locale=locale, organisation_zone=SAO_PAULO) == (
        expected
    )


def test_a_time_on_another_day_in_the_readers_zone_carries_the_date() -> None:
    # 01:30 UTC on the 5th: still the 4th in San Francisco and Sao Paulo, the 5th in London.
    now = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)
    written = {
        zone.key: format_time(WINTER, zone=zone, now=now, locale="en", organisation_zone=SAO_PAULO)
        for zone in (LOS_ANGELES, LONDON, SAO_PAULO)
    }
    assert written == {
        "America/Los_Angeles": "17:30 PST",
        "Europe/London": "Dec 5, 01:30 GMT",
        "America/Sao_Paulo": "22:30",
    }
    assert format_time(WINTER, zone=LONDON, now=now, locale="pt-BR") == "5 de dez. 01:30"


def test_the_two_times_of_an_hour_a_dst_change_repeats_are_told_apart() -> None:
    """New York's fall-back night: 01:30 EDT, then an hour later 01:30 EST. Equal as local
    times (Python ignores `fold` within one zone), so a memo of written times must not be
    keyed by them."""
    new_york = ZoneInfo("America/New_York")
    first, second = (
        datetime(2026, 11, 1, 5, 30, tzinfo=UTC),
        datetime(2026, 11, 1, 6, 30, tzinfo=UTC),
    )
    assert first.astimezone(new_york) == second.astimezone(new_york)  # what Python says
    now = datetime(2026, 11, 1, 5, 0, tzinfo=UTC)
    written = [
        format_time(moment.astimezone(new_york), zone=new_york, now=now, locale="en",
                    organisation_zone=SAO_PAULO)
        for moment in (first, second, first)
    ]  # fmt: skip
    assert written == ["01:30 EDT", "01:30 EST", "01:30 EDT"]


@pytest.mark.parametrize("locale", ["en", "pt-BR", "es", "de", "xx", ""])
def test_every_zone_is_written_in_gsm_characters_without_error(locale: str) -> None:
    from zoneinfo import available_timezones

    now = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)
    for name in sorted(available_timezones()):
        text = format_time(
            WINTER, zone=ZoneInfo(name), now=now, locale=locale, organisation_zone=SAO_PAULO
        )
        assert re.fullmatch(r"[\w .,:+\-/]+", text), (name, text)


# --- rendered per reader ---------------------------------------------------------------------


def plan(
    directory: Directory, *, organisation: str, eta: datetime, now: datetime
) -> tuple[list[PlannedDelivery], dict[tuple[str, ChannelName, str, str], str]]:
    """Plan an `opened` update the way the worker does; the deliveries and the bodies by key."""
    settings = build_settings(timezone=organisation)
    incident = IncidentRow(
        id=1, title="Webmail down", summary="", opened_at=now, resolved_at=None, service="email",
        notified_audiences={},
    )  # fmt: skip
    update = UpdateRow(
        id=1, kind="opened", message="Engineers are on it.", phase="investigating",
        severity="critical", components=["webmail", "inbound"], eta=eta,
        next_update_at=now + timedelta(minutes=30), audiences=None, recipients=None,
    )  # fmt: skip
    render = renderer_for(
        settings, directory, RENDERER, for_directory(settings, directory), incident, update
    )
    renderings = Renderings(render)
    plans = plan_audiences(
        kind=UpdateKind.OPENED,
        explicit=None,
        severity=Severity.CRITICAL,
        components=["webmail", "inbound"],
        notified={},
        directory=directory,
    )
    planned = list(
        iter_deliveries(
            plans, directory=directory, renderings=renderings, organisation_zone=organisation
        )
    )
    bodies = {(m.audience, m.channel, m.locale, m.timezone): m.body for m in renderings.messages}
    return planned, bodies


def body_of(
    planned: list[PlannedDelivery], bodies: dict[tuple[str, ChannelName, str, str], str], key: str
) -> str:
    (delivery,) = [d for d in planned if d.recipient.key == key]
    recipient = delivery.recipient
    return bodies[(delivery.audience, ChannelName.SMS, recipient.locale, recipient.timezone)]


def test_san_francisco_and_london_read_their_time_with_its_zone_sao_paulo_reads_it_plain(
    tmp_path: Path,
) -> None:
    folder = write(
        tmp_path / "contacts",
        management_yaml=MANAGEMENT,
        routing_yaml="rules:\n  - audience: management\n",
    )
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    eta = now + timedelta(hours=2)
    planned, bodies = plan(
        load_directory(folder), organisation="America/Sao_Paulo", eta=eta, now=now
    )

    for key, zone in (("contact:sf", LOS_ANGELES), ("contact:london", LONDON)):
        body = body_of(planned, bodies, key)
        local = eta.astimezone(zone)
        # "17:30 PST" / "20:30 GMT" (summer: PDT, BST), the date before it if not today there.
        assert f"{local:%H:%M} {local.tzname()}" in body, (key, body)
    for key in ("contact:ana", "contact:bia"):
        body = body_of(planned, bodies, key)
        assert f"{eta.astimezone(SAO_PAULO):%H:%M}" in body, (key, body)
        assert not re.search(r"\d\d:\d\d [A-Z]", body), (key, body)
    # Both Brazilian readers are in the organisation's zone: one body, keyed "".
    assert {d.recipient.timezone for d in planned} == {"America/Los_Angeles", "Europe/London", ""}
    assert len(bodies) == 3


def test_with_the_organisation_in_utc_the_sao_paulo_readers_see_their_zone_named(
    tmp_path: Path,
) -> None:
    folder = write(
        tmp_path / "contacts",
        management_yaml=MANAGEMENT,
        routing_yaml="rules:\n  - audience: management\n",
    )
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    eta = now + timedelta(hours=2)
    planned, bodies = plan(load_directory(folder), organisation="UTC", eta=eta, now=now)

    body = body_of(planned, bodies, "contact:ana")
    # pt-BR's own name for Sao Paulo's zone (the database only says "-03").
    assert f"{eta.astimezone(SAO_PAULO):%H:%M} BRT" in body, body


def test_bodies_are_rendered_once_per_audience_channel_locale_and_zone_not_per_person() -> None:
    directory = load_directory(ROOT / "contacts")
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    planned, bodies = plan(directory, organisation="America/Sao_Paulo", eta=now, now=now)

    needed = {
        (d.audience, route.channel, d.recipient.locale, d.recipient.timezone)
        for d in planned
        for route in d.recipient.routes
    }
    assert set(bodies) == needed
    # The shipped 300-odd users live in a handful of zones: a few dozen renders, not hundreds.
    assert len(planned) > 300 and len(bodies) < 60


def test_the_demo_runs_in_sao_paulo_time_like_env_example_unless_told_otherwise(
    providers: FakeProviders, tmp_path: Path
) -> None:
    plain = build_settings()
    london = build_settings(timezone="Europe/London")
    example = (ROOT / ".env.example").read_text(encoding="utf-8")

    assert f"OUTAGE_NOTIFY_TIMEZONE={DEMO_TIMEZONE}" in example
    public = "http://127.0.0.1:8000"
    with FakeMail() as mail:
        demo = demo_settings(plain, providers, mail, tmp_path, public, "ana.lima")
        told = demo_settings(london, providers, mail, tmp_path, public, "ana.lima")
    assert demo.timezone == "America/Sao_Paulo"
    assert told.timezone == "Europe/London"
