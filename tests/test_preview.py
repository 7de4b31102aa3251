"""`templates preview`: every render, each SMS measured and priced for its real audience."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from rich.console import Console

from outage_notify.cli.preview_table import preview_renderables
from outage_notify.config.settings import Settings
from outage_notify.contacts.components import load_catalogue
from outage_notify.contacts.directory import Directory, load_directory
from outage_notify.contacts.routing import AckRule
from outage_notify.core.errors import TemplateError
from outage_notify.core.models import STAFF_KINDS, ChannelName, UpdateKind
from outage_notify.messages.preview import PreviewRow, Selection, preview
from outage_notify.messages.rendering import Renderer
from outage_notify.messages.sms_encoding import measure_sms
from tests.fixtures.settings import build_settings

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "templates"
COMPONENTS = load_catalogue(ROOT / "contacts" / "components.yaml")
RENDERER = Renderer(TEMPLATES, components=COMPONENTS)
PRICE = 0.0079
HEADER = "audience,id,name,phone,slack,fallback,locale,channels,tags"
# users: 3 pt-BR and 1 pt-PT (pt-BR templates) prefer SMS, 1 pt-BR prefers Slack, 2 en prefer
# SMS, 1 en has no phone (default channels: Slack comes first). management: all channels each.
USERS = [
    "users,u1,U1,+5511990000001,U01,,pt-BR,sms|slack,",
    "users,u2,U2,+5511990000002,U02,,pt-BR,sms|slack,",
    "users,u3,U3,+5511990000003,,,pt-BR,sms,",
    "users,u4,U4,+351910000004,U04,,pt-PT,sms|slack,",
    "users,u5,U5,+5511990000005,U05,,pt-BR,slack|sms,",
    "users,u6,U6,+15555550106,U06,,en,sms|slack,",
    "users,u7,U7,+15555550107,,,en,sms,",
    "users,u8,U8,,U08,,en,,",
]
MANAGEMENT = """\
audience: management
deliver: all
contacts:
  - {id: lead, name: Lead, phone: "+5511990000100", slack: U100, locale: pt-BR}
  - {id: cfo, name: CFO, phone: "+5511990000101", slack: U101, locale: pt-BR}
