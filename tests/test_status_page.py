"""The public status page's content: what is public, its wording, escaping, and the Atom feed.

Plain calls on rows, and on a real SQLite database where the question is what the store lets
through (timeline notes must never reach the page).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree

import pytest
from sqlalchemy.orm import Session

from outage_notify.api.status_page import render_html
from outage_notify.contacts.components import load_catalogue
from outage_notify.core.models import Phase, Severity, UpdateKind
from outage_notify.incidents import lifecycle
from outage_notify.messages.public_words import PublicWords
from outage_notify.status.feed import ATOM, atom_feed
from outage_notify.status.page import (
    StatusView,
    build_view,
    feed_entries,
    is_public,
    page_locale,
)
from outage_notify.status.translations import duration_text, page_text
from outage_notify.store import incidents as incident_store
from outage_notify.store import status as status_store
from outage_notify.store.engine import create_session_factory, create_store_engine
from outage_notify.store.mappers import incident_state
from outage_notify.store.tables import IncidentRow, TimelineRow, UpdateRow

ROOT = Path(__file__).resolve().parents[1]
WORDS = PublicWords.load(ROOT / "templates")
COMPONENTS = load_catalogue(ROOT / "contacts" / "components.yaml")
ZONE = "America/Sao_Paulo"  # UTC-3: 16:25 UTC is 13:25 on the page
NOW = datetime(2025, 11, 27, 16, 25, tzinfo=UTC)
OPENED = datetime(2025, 11, 27, 16, 5, tzinfo=UTC)
ALTERNATIVES = ["Call the helpdesk: +1 555 0100", "Slack: #it-help"]
FEED = "https://it.example.org/status/feed.atom"
NOTE = "root cause: expired cert on mx1.internal, ask Bob"
FINDING = "queue at 48k messages on relay-02"
STAFF_ONLY = "management only: vendor contract penalties apply"


def incident(**values: object) -> IncidentRow:
    fields: dict[str, object] = {
        "id": 7,
        "service": "email",
        "title": "Mail server mx1 not accepting connections",
        "summary": "alert description with runbook https://wiki.internal/mx1",
        "severity": "critical",
        "phase": "fixing",
        "components": ["inbound", "webmail"],
        "eta": None,
        "next_update_at": None,
        "opened_at": OPENED,
        "resolved_at": None,
        "public_title": "",
    }
    fields.update(values)
    return IncidentRow(**fields)


def update(
    id: int, *, message: str, kind: str = "update", at: datetime = NOW, **values: object
) -> UpdateRow:
    fields: dict[str, object] = {
        "id": id,
        "incident_id": 7,
        "kind": kind,
        "message": message,
        "phase": "fixing",
        "severity": "critical",
        "components": ["inbound"],
        "eta": None,
        "next_update_at": None,
        "audiences": None,
        "created_at": at,
        "created_by": "alice-staff",
        # Staff text for everyone, as a staff update without `audiences` is stored.
        "public": True,
        "phase_change": kind in ("opened", "resolved", "reopened"),
    }
    fields.update(values)
    return UpdateRow(**fields)


def view(
    open_incidents: Sequence[IncidentRow],
    updates: Sequence[UpdateRow] = (),
    resolved: Sequence[IncidentRow] = (),
    locale: str = "en",
) -> StatusView:
    return build_view(
        open_incidents=open_incidents,
        updates=list(updates),
        resolved=list(resolved),
        organisation="Example Corp",
        alternatives=ALTERNATIVES,
        locale=locale,
        now=NOW,
        words=WORDS,
        catalogue=COMPONENTS,
    )


def html(status: StatusView) -> str:
    return render_html(page_text(status, timezone=ZONE, feed_url=FEED))


def test_no_open_incident_means_email_ok_and_the_page_says_so() -> None:
    status = view([])
    assert status.email_ok and status.current is None
    page = html(status)
    assert "Email is working" in page
    # Issue 14: "How to reach IT meanwhile" while nothing is down says something is.
    assert status.alternatives == []
    assert not any(alternative in page for alternative in ALTERNATIVES)
    assert "How to reach IT meanwhile" not in page
    assert "No incidents recently." in page
    assert '<meta http-equiv="refresh" content="60">' in page
    assert "<script" not in page


def test_the_newest_update_sent_to_everyone_is_shown_not_staff_only_ones() -> None:
    updates = [
        update(1, kind="opened", message="", at=OPENED),
        update(2, message="Moving mailboxes to the standby server", at=NOW - timedelta(minutes=5)),
        update(3, message=STAFF_ONLY, at=NOW, audiences=["management"]),
    ]
    status = view([incident()], updates)
    assert status.current is not None and status.current.latest_update is not None
    assert status.current.latest_update.message == "Moving mailboxes to the standby server"
    assert status.current.latest_update.kind is UpdateKind.UPDATE
    assert not is_public(updates[2])
    page = html(status)
    assert "Moving mailboxes to the standby server" in page
    assert STAFF_ONLY not in page and STAFF_ONLY not in status.model_dump_json()


def test_every_public_update_is_listed_newest_first_not_only_the_newest() -> None:
    updates = [
        update(1, kind="opened", message="", at=OPENED),
        update(2, message="Moving mailboxes to the standby server", at=NOW - timedelta(minutes=9)),
        update(3, message=STAFF_ONLY, at=NOW - timedelta(minutes=5), audiences=["management"]),
        update(4, message="Small correction.", at=NOW - timedelta(minutes=1)),
    ]
    status = view([incident()], updates)
    assert status.current is not None
    assert [(u.kind, u.message) for u in status.current.updates] == [
        (UpdateKind.UPDATE, "Small correction."),
        (UpdateKind.UPDATE, "Moving mailboxes to the standby server"),
        (UpdateKind.OPENED, ""),
    ]
    assert status.current.latest_update == status.current.updates[0]
    page = html(status)
    newest, older, first = (
        page.index("Small correction."),
        page.index("Moving mailboxes to the standby server"),
        page.index("Problem reported"),
    )
    assert newest < older < first
    assert STAFF_ONLY not in page
    assert all(alternative in page for alternative in ALTERNATIVES)


def test_every_affected_service_is_shown_when_several_incidents_are_open() -> None:
    mail = incident(id=7, components=["inbound"], opened_at=OPENED)
    web = incident(
        id=8, components=["webmail"], opened_at=OPENED + timedelta(minutes=3), phase="identified"
    )
    updates = [
        update(1, kind="opened", message="Inbound mail bounces", at=OPENED),
        update(2, kind="opened", message="Webmail is down", at=OPENED, incident_id=8),
    ]
    status = view([mail, web], updates)
    assert [i.id for i in status.incidents] == [8, 7]
    assert status.current is not None and status.current.id == 8
    assert [u.message for u in status.incidents[1].updates] == ["Inbound mail bounces"]
    page = html(status)
    assert "receiving email" in page and "webmail" in page
    assert "Inbound mail bounces" in page and "Webmail is down" in page
    assert page.count('class="card incident-card"') == 2


def test_json_holds_no_internal_field() -> None:
    status = view([incident(eta=NOW + timedelta(hours=1))], [update(1, message="on it")])
    data = status.model_dump(mode="json")
    assert set(data) == {
        "organisation",
        "lang",
        "email_ok",
        "current",
        "incidents",
        "alternatives",
        "past",
        "maintenance",
        "generated_at",
    }
    assert data["incidents"] == [data["current"]]
    assert set(data["current"]) == {
        "id",
        "title",
        "description",
        "phase",
        "components",
        "since",
        "eta",
        "next_update_at",
        "latest_update",
        "updates",
    }
    assert set(data["current"]["latest_update"]) == {"at", "kind", "message"}
    text = status.model_dump_json()
    for internal in ("critical", "alice-staff", "wiki.internal", "severity", "mx1"):
        assert internal not in text


def test_open_incident_from_the_store_shows_its_public_update_and_never_notes(
    sqlite_url: str,
) -> None:
    engine = create_store_engine(sqlite_url)
    sessions = create_session_factory(engine)
    with sessions() as session, session.begin():
        decision = lifecycle.declare(
            title="Email down",
            summary="Users cannot send",
            severity=Severity.MAJOR,
            components=["outbound"],
            eta=NOW + timedelta(hours=2),
            actor="alice",
            now=OPENED,
            cadence_minutes={Severity.MAJOR: 60},
        )
        row, _ = incident_store.save_decision(session, decision, row=None, now=OPENED, actor="a")
        assert row is not None
        for kind, text in (("note", NOTE), ("finding", FINDING)):
            session.add(TimelineRow(incident_id=row.id, at=NOW, actor="bob", kind=kind, text=text))
        state = incident_state(row)
        for message, audiences in (("Relay replaced; mail is queued", None), (STAFF_ONLY, ("m",))):
            decision = lifecycle.staff_update(
                state,
                message=message,
                phase=Phase.FIXING,
                eta=None,
                audiences=audiences,
                actor="alice",
                now=NOW,
                cadence_minutes={Severity.MAJOR: 60},
            )
            row, _ = incident_store.save_decision(session, decision, row=row, now=NOW, actor="a")
            assert row is not None
            state = incident_state(row)
    with sessions() as session:
        status = load(session)
        entries = feed_entries(
            status_store.recent_updates(session, limit=100), words=WORDS, locale="en"
        )
    engine.dispose()

    assert not status.email_ok and status.current is not None
    assert status.current.phase is Phase.FIXING
    assert status.current.latest_update is not None
    assert status.current.latest_update.message == "Relay replaced; mail is queued"
    page = html(status)
    feed = atom_feed(
        entries,
        organisation="Example Corp",
        page_url="https://it.example.org/status",
        feed_url=FEED,
        timezone=ZONE,
        locale="en",
        now=NOW,
    ).decode()
    for published in (page, status.model_dump_json(), feed):
        assert "Relay replaced; mail is queued" in published
        for internal in (NOTE, FINDING, STAFF_ONLY):
            assert internal not in published
    assert "fix in progress" in page and "sending email" in page
    assert "Expected to work again by 15:25." in page


def load(session: Session) -> StatusView:
    opened = status_store.open_incidents(session)
    return build_view(
        open_incidents=opened,
        updates=status_store.latest_updates(session, opened[0].id, limit=50) if opened else [],
        resolved=status_store.resolved_incidents(session, limit=5),
        organisation="Example Corp",
        alternatives=ALTERNATIVES,
        locale="en",
        now=NOW,
        words=WORDS,
        catalogue=COMPONENTS,
    )


@pytest.mark.parametrize(
    ("eta", "next_update", "locale", "expected"),
    [
        (NOW + timedelta(hours=1, minutes=5), None, "en", "Expected to work again by 14:30."),
        (None, NOW + timedelta(minutes=30), "en", "No fix time yet; next update by 13:55."),
        (None, None, "en", "No fix time yet; we will post an update as soon as we know more."),
        (
            NOW - timedelta(minutes=10),
            NOW + timedelta(minutes=20),
            "en",
            "We expected a fix by 13:15; it is taking longer. Next update by 13:45.",
        ),
        (NOW + timedelta(days=1), None, "en", "Expected to work again by Nov 28, 13:25."),
        (NOW + timedelta(hours=1, minutes=5), None, "pt-BR", "Previsão de normalização: 14:30."),
        (None, NOW + timedelta(minutes=30), "pt-BR", "próxima atualização até 13:55."),
    ],
)
def test_eta_or_next_update_is_worded_in_local_time(
    eta: datetime | None, next_update: datetime | None, locale: str, expected: str
) -> None:
    status = view([incident(eta=eta, next_update_at=next_update)], locale=locale)
    assert expected in html(status)


def test_portuguese_page_reuses_the_component_names_of_the_messages() -> None:
    page = html(view([incident(phase="identified")], locale="pt-BR"))
    assert '<html lang="pt-BR">' in page
    assert "recebimento de e-mails, webmail" in page
    assert "causa identificada" in page
    assert "O e-mail não está funcionando direito" in page


@pytest.mark.parametrize(
    "title", ["<script>alert(1)</script>", "<!channel> mail down", '"><img src=x onerror=alert(1)>']
)
def test_hostile_titles_are_escaped(title: str) -> None:
    # Staff's public title and message are shown; they are escaped like anything else.
    resolved = incident(id=3, public_title=title, phase="resolved", resolved_at=OPENED)
    page = html(view([incident(public_title=title)], [update(1, message=title)], [resolved]))
    assert "<script>" not in page and "<!channel>" not in page and "<img" not in page
    escaped = title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert escaped.replace('"', "&#34;") in page


def test_control_and_bidi_characters_are_dropped_from_the_page() -> None:
    page = html(view([incident(public_title="mail\u202e down\x07")]))
    assert "mail down" in page and "\u202e" not in page and "\x07" not in page


def test_past_incidents_show_how_long_they_lasted_newest_first() -> None:
    older = incident(
        id=1,
        public_title="Webmail slow",
        phase="resolved",
        opened_at=OPENED - timedelta(days=3),
        resolved_at=OPENED - timedelta(days=3) + timedelta(minutes=45),
    )
    newer = incident(
        id=2,
        public_title="Inbound stuck",
        phase="resolved",
        opened_at=OPENED - timedelta(days=1),
        resolved_at=OPENED - timedelta(days=1) + timedelta(hours=2, minutes=5),
    )
    status = view([], resolved=[older, newer])
    assert [p.title for p in status.past] == ["Inbound stuck", "Webmail slow"]
    assert [p.duration_seconds for p in status.past] == [7500, 2700]
    page = html(status)
    assert "lasted 2 h 5 min" in page and "lasted 45 min" in page
    assert page.index("Inbound stuck") < page.index("Webmail slow")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(20, "1 min"), (2700, "45 min"), (3600, "1 h"), (7500, "2 h 5 min"), (97200, "1 d 3 h")],
)
def test_duration_text(seconds: int, text: str) -> None:
    assert duration_text(seconds) == text


@pytest.mark.parametrize(
    ("lang", "default", "locale"),
    [
        (None, "en", "en"),
        ("pt-BR", "en", "pt-BR"),
        ("pt", "en", "pt-BR"),
        ("PT-pt", "en", "pt-BR"),
        ("de", "en", "en"),
        (None, "pt-BR", "pt-BR"),
        ("en", "pt-BR", "en"),
        ("xx", "fr", "en"),
        ("es-AR", "en", "es"),
    ],
)
def test_page_locale(lang: str | None, default: str, locale: str) -> None:
    assert page_locale(lang, default=default, known=("en", "es", "pt-BR")) == locale


def parse(body: bytes) -> ElementTree.Element:
    """Parse our own feed: raises on anything that is not well-formed XML."""
    return ElementTree.fromstring(body)  # noqa: S314 - the document under test, not input


def test_feed_is_well_formed_atom_with_public_entries_newest_first() -> None:
    hostile = incident(public_title="<!channel> mail \x0b down & out\uffff")
    rows = [
        (update(1, kind="opened", message="", at=OPENED), hostile),
        (update(2, message="Disk replaced", at=NOW, eta=NOW + timedelta(hours=1)), hostile),
        (update(3, message=STAFF_ONLY, at=NOW, audiences=["management"]), hostile),
    ]
    body = atom_feed(
        feed_entries(rows, words=WORDS, locale="en"),
        organisation="Example Corp",
        page_url="https://it.example.org/status",
        feed_url=FEED,
        timezone=ZONE,
        locale="en",
        now=NOW,
    )
    root = parse(body)
    ns = {"a": ATOM}
    assert root.tag == f"{{{ATOM}}}feed"
    assert root.findtext("a:id", namespaces=ns) == FEED
    assert root.findtext("a:title", namespaces=ns) == "Example Corp: email status updates"
    assert root.findtext("a:updated", namespaces=ns) == "2025-11-27T16:25:00+00:00"
    assert root.findtext("a:author/a:name", namespaces=ns) == "Example Corp"
    entries = root.findall("a:entry", ns)
    assert [e.findtext("a:id", namespaces=ns) for e in entries] == [
        f"{FEED}#update-2",
        f"{FEED}#update-1",
    ]
    for entry in entries:
        for tag in ("id", "title", "updated", "content"):
            assert entry.findtext(f"a:{tag}", namespaces=ns), tag
    newest = entries[0]
    assert newest.findtext("a:title", namespaces=ns) == "<!channel> mail  down & out: Update"
    content = newest.findtext("a:content", namespaces=ns) or ""
    assert "Disk replaced" in content and "Expected to work again by 14:25." in content
    assert STAFF_ONLY not in body.decode()
    assert b"<!channel>" not in body  # escaped in the XML text, restored by the parser


def test_empty_feed_is_still_valid_atom() -> None:
    body = atom_feed(
        [],
        organisation="Example Corp",
        page_url="https://it.example.org/status",
        feed_url=FEED,
        timezone=ZONE,
        locale="pt-BR",
        now=NOW,
    )
    root = parse(body)
    assert root.findtext(f"{{{ATOM}}}updated") == "2025-11-27T16:25:00+00:00"
    assert root.findall(f"{{{ATOM}}}entry") == []


def test_a_reminder_to_the_lead_is_never_public() -> None:
    from outage_notify.status.page import is_public
    from outage_notify.store.tables import UpdateRow

    reminder = UpdateRow(kind="reminder", audiences=None, recipients=["ana.souza"])
    public = UpdateRow(kind="update", audiences=None, recipients=None, public=True)
    assert not is_public(reminder) and is_public(public)
