"""Every text a person reads, in every shipped locale, in that locale's language (issue 14,
items 4 and 5): the message templates, the lead's reminders and notices, the holding message,
the alternatives per audience. Locales are discovered from templates/, never listed here."""

from __future__ import annotations

import re
import shutil
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from outage_notify.commands.parsing import CommandError, parse
from outage_notify.contacts.alternatives import alternatives_for
from outage_notify.contacts.directory import load_directory
from outage_notify.core.models import ChannelName, IncidentState, Phase, Severity, UpdateKind
from outage_notify.incidents.chasing import Unreached, unreached_message
from outage_notify.incidents.reminders import HOLDING_ACTOR, HOLDING_MESSAGE, due_reminder
from outage_notify.incidents.update_messages import reader_message, renderer_for
from outage_notify.messages.budget import for_directory
from outage_notify.messages.catalogs import Words, catalog_path, locales
from outage_notify.messages.rendering import IncidentView, MessageContext, Renderer
from outage_notify.store.tables import EventRow, IncidentRow, UpdateRow
from outage_notify.worker.event_steps import notice_text
from tests.fixtures.settings import build_settings

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
# `renderer_for`'s renders take the readers' zone; "" is the organisation's.
ORGANISATION_ZONE = ""
SOURCE = ROOT / "src" / "outage_notify"
LOCALES = locales(TEMPLATES)
FOREIGN = [locale for locale in LOCALES if not locale.startswith("en")]
NOW = datetime(2026, 11, 27, 18, 30, tzinfo=UTC)
# Words an English sentence can hardly do without and neither Portuguese nor Spanish uses.
ENGLISH = frozenset(
    {
        "the", "is", "are", "and", "not", "working", "please", "again", "since", "reach", "our",
        "you", "your", "with", "from", "call", "them", "yet", "update", "new", "email", "down",
        "fix", "hold", "by", "will", "we", "has", "have", "been", "this", "these", "people",
        "when", "expected", "time", "next", "still", "sent", "arrive", "late", "meanwhile",
        "reminder", "incident", "alert",
    }
)  # fmt: skip
# Values a deployment or monitoring supplies: never translated, so never counted.
ALERT_TITLE = "ALERTTITLE"
SUPPLIED = ("Example Corp", ALERT_TITLE, "https://status.example.com", "GET /api", "POST /api")


def english_words(text: str) -> set[str]:
    for value in SUPPLIED:
        text = text.replace(value, " ")
    text = re.sub(r"/api/\S+", " ", text)
    return {word for word in re.findall(r"[a-z]+", text.lower()) if word in ENGLISH}


def contexts(kind: UpdateKind, audience: str, locale: str) -> list[MessageContext]:
    opened = NOW - timedelta(minutes=20)
    incident = IncidentView(
        id=7, title=ALERT_TITLE, summary="", severity=Severity.MAJOR,
        phase=Phase.RESOLVED if kind is UpdateKind.RESOLVED else Phase.FIXING,
        components=("inbound", "webmail"), opened_at=opened,
        eta=NOW + timedelta(hours=1), next_update_at=NOW + timedelta(minutes=30),
        resolved_at=NOW if kind is UpdateKind.RESOLVED else None,
    )  # fmt: skip
    words = Words.of(TEMPLATES, locale)
    message = {
        UpdateKind.REMINDER: due_reminder(
            IncidentState(service="email", title="t", severity=Severity.MAJOR,
                          phase=Phase.FIXING, components=["inbound"], opened_at=opened,
                          eta=NOW - timedelta(minutes=2)),
            last_update_at=None, now=NOW, timezone="UTC", words=words,
        ),
        UpdateKind.UNREACHED: unreached_message([Unreached("Ana", "management", "+5511")]),
        UpdateKind.EVENT_FAILED: notice_text(
            EventRow(id=3, source="alertmanager", service="mx"), "bad payload", words
        ),
        UpdateKind.MANY_ALERTS: "alertmanager",
        UpdateKind.UPDATE: words(HOLDING_MESSAGE),
    }.get(kind, "")  # fmt: skip
    text = getattr(message, "text", message)
    assert isinstance(text, str)
    base = MessageContext(
        kind=kind, audience=audience, locale=locale, incident=incident, message=text,
        alternatives=(), organisation="Example Corp",
        status_page_url="https://status.example.com", timezone="UTC", now=NOW,
        acknowledge=kind is UpdateKind.OPENED,
    )  # fmt: skip
    two = unreached_message(
        [Unreached("Ana", "management", "+5511"), Unreached("Bia", "users", "+5512")]
    )
    later = replace(incident, eta=None, components=("outbound",))
    extra = [replace(base, message=two)] if kind is UpdateKind.UNREACHED else []
    return [base, replace(base, incident=later), *extra]


