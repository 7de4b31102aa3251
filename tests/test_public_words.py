"""Nothing internal is public: the status page's words come from staff and `public.yaml`, never
from alerts; users' messages name an unknown component label as the service.

Plain calls on rows; the end-to-end proof through every webhook source is
tests/e2e/test_public_text.py.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outage_notify.api.status_page import render_html
from outage_notify.contacts.components import load_catalogue
from outage_notify.core.errors import ConfigError
from outage_notify.core.models import ChannelName, Phase, Severity, UpdateKind
from outage_notify.messages.public_words import PublicWords
from outage_notify.messages.rendering import IncidentView, MessageContext, Renderer
from outage_notify.status.feed import atom_feed
from outage_notify.status.page import StatusView, build_view, feed_entries
from outage_notify.status.translations import page_text
from outage_notify.store.tables import IncidentRow, UpdateRow

ROOT = Path(__file__).resolve().parents[1]
WORDS = PublicWords.load(ROOT / "templates")
COMPONENTS = load_catalogue(ROOT / "contacts" / "components.yaml")
NOW = datetime(2025, 11, 27, 16, 25, tzinfo=UTC)
OPENED = NOW - timedelta(minutes=20)
ALERT_TITLE = "Mail queue stuck on mx1.corp.local (10.0.0.5); runbook https://wiki.corp/rb/42"
AUTOMATIC = "now also affected: db-primary-10.0.0.7"
INTERNAL = ("mx1", "corp", "10.0.0", "db-primary", "runbook")


def incident(**values: object) -> IncidentRow:
    fields: dict[str, object] = {
        "id": 7,
        "service": "email",
        "title": ALERT_TITLE,
        "public_title": "",
        "summary": "Queue on mx1.corp.local at 10.0.0.5 is full",
        "severity": "critical",
        "phase": "detected",
        "components": ["inbound", "db-primary-10.0.0.7"],
        "eta": None,
        "next_update_at": None,
        "opened_at": OPENED,
        "resolved_at": None,
    }
    fields.update(values)
    return IncidentRow(**fields)


def update(id: int, message: str, *, public: bool, **values: object) -> UpdateRow:
    fields: dict[str, object] = {
        "id": id,
        "incident_id": 7,
        "kind": "update",
        "message": message,
        "phase": "detected",
        "severity": "critical",
        "components": ["inbound"],
        "eta": None,
        "next_update_at": None,
        "audiences": None,
        "recipients": None,
        "created_at": OPENED + timedelta(minutes=id),
        "created_by": "alertmanager",
        "public": public,
        "phase_change": False,
    }
    fields.update(values)
    return UpdateRow(**fields)


def view(row: IncidentRow, updates: list[UpdateRow], locale: str = "en") -> StatusView:
    return build_view(
        open_incidents=[row],
        updates=updates,
        resolved=[],
        organisation="Example Corp",
        alternatives=["Call +1 555 0100"],
        locale=locale,
        now=NOW,
        words=WORDS,
        catalogue=COMPONENTS,
    )


def feed(row: IncidentRow, updates: list[UpdateRow]) -> bytes:
    return atom_feed(
        feed_entries([(u, row) for u in updates], words=WORDS, locale="en"),
        organisation="Example Corp",
        page_url="https://it.example.org/status",
        feed_url="https://it.example.org/status/feed.atom",
        timezone="America/Sao_Paulo",
        locale="en",
        now=NOW,
    )


OPENED_BY_ALERT = update(1, "", public=False, kind="opened", phase_change=True)


def test_alert_title_and_automatic_update_text_are_not_public() -> None:
    updates = [OPENED_BY_ALERT, update(2, AUTOMATIC, public=False)]
    status = view(incident(), updates)
    assert status.current is not None
    assert status.current.title == "Email is not working properly"
    assert status.current.description.startswith("Some email services")
    # The automatic update is not listed; the opening is, by its kind alone.
    assert status.current.latest_update is not None
    assert status.current.latest_update.kind is UpdateKind.OPENED
    assert status.current.latest_update.message == ""
    page = render_html(page_text(status, timezone="America/Sao_Paulo", feed_url="/f"))
    assert "Some email services are not working as they should." in page
    published = status.model_dump_json() + feed(incident(), updates).decode() + page
    for internal in INTERNAL:
        assert internal not in published, internal


def test_unknown_component_labels_are_one_entry_named_as_the_service() -> None:
    row = incident(components=["inbound", "db-primary-10.0.0.7", "mx1.corp.local"])
    english = view(row, [])
    assert english.current is not None
    assert [c.model_dump() for c in english.current.components] == [
        {"id": "inbound", "name": "receiving email"},
        {"id": "other", "name": "email"},
    ]
    portuguese = view(row, [], locale="pt-BR")
    assert portuguese.current is not None
    assert [c.name for c in portuguese.current.components] == ["recebimento de e-mails", "e-mail"]
    assert portuguese.current.title == "O e-mail não está funcionando direito"


def test_one_known_component_gives_its_own_public_words() -> None:
    status = view(incident(components=["webmail"]), [], locale="pt-BR")
    assert status.current is not None
    assert status.current.title == "O webmail não está funcionando"


def test_a_service_label_not_in_public_yaml_is_shown_as_the_default() -> None:
    status = view(incident(service="mx1.corp.local", components=["db-primary-10.0.0.7"]), [])
    assert status.current is not None
    assert status.current.title == "Email is not working properly"
    assert [c.name for c in status.current.components] == ["email"]
    assert "mx1" not in status.model_dump_json()


def test_staff_public_title_overrides_the_public_words() -> None:
    status = view(incident(public_title="Outgoing mail is delayed"), [])
    assert status.current is not None
    assert status.current.title == "Outgoing mail is delayed"
    assert status.current.description == ""
    entries = feed(incident(public_title="Outgoing mail is delayed"), [OPENED_BY_ALERT])
    assert b"Outgoing mail is delayed: Problem reported" in entries


def test_staff_text_is_public_unless_staff_said_otherwise() -> None:
    public = update(2, "Moving mailboxes to the standby server", public=True)
    private = update(3, "Vendor says mx1 disk array is gone", public=False, created_by="alice")
    status = view(incident(), [OPENED_BY_ALERT, public, private])
    assert status.current is not None and status.current.latest_update is not None
    assert status.current.latest_update.message == "Moving mailboxes to the standby server"
    body = feed(incident(), [OPENED_BY_ALERT, public, private])
    assert b"Moving mailboxes" in body and b"Vendor says" not in body


@pytest.mark.parametrize("bad", ["\uffff", "\ufffe", "\x0b", "\x0c", "\x1f", "\ud800", "\x00"])
def test_feed_and_json_carry_no_character_xml_or_utf8_cannot(bad: str) -> None:
    row = incident(public_title=f"Mail{bad} delayed")
    updates = [OPENED_BY_ALERT, update(2, f"Disk{bad} replaced", public=True)]
    body = feed(row, updates)
    root = ElementTree.fromstring(body)  # noqa: S314 - our own output under test
    assert root is not None
    assert bad.encode("utf-8", "surrogatepass") not in body
    status = view(row, updates)
    text = status.model_dump_json()
    assert bad not in text and json.loads(text.encode("utf-8"))["current"]["title"] == (
        "Mail delayed"
    )


def test_public_words_fall_back_by_language_then_to_the_pages_own_words(tmp_path: Path) -> None:
    assert WORDS.incident("email", [], locale="pt-PT").title.startswith("O e-mail")
    assert WORDS.incident("email", [], locale="de").title == "Email is not working properly"
    # A locale folder with a catalog but no public.yaml: the page's own words, translated.
    (tmp_path / "pt-BR").mkdir()
    shutil.copytree(
        ROOT / "templates" / "pt-BR" / "LC_MESSAGES", tmp_path / "pt-BR" / "LC_MESSAGES"
    )
    empty = PublicWords.load(tmp_path)
    assert empty.incident("email", ["x"], locale="pt-BR").title == (
        "O e-mail não está funcionando direito"
    )
    assert empty.service_name("email", locale="en") == "email"


def test_a_broken_public_yaml_stops_the_start(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "public.yaml").write_text("services:\n  email:\n    titel: typo\n")
    with pytest.raises(ConfigError, match=r"public\.yaml"):
        PublicWords.load(tmp_path)


@pytest.mark.parametrize(("locale", "word"), [("en", "email"), ("pt-BR", "e-mail")])
@pytest.mark.parametrize("channel", list(ChannelName))
def test_users_messages_name_an_unknown_component_as_the_service(
    channel: ChannelName, locale: str, word: str
) -> None:
    incident_view = IncidentView(
        id=7,
        title=ALERT_TITLE,
        summary="",
        severity=Severity.MAJOR,
        phase=Phase.DETECTED,
        components=("db-primary-10.0.0.7", "mx1.corp.local", "webmail"),
        opened_at=OPENED,
        service="email",
    )
    message = Renderer(ROOT / "templates", components=COMPONENTS).render(
        channel=channel,
        context=MessageContext(
            kind=UpdateKind.OPENED,
            audience="users",
            locale=locale,
            incident=incident_view,
            message="",
            alternatives=("Call +1 555 0100",),
            organisation="Example Corp",
            status_page_url="",
            timezone="America/Sao_Paulo",
            now=NOW,
        ),
    )
    assert "db-primary" not in message.body and "mx1" not in message.body
    # Two unknown labels are one mention of the service.
    assert f"{word}, webmail" in message.body or f"webmail, {word}" in message.body


def test_one_renderer_names_an_unknown_label_as_each_incidents_own_service(
    tmp_path: Path,
) -> None:
    """The `component` filter remembers the names it gave: per service, not per label."""
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    public = templates / "en" / "public.yaml"
    public.write_text(
        public.read_text().replace("services:\n", "services:\n  chat:\n    name: team chat\n", 1)
    )
    renderer = Renderer(templates, components=COMPONENTS)

    def body(service: str) -> str:
        incident_view = IncidentView(
            id=7, title="t", summary="", severity=Severity.MAJOR, phase=Phase.DETECTED,
            components=("db-primary-10.0.0.7",), opened_at=OPENED, service=service,
        )  # fmt: skip
        context = MessageContext(
            kind=UpdateKind.OPENED, audience="users", locale="en", incident=incident_view,
            message="", alternatives=(), organisation="Example Corp", status_page_url="",
            timezone="America/Sao_Paulo", now=NOW,
        )  # fmt: skip
        return renderer.render(channel=ChannelName.SLACK, context=context).body

    assert "Not working right now: team chat." in body("chat")
    assert "Not working right now: email." in body("email")


# Any text at all, surrogates and noncharacters included: what a webhook or a staff member
# could send. Examples are plain calls, so many are cheap.
ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=60)
UNKNOWN_LABEL = ANY_TEXT.filter(lambda c: not COMPONENTS.known(c))
UNLISTED_SERVICE = ANY_TEXT.filter(lambda s: s not in WORDS.by_locale["en"].services)


def published(row: IncidentRow, updates: list[UpdateRow], locale: str) -> tuple[str, bytes]:
    status = view(row, updates, locale=locale)
    return status.model_dump_json(exclude={"generated_at"}), feed(row, updates)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(
    title=ANY_TEXT,
    summary=ANY_TEXT,
    service=UNLISTED_SERVICE,
    labels=st.lists(UNKNOWN_LABEL, min_size=1, max_size=4),
    automatic=ANY_TEXT,
    locale=st.sampled_from(["en", "pt-BR"]),
)
def test_alert_text_has_no_influence_on_any_public_surface(
    title: str, summary: str, service: str, labels: list[str], automatic: str, locale: str
) -> None:
    """Whatever an alert says, the page, the JSON and the feed are the same as for a bland one:
    no byte of it can leak, whatever its content."""
    hostile = incident(
        title=title, summary=summary, service=service, components=["inbound", *labels]
    )
    bland = incident(title="t", summary="", service="unlisted", components=["inbound", "x"])
    updates = [OPENED_BY_ALERT, update(2, automatic, public=False)]
    assert published(hostile, updates, locale) == published(bland, updates, locale)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(title=ANY_TEXT, message=ANY_TEXT)
def test_any_staff_text_gives_a_well_formed_feed_and_utf8_json(title: str, message: str) -> None:
    row = incident(public_title=title)
    json_text, body = published(row, [OPENED_BY_ALERT, update(2, message, public=True)], "en")
    ElementTree.fromstring(body)  # noqa: S314 - our own output under test
    json.loads(json_text.encode("utf-8"))