"""


def write_directory(root: Path) -> Directory:
    (root / "users.csv").write_text("\n".join([HEADER, *USERS]) + "\n")
    (root / "management.yaml").write_text(MANAGEMENT)
    return load_directory(root, locales=frozenset({"en", "pt-BR", "pt-PT"}))


@pytest.fixture
def directory(tmp_path: Path) -> Directory:
    return write_directory(tmp_path)


@pytest.fixture(scope="module")
def default_rows(tmp_path_factory: pytest.TempPathFactory) -> list[PreviewRow]:
    """The preview with the default settings, rendered once for the tests that only read it.

    A whole preview renders every template several times (seconds of CPU); the rows are frozen.
    """
    directory = write_directory(tmp_path_factory.mktemp("directory"))
    return preview(renderer=RENDERER, directory=directory, settings=settings())


def settings(**values: object) -> Settings:
    return build_settings(sms_price_per_segment=PRICE, **values)


def by_key(rows: list[PreviewRow]) -> dict[tuple[str, str, str, str], PreviewRow]:
    return {(row.kind, row.audience, row.channel, row.locale): row for row in rows}


def test_every_kind_audience_channel_and_locale_is_rendered(default_rows: list[PreviewRow]) -> None:
    rows = default_rows
    keys = set(by_key(rows))
    audiences = ["default", "management", "partners", "users"]
    stakeholder_kinds = [kind for kind in UpdateKind if kind not in STAFF_KINDS]
    expected = {
        (kind, audience, channel, locale)
        for kind in stakeholder_kinds
        for audience in audiences
        for channel in ChannelName
        for locale in ("en", "es", "pt-BR")
    }
    expected |= {
        (kind, "staff", channel, locale)
        for kind in STAFF_KINDS
        for channel in ChannelName
        for locale in ("en", "es", "pt-BR")
    }
    assert keys == expected
    assert all(row.message.body for row in rows)


def test_whatsapp_rows_read_the_sms_templates_and_say_what_the_sms_says(
    default_rows: list[PreviewRow],
) -> None:
    found = by_key(default_rows)
    opened = (UpdateKind.OPENED, "management", ChannelName.WHATSAPP, "pt-BR")
    whatsapp, sms = found[opened], found[(*opened[:2], ChannelName.SMS, "pt-BR")]

    assert whatsapp.template == sms.template and "/sms/" in whatsapp.template
    assert whatsapp.message.title == "" and whatsapp.sms is None
    # Not transliterated or cut to segments: WhatsApp carries any character.
    assert whatsapp.message.body.startswith(sms.message.body.split("\n")[0][:20])


def test_every_sms_has_encoding_segments_and_cost(default_rows: list[PreviewRow]) -> None:
    rows = default_rows
    sms = [row for row in rows if row.channel is ChannelName.SMS]
    assert sms and all(row.sms is not None for row in sms)
    for row in sms:
        assert row.sms is not None
        assert row.sms.measure == measure_sms(row.message.body)
        assert row.sms.measure.encoding in ("GSM-7", "UCS-2") and row.sms.measure.segments >= 1
        assert row.sms.per_message == pytest.approx(row.sms.measure.segments * PRICE)
        assert row.sms.per_audience == pytest.approx(row.sms.recipients * row.sms.per_message)
    assert all(row.sms is None for row in rows if row.channel is not ChannelName.SMS)


@pytest.mark.parametrize(
    ("audience", "locale", "count"),
    [
        # u1-u3 and u4 (pt-PT reads the pt-BR templates); not u5, who prefers Slack.
        ("users", "pt-BR", 4),
        # u6 and u7; not u8, who has no phone so Slack is first.
        ("users", "en", 2),
        # deliver: all sends every contact an SMS (and a Slack message).
        ("management", "pt-BR", 2),
        ("management", "en", 0),
        ("partners", "pt-BR", 0),
        ("default", "pt-BR", 0),
    ],
)
def test_audience_cost_counts_contacts_whose_first_channel_is_sms(
    default_rows: list[PreviewRow], audience: str, locale: str, count: int
) -> None:
    rows = by_key(default_rows)
    row = rows[(UpdateKind.OPENED, audience, ChannelName.SMS, locale)]
    assert row.sms is not None and row.sms.recipients == count


def test_reminders_are_priced_for_the_incident_lead(directory: Directory) -> None:
    rows = by_key(
        preview(
            renderer=RENDERER,
            directory=directory,
            settings=settings(default_lead="lead"),
        )
    )
    lead_row = rows[(UpdateKind.REMINDER, "staff", ChannelName.SMS, "pt-BR")]
    assert lead_row.sms is not None and lead_row.sms.recipients == 1


def test_with_transliteration_a_pt_br_sms_drops_from_ucs2_to_gsm7(directory: Directory) -> None:
    rows = preview(
        renderer=RENDERER,
        directory=directory,
        # Room for the whole UCS-2 text (4 segments): with the default 3 the message is cut.
        settings=settings(sms_transliterate=True, sms_max_segments=6),
        transliterate=True,
    )
    row = by_key(rows)[(UpdateKind.UPDATE, "users", ChannelName.SMS, "pt-BR")]
    assert row.sms is not None and row.transliterated is not None
    assert row.sms.measure.encoding == "UCS-2"
    assert row.transliterated.measure.encoding == "GSM-7"
    assert row.transliterated.measure.segments < row.sms.measure.segments
    assert row.transliterated.per_audience < row.sms.per_audience
    assert "migração" in row.message.body and "migracao" in row.transliterated_body
    # English SMS were GSM-7 already: transliteration leaves them exactly as they were.
    for other in rows:
        if other.channel is ChannelName.SMS and other.locale == "en":
            assert other.transliterated_body == other.message.body


def test_selection_filters_what_is_rendered(directory: Directory) -> None:
    selection = Selection(
        kinds=(UpdateKind.RESOLVED,), audiences=("users",), channels=(ChannelName.SMS,)
    )
    rows = preview(renderer=RENDERER, directory=directory, settings=settings(), selection=selection)
    assert {(row.kind, row.audience, row.channel) for row in rows} == {
        (UpdateKind.RESOLVED, "users", ChannelName.SMS)
    }
    assert [row.locale for row in rows] == ["en", "es", "pt-BR"]


def test_a_template_error_names_the_template(directory: Directory, tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    broken = templates / "pt-BR" / "sms" / "update.users.j2"
    broken.write_text("{% import '_macros.j2' as m with context %}{{ m.no_such_macro() }}\n")
    with pytest.raises(TemplateError, match=r"update\.users\.j2"):
        preview(renderer=Renderer(templates), directory=directory, settings=settings())


def test_tables_show_encoding_segments_and_cost_side_by_side(directory: Directory) -> None:
    rows = preview(
        renderer=RENDERER,
        directory=directory,
        # Room for the whole UCS-2 text (4 segments): with the default 3 the message is cut.
        settings=settings(sms_max_segments=6),
        selection=Selection(kinds=(UpdateKind.UPDATE,), audiences=("users",)),
        transliterate=True,
    )
    console = Console(record=True, width=250)
    for renderable in preview_renderables(
        rows, currency="BRL", price=PRICE, transliterate_on=False, show_bodies=True
    ):
        console.print(renderable)
    text = console.export_text()
    row = by_key(rows)[(UpdateKind.UPDATE, "users", ChannelName.SMS, "pt-BR")]
    assert row.sms is not None and row.transliterated is not None
    before, after = row.sms.measure.segments, row.transliterated.measure.segments
    line = next(line for line in text.splitlines() if "pt-BR/sms/update.users.j2" in line)
    assert "UCS-2 → GSM-7" in line and f"{before} → {after}" in line
    assert f"{before * PRICE:.4f} BRL → {after * PRICE:.4f} BRL" in line
    assert "Slack" in text and "Fallback" in text
    assert "GSM-7 form:" in text and "migracao" in text


def test_sms_to_an_acknowledging_audience_are_previewed_and_priced_with_the_request(
    directory: Directory,
) -> None:
    routing = directory.routing.model_copy(
        update={"acknowledge": (AckRule(audience="management"),)}
    )
    asking = replace(directory, routing=routing)

    # Room for the request without shortening the staff text (UCS-2: accents, no transliteration).
    roomy = settings(sms_max_segments=10)
    before = by_key(preview(renderer=RENDERER, directory=directory, settings=roomy))
    after = by_key(preview(renderer=RENDERER, directory=asking, settings=roomy))

    request = "Responda OK para confirmar o recebimento."
    opened = (UpdateKind.OPENED, "management", ChannelName.SMS, "pt-BR")
    assert after[opened].message.body == f"{before[opened].message.body}\n{request}"
    after_sms, before_sms = after[opened].sms, before[opened].sms
    assert after_sms is not None and before_sms is not None
    assert after_sms.measure.length > before_sms.measure.length
    update = (UpdateKind.UPDATE, "management", ChannelName.SMS, "pt-BR")
    assert after[update].message.body == before[update].message.body
    users = (UpdateKind.OPENED, "users", ChannelName.SMS, "pt-BR")
    assert after[users].message.body == before[users].message.body