def test_every_locale_has_a_catalog_and_every_template_en_has() -> None:
    assert {"en", "pt-BR", "es"} <= set(LOCALES)
    english = {p.relative_to(TEMPLATES / "en") for p in (TEMPLATES / "en").rglob("*.j2")}
    for locale in LOCALES:
        assert catalog_path(TEMPLATES, locale).is_file(), locale
        own = {p.relative_to(TEMPLATES / locale) for p in (TEMPLATES / locale).rglob("*.j2")}
        assert english - own == set(), locale
        assert (TEMPLATES / locale / "public.yaml").is_file(), locale


def test_every_msgid_of_the_code_and_templates_is_translated_in_every_catalog() -> None:
    keywords = {"words": None, "N_": None, "plural": (1, 2), "ngettext": (1, 2)}
    method_map = [("**.py", "python")]
    # Only modules that speak through the catalogs (`words` is a common local name elsewhere).
    found = {
        message[2]
        for message in extract_from_dir(SOURCE, method_map, keywords=keywords)
        if "outage_notify.messages.catalogs import" in (SOURCE / message[0]).read_text("utf-8")
    }
    found |= {
        message[2]
        for message in extract_from_dir(
            TEMPLATES, [("**.j2", "jinja2")], keywords=keywords, options_map={}
        )
    }
    ids = {m if isinstance(m, str) else m[0] for m in found}
    assert "We are still working on it." in ids and "Call them by phone." in ids
    for locale in FOREIGN:
        with catalog_path(TEMPLATES, locale).open("rb") as source:
            catalog = read_po(source)
        missing = [i for i in ids if i not in catalog or not catalog[i].string]
        assert missing == [], (locale, missing)


@pytest.mark.parametrize("locale", LOCALES)
def test_everything_renders_in_every_locale_without_english_fragments(locale: str) -> None:
    renderer = Renderer(TEMPLATES)
    for kind in UpdateKind:
        audiences = ("management", "users", "partners", "default")
        for audience in audiences:
            for channel in ChannelName:
                for context in contexts(kind, audience, locale):
                    message = renderer.render(channel=channel, context=context)
                    # Served by the locale's own file, not an English fallback.
                    path = renderer.candidates(
                        channel=channel, kind=kind, audience=audience, locale=locale
                    )
                    assert any(p.is_file() and p.parent.parent.name == locale for p in path)
                    text = f"{message.title}\n{message.body}"
                    if locale in FOREIGN:
                        leaked = english_words(text)
                        assert not leaked, (kind, audience, channel, leaked, text)


