"""Bodies fit every channel's budget and keep what a reader needs, whatever the free text.

Property tests (Hypothesis) over the real templates: summaries, staff messages and component
lists of 0-10,000 characters, GSM-7 and non-GSM letters, emoji.
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from outage_notify.channels.capacity import (
    SLACK_MAX_BLOCKS,
    SLACK_MAX_SECTION,
    TWILIO_MAX_BODY,
    Budget,
    default_budget,
)
from outage_notify.contacts.components import load_catalogue
from outage_notify.core.models import (
    MAINTENANCE_KINDS,
    STAFF_KINDS,
    ChannelName,
    Phase,
    Severity,
    UpdateKind,
)
from outage_notify.integrations.fake_server import FakeProviders
from outage_notify.integrations.slack.channel import build_blocks
from outage_notify.messages.budget import Budgets, FallbackLimit, fallback_limit, for_directory
from outage_notify.messages.filters import format_time
from outage_notify.messages.fitting import shorten, shorten_components
from outage_notify.messages.rendering import IncidentView, MessageContext, Renderer
from outage_notify.messages.sms_encoding import measure_sms
from outage_notify.messages.template_check import check_templates
from tests.fixtures.providers import SLACK_TOKEN
from tests.fixtures.settings import build_settings

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
COMPONENTS = load_catalogue(TEMPLATES.parent / "contacts" / "components.yaml")
RENDERER = Renderer(TEMPLATES, components=COMPONENTS)
EXAMPLES = int(os.environ.get("OUTAGE_NOTIFY_FUZZ_EXAMPLES", "25"))
ALTERNATIVES = ("IT hotline +55 11 4000-1234", "Slack #it-help")
OPENED = datetime(2025, 11, 27, 16, 5, tzinfo=UTC)
# GSM-7 letters, letters GSM-7 lacks (ã ç: the whole SMS becomes UCS-2) and emoji (two UTF-16
# units each), mixed with spaces and line breaks.
LETTERS = st.sampled_from("abcdefXYZ0129 .,;:-\n@£éàÇÖ{}[]€ãçõ✓😀🚨")
TEXT = st.text(alphabet=LETTERS, max_size=10_000) | st.text(max_size=2_000)
COMPONENT = st.text(alphabet=st.sampled_from("abcxyz-_0123ãç😀"), min_size=1, max_size=30)
KINDS = [kind for kind in UpdateKind if kind not in STAFF_KINDS]
# Discord's 2,000; a 1,000-character service without titles (Join: the title joins the body).
BUDGETS = Budgets(
    sms_max_segments=3,
    audience_sms_segments={"users": 2},
    fallback={"management": FallbackLimit(2_000), "users": FallbackLimit(1_000, True)},
    acknowledging=frozenset({"management"}),
)


def context(
    *, kind: UpdateKind, audience: str, locale: str, message: str, summary: str, title: str,
    components: tuple[str, ...], eta: bool, acknowledge: bool,
) -> MessageContext:  # fmt: skip
    incident = IncidentView(
        id=7, title=title, summary=summary, severity=Severity.MAJOR,
        phase=Phase.RESOLVED if kind is UpdateKind.RESOLVED else Phase.FIXING,
        components=components, opened_at=OPENED,
        eta=OPENED + timedelta(hours=2) if eta else None,
        next_update_at=None if eta else OPENED + timedelta(minutes=50),
        resolved_at=OPENED + timedelta(hours=3) if kind is UpdateKind.RESOLVED else None,
    )  # fmt: skip
    if kind in MAINTENANCE_KINDS:
        # A window always has both: its start (next update's place) and its end (the ETA's).
        incident = replace(incident, next_update_at=OPENED + timedelta(days=1),
                           eta=OPENED + timedelta(days=1, hours=3))  # fmt: skip
    return MessageContext(
        kind=kind, audience=audience, locale=locale, incident=incident, message=message,
        alternatives=ALTERNATIVES, organisation="Example Corp",
        status_page_url="https://status.example.org", timezone="America/Sao_Paulo",
        now=OPENED + timedelta(minutes=20), acknowledge=acknowledge,
    )  # fmt: skip


def assert_within(budget: Budget, title: str, body: str) -> None:
    assert len(body) <= budget.max_chars
    if budget.channel is ChannelName.SMS:
        assert len(body) <= TWILIO_MAX_BODY
        assert measure_sms(body).segments <= budget.max_segments
    if budget.channel is ChannelName.SLACK:
        blocks = build_blocks(title, body, ack_value="delivery:1", ack_label="Acknowledge")
        assert len(blocks) <= SLACK_MAX_BLOCKS
        for block in blocks:
            assert len(block.get("text", {}).get("text", "")) <= SLACK_MAX_SECTION
    if budget.title_in_body and title:
        assert len(title) + 2 + len(body) <= budget.max_chars


@pytest.mark.fuzz
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(KINDS),
    audience=st.sampled_from(["management", "users", "partners"]),
    locale=st.sampled_from(["en", "pt-BR"]),
    message=TEXT,
    summary=TEXT,
    title=st.text(alphabet=LETTERS, min_size=1, max_size=300),
    components=st.lists(COMPONENT, max_size=400, unique=True).map(tuple)
    | st.integers(0, 8_000).map(lambda n: tuple(f"part-{i:05d}" for i in range(n))),
    eta=st.booleans(),
)
def test_every_body_fits_every_channel_and_keeps_what_a_reader_needs(
    kind: UpdateKind, audience: str, locale: str, message: str, summary: str, title: str,
    components: tuple[str, ...], eta: bool,
) -> None:  # fmt: skip
    acknowledge = audience == "management" and kind in (UpdateKind.OPENED, UpdateKind.REOPENED)
    given_context = context(
        kind=kind, audience=audience, locale=locale, message=message, summary=summary,
        title=title, components=components, eta=eta, acknowledge=acknowledge,
    )  # fmt: skip
    for channel in ChannelName:
        budget = BUDGETS.budget(audience, channel)
        fitted = RENDERER.render_fitted(channel=channel, context=given_context, budget=budget)
        assert not fitted.overflow
        body = fitted.message.body
        assert_within(budget, fitted.message.title, body)
        if channel is ChannelName.SMS and budget.reserve_ack:
            # Room for a chase's "Reply OK" line, added at send time.
            with_request = RENDERER.with_ack_request(body, locale)
            assert measure_sms(with_request).segments <= budget.max_segments
        if channel is ChannelName.SMS and acknowledge:
            assert body.endswith(RENDERER.with_ack_request("", locale).strip())
        if kind in (UpdateKind.RESOLVED, UpdateKind.RETRACTED, UpdateKind.MAINTENANCE_COMPLETED):
            continue  # nothing is broken any more: no ways round it, no promised time
        for alternative in ALTERNATIVES:
            assert alternative in body
        promised = given_context.incident.eta or given_context.incident.next_update_at
        now = given_context.now
        assert promised is not None and now is not None
        zone = ZoneInfo(given_context.timezone)
        assert format_time(promised, zone=zone, now=now, locale=locale) in body


def test_short_text_is_left_alone_and_long_text_ends_with_the_suffix() -> None:
    assert shorten("short", 10) == "short"
    assert shorten("a" * 50, 10) == "a" * 10 + "…"
    assert shorten("words and more words here", 20, "... https://s") == (
        "words and more words... https://s"
    )


def test_a_long_component_list_keeps_its_first_names_and_counts_the_rest() -> None:
    names = tuple(f"part-{n}" for n in range(8_000))

    shortened = shorten_components(names, 30, lambda n: f"and {n:,} more")

    assert shortened[:3] == ("part-0", "part-1", "part-2")
    assert shortened[-1] == f"and {8_000 - len(shortened) + 1:,} more"


def test_the_audience_override_and_the_default_sms_budget() -> None:
    assert BUDGETS.budget("users", ChannelName.SMS).max_segments == 2
    assert BUDGETS.budget("partners", ChannelName.SMS).max_segments == 3
    assert BUDGETS.budget("management", ChannelName.SMS).reserve_ack
    assert not BUDGETS.budget("partners", ChannelName.SMS).reserve_ack


def test_fallback_budget_is_the_apprise_plugins_own_body_maxlen() -> None:
    # Read from the installed Apprise plugins, not a table of ours.
    assert fallback_limit("discord://1234/abcdefghijklmnop").body == 2_000
    assert fallback_limit("tgram://123456789:abcdefghijklmnopqrstuvwxyz/12345").body == 4_096
    assert fallback_limit("json://example.org/hook").body == 32_768


def test_a_message_with_a_staff_text_cut_says_how_much_was_kept() -> None:
    given_context = context(
        kind=UpdateKind.UPDATE, audience="management", locale="en", message="x " * 850,
        summary="", title="Webmail down", components=("webmail",), eta=True, acknowledge=False,
    )  # fmt: skip
    fitted = RENDERER.render_fitted(
        channel=ChannelName.SMS, context=given_context, budget=default_budget(ChannelName.SMS)
    )
    cut = fitted.kept("message")
    assert cut is not None and cut.of == 1_700 and 0 < cut.kept < 400
    assert fitted.message.segments <= 3


def section(text: str) -> dict[str, object]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


@pytest.mark.parametrize(
    ("text", "blocks", "error"),
    [
        ("x" * 40_001, None, "msg_too_long"),
        ("x", [section("x")] * 51, "invalid_blocks"),
        ("x", [section("x" * 3_001)], "invalid_blocks"),
    ],
)
def test_the_fake_slack_refuses_what_slack_refuses(
    providers: FakeProviders, text: str, blocks: list[dict[str, object]] | None, error: str
) -> None:
    client = WebClient(token=SLACK_TOKEN, base_url=providers.slack_base_url, retry_handlers=[])
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C0IT", text=text, blocks=blocks)
    assert raised.value.response["error"] == error
    assert providers.records("slack") == []


def test_check_names_a_template_whose_fixed_text_alone_is_over_budget(tmp_path: Path) -> None:
    import shutil

    shutil.copytree(TEMPLATES, tmp_path / "templates")
    wordy = tmp_path / "templates" / "en" / "sms" / "update.users.j2"
    wordy.write_text(wordy.read_text() + "Please read this carefully. " * 30 + "\n")

    problems = check_templates(Renderer(tmp_path / "templates"))

    assert any(str(wordy) in problem and "without any free text" in problem for problem in problems)


def test_a_context_field_is_reported_cut_only_where_the_template_shows_it() -> None:
    # Partners' templates show no automatic text (only staff's): cutting it there is no news.
    given_context = context(
        kind=UpdateKind.ETA_CHANGED, audience="partners", locale="en", message="x " * 850,
        summary="", title="t", components=("webmail",), eta=True, acknowledge=False,
    )  # fmt: skip
    fitted = RENDERER.render_fitted(
        channel=ChannelName.SMS, context=given_context, budget=default_budget(ChannelName.SMS)
    )
    assert fitted.kept("message") is None


def test_budgets_of_the_shipped_contacts_follow_their_fallback_targets_and_routing() -> None:
    from outage_notify.contacts.directory import load_directory
    from outage_notify.messages.planning import EVERYONE

    directory = load_directory(TEMPLATES.parent / "contacts")
    settings = build_settings(sms_max_segments=4)

    budgets = for_directory(settings, directory)

    # Management's fallback targets are ntfy (7,800 in Apprise) and json:// (32,768).
    assert budgets.budget("management", ChannelName.FALLBACK).max_chars == 7_800
    assert budgets.budget(EVERYONE, ChannelName.FALLBACK).max_chars == 32_768
    sms = budgets.budget("management", ChannelName.SMS)
    assert (sms.max_segments, sms.reserve_ack) == (4, True)
    assert budgets.budget("users", ChannelName.SMS).reserve_ack is False


def test_a_cut_text_links_the_status_page_where_the_template_does_not() -> None:

    from outage_notify.incidents.update_messages import more_url

    given_context = context(
        kind=UpdateKind.UPDATE, audience="users", locale="en", message="word " * 400,
        summary="", title="t", components=("webmail",), eta=True, acknowledge=False,
    )  # fmt: skip
    page = "https://mail-status.example.org/status"
    bare = replace(given_context, status_page_url="", more_url=page)

    body = RENDERER.render(channel=ChannelName.SMS, context=bare).body

    assert f"... {page}" in body
    # Only a PUBLIC_BASE_URL someone set is a link; the default 127.0.0.1 reaches nobody.
    assert more_url(build_settings()) == ""
    assert more_url(build_settings(public_base_url="https://notify.example.org/")) == (
        "https://notify.example.org/status"
    )


def test_truncations_name_each_audience_channel_and_locale_that_gets_the_staff_text_cut() -> None:
    from outage_notify.contacts.directory import load_directory
    from outage_notify.incidents.update_messages import audience_combos, truncations
    from outage_notify.store.tables import IncidentRow, UpdateRow

    directory = load_directory(TEMPLATES.parent / "contacts")
    settings = build_settings()
    told: dict[str, list[dict[str, str]]] = {"management": [{}], "users": [{}]}

    def incident_row(summary: str) -> IncidentRow:
        return IncidentRow(
            id=1, title="Webmail down", summary=summary, opened_at=OPENED, resolved_at=None,
            notified_audiences=told,
        )  # fmt: skip

    incident = incident_row("")

    def update(kind: str, message: str, **values: object) -> UpdateRow:
        return UpdateRow(
            id=1, kind=kind, message=message, phase="fixing", severity="major",
            components=["webmail"], eta=None, next_update_at=None, audiences=None,
            recipients=None, **values,
        )  # fmt: skip

    combos = audience_combos(settings, directory)
    cut = truncations(
        settings, directory, RENDERER, BUDGETS, incident, update("update", "x " * 850), combos
    )
    assert {(t.audience, t.channel, t.locale) for t in cut} == {
        ("management", ChannelName.SMS, "en"),
        ("management", ChannelName.SMS, "pt-BR"),
        ("users", ChannelName.SMS, "en"),
        ("users", ChannelName.SMS, "pt-BR"),
        # BUDGETS gives users' fallback targets 1,000 characters.
        ("users", ChannelName.FALLBACK, "en"),
        ("users", ChannelName.FALLBACK, "pt-BR"),
    }
    assert all(t.field == "message" and t.of == 1_700 and t.kept < 1_000 for t in cut)
    # A declaration's text is its summary; management's fallback shows it (2,000 here).
    declared = incident_row("y " * 1_500)
    cut = truncations(settings, directory, RENDERER, BUDGETS, declared, update("opened", ""))
    assert {(t.audience, t.channel, t.field) for t in cut} == {
        ("management", ChannelName.FALLBACK, "summary")
    }
    # Nothing is cut where the text fits everywhere.
    short = update("update", "ok")
    assert truncations(settings, directory, RENDERER, BUDGETS, incident, short) == []


def test_the_must_keep_check_links_the_status_page_only_where_the_template_does_not(
    tmp_path: Path,
) -> None:
    """`bare_only` (the check's flood of free text) never renders the flood whole: whether the
    template shows the status page is read at L = 0, so the cut text's "..." carries the link
    exactly where the template does not show it itself."""
    from outage_notify.messages.template_check import long_free_text

    sms = tmp_path / "en" / "sms"
    sms.mkdir(parents=True)
    (sms / "update.users.j2").write_text("Mail is down. {{ message }}\n")
    (sms / "update.partners.j2").write_text("Mail is down: {{ status_page_url }}. {{ message }}\n")
    renderer = Renderer(tmp_path)
    page = "https://status.example.org"
    for audience, template_shows_it in (("users", False), ("partners", True)):
        given_context = context(
            kind=UpdateKind.UPDATE, audience=audience, locale="en", message="", summary="",
            title="t", components=("webmail",), eta=True, acknowledge=False,
        )  # fmt: skip
        flooded = long_free_text(given_context)
        fitted = renderer.render_fitted(channel=ChannelName.SMS, context=flooded, bare_only=True)
        body = fitted.message.body
        assert not fitted.overflow, body
        assert body.count(page) == 1, body
        assert (f"... {page}" in body) is not template_shows_it, body
        assert "Storage array" not in body  # the free text is cut to nothing but its "..."