def test_a_new_locale_is_a_folder_no_code(tmp_path: Path) -> None:
    """Adding a language: copy a locale folder and translate; nothing is listed in code."""
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    shutil.copytree(templates / "es", templates / "es-MX")
    assert "es-MX" in Renderer(templates).locales
    contacts = tmp_path / "contacts"
    shutil.copytree(ROOT / "contacts", contacts)
    users = (contacts / "management.yaml").read_text(encoding="utf-8")
    (contacts / "management.yaml").write_text(
        users.replace("locale: en", "locale: es-MX"), encoding="utf-8"
    )
    directory = load_directory(contacts, locales=frozenset(Renderer(templates).locales))
    assert any(c.locale == "es-MX" for a in directory.audiences.values() for c in a.contacts)
    assert Words.of(templates, "es-MX")(HOLDING_MESSAGE) == "Seguimos trabajando en ello."


# --- reproduction 4: language leaks and grammar -------------------------------------------


@pytest.mark.parametrize("locale", FOREIGN)
def test_repro4_the_lead_reminder_is_in_the_lead_language(locale: str) -> None:
    state = IncidentState(
        service="email", title="Mail down", severity=Severity.MAJOR, phase=Phase.FIXING,
        components=["inbound"], opened_at=NOW - timedelta(hours=1),
        eta=NOW - timedelta(minutes=2),
    )  # fmt: skip
    reminder = due_reminder(
        state, last_update_at=None, now=NOW, timezone="UTC", words=Words.of(TEMPLATES, locale)
    )
    assert reminder is not None and "18:28" in reminder.text
    assert "has passed with no update" not in reminder.text
    assert not english_words(reminder.text), reminder.text


@pytest.mark.parametrize("locale", FOREIGN)
def test_repro4_the_holding_message_is_in_each_reader_language(locale: str) -> None:
    settings = build_settings(templates_dir=TEMPLATES)
    update = UpdateRow(message=HOLDING_MESSAGE, created_by=HOLDING_ACTOR, kind="update")
    text = reader_message(settings, update, locale)
    assert text != "We are still working on it." and not english_words(text)
    staff = UpdateRow(message="We are still working on it.", created_by="alice", kind="update")
    assert reader_message(settings, staff, locale) == "We are still working on it."


@pytest.mark.parametrize("locale", FOREIGN)
def test_repro4_the_failed_event_notice_is_in_the_lead_language(locale: str) -> None:
    event = EventRow(id=3, source="alertmanager", service="mx")
    text = notice_text(event, "bad payload", Words.of(TEMPLATES, locale))
    assert "could not be processed" not in text and "bad payload" in text


def _render(kind: UpdateKind, audience: str, locale: str, message: str | None = None) -> str:
    context = contexts(kind, audience, locale)[0]
    if message is not None:
        context = replace(context, message=message)
    return Renderer(TEMPLATES).render(channel=ChannelName.SMS, context=context).body


def test_repro4_grammar() -> None:
    assert "Email has been working again since 18:30." in _render(
        UpdateKind.RESOLVED, "users", "en"
    )
    assert "works again since" not in _render(UpdateKind.RESOLVED, "users", "en")
    assert "podem sofrer atrasos desde as" not in _render(UpdateKind.OPENED, "partners", "pt-BR")
    one = unreached_message([Unreached("Ana", "management", "+5511")])
    two = unreached_message(
        [Unreached("Ana", "management", "+5511"), Unreached("Bia", "users", "+5512")]
    )
    assert "Ligue para essa pessoa." in _render(
        UpdateKind.UNREACHED, "default", "pt-BR", message=one
    )
    assert "Ligue para elas." not in _render(UpdateKind.UNREACHED, "default", "pt-BR", message=one)
    assert "Ligue para essas pessoas." in _render(
        UpdateKind.UNREACHED, "default", "pt-BR", message=two
    )


# --- reproduction 5: partners told internal routes, with an English label -----------------


@pytest.mark.parametrize("locale", LOCALES)
def test_repro5_partners_get_their_own_external_alternatives_in_their_language(
    locale: str,
) -> None:
    settings = build_settings(templates_dir=TEMPLATES, contacts_dir=ROOT / "contacts")
    directory = load_directory(settings.contacts_dir)
    incident = IncidentRow(
        id=4, title="mx1 down", summary="", service="email",
        opened_at=NOW - timedelta(minutes=10), resolved_at=None,
    )  # fmt: skip
    update = UpdateRow(
        kind="opened", message="", phase="investigating", severity="critical",
        components=["inbound"], eta=None, next_update_at=NOW + timedelta(minutes=30),
        created_by="alice",
    )  # fmt: skip
    render = renderer_for(
        settings,
        directory,
        Renderer(TEMPLATES),
        for_directory(settings, directory),
        incident,
        update,
    )
    for channel in ChannelName:
        body = render("partners", UpdateKind.OPENED, channel, locale, ORGANISATION_ZONE).body
        for internal in ("Slack", "#it-help", "IT hotline", "ramal", "extension"):
            assert internal not in body, (channel, body)
        for alternative in alternatives_for(settings, directory, "partners", locale):
            assert alternative in body
        if locale in FOREIGN:
            assert not english_words(body), body
    users = render("users", UpdateKind.OPENED, ChannelName.SMS, locale, ORGANISATION_ZONE).body
    assert "#it-help" in users  # internal readers keep the internal routes


def test_repro5_an_audience_without_its_own_alternatives_gets_the_old_setting(
    tmp_path: Path,
) -> None:
    contacts = tmp_path / "contacts"
    shutil.copytree(ROOT / "contacts", contacts)
    routing = (contacts / "routing.yaml").read_text(encoding="utf-8")
    (contacts / "routing.yaml").write_text(routing.split("\nalternatives:")[0], encoding="utf-8")
    settings = build_settings(alternatives=["Desk 4"])
    directory = load_directory(contacts)
    assert alternatives_for(settings, directory, "users", "pt-BR") == ("Desk 4",)
    assert alternatives_for(settings, directory, "partners", "pt-BR") == ("Desk 4",)
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "partners.yaml").write_text((contacts / "partners.yaml").read_text("utf-8"), "utf-8")
    # Without a routing file the built-in routing gives partners no internal route.
    assert alternatives_for(settings, load_directory(bare), "partners", "en") == ()


# --- the status page and feed --------------------------------------------------------------


def _status_words(locale: str, components: list[str], timezone: str = "UTC") -> str:
    from outage_notify.api.status_page import render_html
    from outage_notify.contacts.components import load_catalogue
    from outage_notify.messages.public_words import PublicWords
    from outage_notify.status.feed import atom_feed
    from outage_notify.status.page import build_view, feed_entries
    from outage_notify.status.translations import page_text

    words = PublicWords.load(TEMPLATES)
    row = IncidentRow(
        id=7, service="email", title=ALERT_TITLE, summary="", severity="critical",
        phase="fixing", components=components, eta=NOW + timedelta(hours=1),
        next_update_at=NOW + timedelta(minutes=30), opened_at=NOW - timedelta(hours=1),
        resolved_at=None, public_title="",
    )  # fmt: skip
    update = UpdateRow(
        id=1, incident_id=7, kind="update", message="", phase="fixing", severity="critical",
        components=components, eta=NOW + timedelta(hours=1), next_update_at=None,
        audiences=None, created_at=NOW, created_by="alice", public=True, phase_change=True,
    )  # fmt: skip
    view = build_view(
        open_incidents=[row], updates=[update], resolved=[], organisation="Example Corp",
        alternatives=[], locale=locale, now=NOW, words=words,
        catalogue=load_catalogue(ROOT / "contacts" / "components.yaml"),
    )  # fmt: skip
    page = page_text(view, timezone=timezone, feed_url="/f", templates_dir=TEMPLATES)
    html = render_html(page)
    feed = atom_feed(
        feed_entries([(update, row)], words=words, locale=locale), organisation="Example Corp",
        page_url="/s", feed_url="/f", timezone=timezone, locale=locale, now=NOW,
        templates_dir=TEMPLATES,
    )  # fmt: skip
    # What a reader sees: no style sheet, comment or markup.
    html = re.sub(r"<style.*?</style>|<!--.*?-->", " ", html, flags=re.DOTALL)
    text = re.sub(r"<[^>]+>", " ", html) + re.sub(r"<[^>]+>", " ", feed.decode("utf-8"))
    # The language switch names every language in its own words, English included.
    return re.sub(r"/f#update-\d+", " ", text.replace("English", " "))


@pytest.mark.parametrize("locale", FOREIGN)
def test_the_status_page_and_feed_speak_the_locale(locale: str) -> None:
    text = _status_words(locale, ["inbound", "webmail"])
    leaked = english_words(re.sub(r"[a-z-]+\.(css|atom)|style|utf|xml|https?\S*", " ", text))
    assert not leaked, leaked


def test_repro4_status_page_grammar_in_pt_br() -> None:
    assert "Afetados" in _status_words("pt-BR", ["inbound", "webmail"])
    assert "Afetados" not in _status_words("pt-BR", ["inbound"])
    text = _status_words("pt-BR", ["inbound"])
    assert "Horários de UTC" not in text and "Horários no fuso UTC" in text
    assert "Español" in text or "Español".lower() in text.lower()


# --- staff command replies ------------------------------------------------------------------


@pytest.mark.parametrize("locale", FOREIGN)
def test_command_replies_speak_the_organisation_language(locale: str) -> None:
    from zoneinfo import ZoneInfo

    from outage_notify.api.slack_commands import incident_blocks
    from outage_notify.commands.replies import SMS_HELP, describe, slack_text, sms_text

    words = Words.of(TEMPLATES, locale)
    row = IncidentRow(
        id=7, title=ALERT_TITLE, service="mx", phase="fixing", severity="major", eta=None,
        next_update_at=None,
    )  # fmt: skip
    last = UpdateRow(kind="update", created_at=NOW, created_by="ana", message="")
    facts = describe(row, last, zone=ZoneInfo("UTC"), now=NOW, words=words)
    for text in (
        slack_text(words("Update posted"), facts, words=words),
        sms_text(words("No incident is open."), facts, words=words),
        words(SMS_HELP),
        str(incident_blocks(facts, words)),
    ):
        # The phase, severity and kind ids (fixing, major, update) are the API's own words.
        cleaned = re.sub(r"\b(fixing|major|update|STATUS|ETA|UPDATE|RESOLVE|NOTE)\b", " ", text)
        assert not english_words(cleaned), text


# Every way `parse` refuses a text (tests/test_commands.py has the English sentences).
MISTAKES = (
    "#abc status", "eta", "eta soon", "eta 25:00", "eta +0m", "eta 2026-05-01T10:00",
    "eta 2026-05-08", "eta +2000h", "update", "note", "reboot the server",
    "update " + "x" * 2001,
)  # fmt: skip


def _refusal(text: str) -> CommandError:
    from zoneinfo import ZoneInfo

    with pytest.raises(CommandError) as raised:
        parse(text, now=datetime(2026, 5, 7, 13, 0, tzinfo=UTC), zone=ZoneInfo("UTC"))
    return raised.value


@pytest.mark.parametrize("locale", LOCALES)
def test_command_help_and_parse_errors_speak_the_organisation_language(locale: str) -> None:
    from outage_notify.api.slack_commands import NOT_MAPPED
    from outage_notify.commands.parsing import HELP
    from outage_notify.commands.replies import SMS_HELP

    words = Words.of(TEMPLATES, locale)
    texts = [words(HELP), words(SMS_HELP), words(NOT_MAPPED, user="U0123")]
    for mistake in MISTAKES:
        error = _refusal(mistake)
        said = error.say(words)
        # The values the sender typed or must type come through in every language.
        for value in error.arguments.values():
            assert str(value) in said, (mistake, said)
        assert said.endswith("."), said
        if locale == "en":
            assert said == str(error)
        texts.append(said)
    if locale in FOREIGN:
        assert words(HELP) != HELP and words(SMS_HELP) != SMS_HELP
        for text in texts:
            # The command words stay as staff type them; the rest is the locale's.
            cleaned = re.sub(
                r"\b(status|eta|update|resolve|note|STATUS|ETA|UPDATE|RESOLVE|NOTE)\b", " ", text
            )
            assert not english_words(cleaned), text
    for verb in ("status", "eta <", "update <", "resolve [", "note <", "#12 status"):
        assert verb in words(HELP), (verb, words(HELP))


@pytest.mark.parametrize("locale", FOREIGN)
def test_catch_up_email_ack_thanks_and_slack_acknowledged_line_speak_the_locale(
    locale: str,
) -> None:
    from outage_notify.api.twilio_inbound import THANKS
    from outage_notify.integrations.slack.acknowledged import replacement
    from outage_notify.mail.catchup_message import catchup_message
    from outage_notify.messages.sms_encoding import measure_sms

    subject, body = catchup_message(
        locale=locale, organisation="Example Corp", title=ALERT_TITLE,
        opened_at=NOW - timedelta(hours=1), resolved_at=NOW, timezone="UTC",
        status_url="https://status.example.com", templates_dir=TEMPLATES,
    )  # fmt: skip
    thanks = Words.of(TEMPLATES, locale)(THANKS)
    assert measure_sms(thanks).segments == 1 and measure_sms(thanks).encoding == "GSM-7"
    line = replacement(
        {"message": {"text": "x", "blocks": []}}, user="U1", at=NOW, timezone="UTC",
        locale=locale, templates_dir=TEMPLATES,
    )["text"]  # fmt: skip
    for text in (subject, body.replace("SMS, Slack", " "), thanks, line):
        assert not english_words(text), text


@pytest.mark.parametrize("locale", FOREIGN)
def test_the_rehearsal_message_speaks_the_locale(locale: str) -> None:
    from outage_notify.cli.rehearsal import rehearsal_message

    for channel in ChannelName:
        title, body = rehearsal_message(
            channel=channel, locale=locale, organisation="Example Corp", templates_dir=TEMPLATES
        )
        assert not english_words(f"{title} {body}"), body


def test_the_old_alternatives_setting_warns_naming_the_audiences_that_still_use_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from outage_notify.contacts.loading import load_contacts

    contacts = tmp_path / "contacts"
    shutil.copytree(ROOT / "contacts", contacts)
    routing = (contacts / "routing.yaml").read_text(encoding="utf-8")
    (contacts / "routing.yaml").write_text(
        routing.replace("  users:\n    en:", "  staff-only:\n    en:"), encoding="utf-8"
    )
    settings = build_settings(
        contacts_dir=contacts, templates_dir=TEMPLATES, alternatives=["Desk 4"]
    )
    with caplog.at_level("WARNING", logger="outage_notify.contacts.loading"):
        load_contacts(settings)
    assert "deprecated" in caplog.text and "users" in caplog.text
    assert "partners" not in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="outage_notify.contacts.loading"):
        load_contacts(build_settings(contacts_dir=contacts, templates_dir=TEMPLATES))
    assert "deprecated" not in caplog.text


@pytest.mark.parametrize("locale", FOREIGN)
def test_a_failed_verification_reopen_is_told_in_each_reader_language(locale: str) -> None:
    from outage_notify.incidents.verification import ACTOR, FIX_DID_NOT_HOLD

    settings = build_settings(templates_dir=TEMPLATES)
    stored = FIX_DID_NOT_HOLD % {"stage": "imap_search"}
    update = UpdateRow(message=stored, created_by=ACTOR, kind="reopened")
    text = reader_message(settings, update, locale)
    assert "imap_search" in text and not english_words(text.replace("imap_search", "")), text
    assert reader_message(settings, update, "en") == stored


@pytest.mark.parametrize("locale", FOREIGN)
def test_the_lead_notices_stay_in_gsm7(locale: str) -> None:
    """An SMS to the lead in UCS-2 holds 70 characters a segment: the retry link could be cut."""
    from outage_notify.messages.sms_encoding import measure_sms

    for kind in (UpdateKind.REMINDER, UpdateKind.EVENT_FAILED, UpdateKind.UNREACHED):
        for context in contexts(kind, "default", locale):
            context = replace(context, incident=replace(context.incident, title="Mail down"))
            body = Renderer(TEMPLATES).render(channel=ChannelName.SMS, context=context).body
            assert measure_sms(body).encoding == "GSM-7", body


# --- the post-incident report (items 4 and 9: the organisation's locale) ------------------


def _report_in(locale: str) -> tuple[str, str]:
    """A full report in `locale` as Markdown and as the text of its HTML page, with every value
    the incident supplied (titles, timeline texts, names) made neutral: only the report's own
    words are left to judge."""
    from outage_notify.report.html import to_html
    from outage_notify.report.render import to_markdown
    from tests.test_report import full_report

    built = full_report(title=ALERT_TITLE)
    built = built.model_copy(
        update={
            "locale": locale,
            "timezone": "America/Sao_Paulo",
            "timeline": [
                t.model_copy(update={"text": "DATA", "kind": "KIND", "actor": "ana"})
                for t in built.timeline
            ],
            "findings": [f.model_copy(update={"text": "DATA"}) for f in built.findings],
            "updates": [u.model_copy(update={"kind": "KIND"}) for u in built.updates],
            "action_items": [a.model_copy(update={"text": "DATA"}) for a in built.action_items],
            "coverage": [c.model_copy(update={"unreached": ["Ana"]}) for c in built.coverage],
            "root_cause": "DATA",
            "summary": built.summary.model_copy(update={"service": "mx"}),  # a service id
        }
    )
    markdown = to_markdown(built, templates_dir=TEMPLATES)
    page = to_html(built, templates_dir=TEMPLATES)
    page = re.sub(r"<style.*?</style>", " ", page, flags=re.DOTALL)
    # What a reader sees, the charts' tooltips and labels included (aria-label is read aloud).
    labels = " ".join(re.findall(r'aria-label="([^"]*)"', page))
    return markdown, re.sub(r"<[^>]+>", " ", page) + " " + labels


@pytest.mark.parametrize("locale", FOREIGN)
def test_the_report_speaks_the_organisation_language(locale: str) -> None:
    markdown, page = _report_in(locale)
    for text in (markdown, page):
        leaked = english_words(text.replace("DATA", " ").replace("KIND", " "))
        assert not leaked, (leaked, text)
        for heading in ("Summary", "Timeline", "Deliveries", "Root cause", "Action items"):
            assert heading not in text


def test_a_pt_br_report_has_portuguese_headings_and_dates() -> None:
    markdown, page = _report_in("pt-BR")
    assert markdown.startswith(f"# Relatório pós-incidente: {ALERT_TITLE}")
    headings = re.findall(r"^## (.+)$", markdown, flags=re.MULTILINE)
    assert headings[:5] == ["Resumo", "Impacto", "Tempos", "Fases", "Linha do tempo"]
    assert "Causa raiz" in headings and "Ações" in headings
    # Babel writes the date the Brazilian way, the UTC time beside it.
    assert "- Aberto em: 10 de mar. de 2025 10:45:00 BRT (13:45:00 UTC)" in markdown
    assert "Linha do tempo" in page and "Relatório pós-incidente" in page


def test_an_english_report_keeps_its_english_words() -> None:
    markdown, _ = _report_in("en")
    assert markdown.startswith(f"# Post-incident report: {ALERT_TITLE}")
    assert "## Root cause" in markdown
