"""Rendering with the shipped templates: what each audience reads, per channel and locale."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from outage_notify.channels.capacity import default_budget
from outage_notify.contacts.components import load_catalogue
from outage_notify.core.errors import ConfigError, TemplateError
from outage_notify.core.models import STAFF_KINDS, ChannelName, Phase, Severity, UpdateKind
from outage_notify.messages.filters import format_time
from outage_notify.messages.rendering import IncidentView, MessageContext, Renderer
from outage_notify.messages.sms_encoding import measure_sms
from outage_notify.messages.template_check import check_templates

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
COMPONENTS = load_catalogue(TEMPLATES.parent / "contacts" / "components.yaml")
# Stakeholder messages; reminders and the unreached list go to the incident lead only (tested
# on their own below).
KINDS = [kind for kind in UpdateKind if kind not in STAFF_KINDS]
OPEN_KINDS = [UpdateKind.OPENED, UpdateKind.UPDATE, UpdateKind.ETA_CHANGED, UpdateKind.REOPENED]
AUDIENCES = ["management", "users", "partners"]
LOCALES = ["en", "pt-BR"]
CHANNELS = list(ChannelName)
# Channels whose messages are text alone: WhatsApp reads the SMS templates, and is billed per
# message, not per segment, so it carries no encoding or segment count.
TEXT_ONLY = {ChannelName.SMS, ChannelName.WHATSAPP}
# 13:05 in America/Sao_Paulo; the ETA is 14:30 and the next update 13:55, the same local day.
OPENED_AT = datetime(2025, 11, 27, 16, 5, tzinfo=UTC)
ETA, NEXT_UPDATE = "14:30", "13:55"


# The typical input the SMS budget is set for: title ~40, two components, staff message ~60,
# two alternatives ~30 each (plus a status page link).
@dataclass(frozen=True)
class Typical:
    title: str
    message: str
    alternatives: tuple[str, ...]


TYPICAL_INPUT = {
    "en": Typical(
        title="Mail server mx1 not accepting connections",
        message="Storage array failed; moving mailboxes to the standby server.",
        alternatives=("Call the helpdesk: +1 555 0100", "Slack: #it-help or @it-oncall"),
    ),
    "pt-BR": Typical(
        title="Servidor de e-mail mx1 recusa conexoes",
        message="Falha no storage; movendo as caixas para o servidor reserva.",
        alternatives=("Suporte: (11) 5555-0100 ramal 4", "Slack: #ti-suporte ou @plantao"),
    ),
}


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(TEMPLATES, components=COMPONENTS)


def context(
    kind: UpdateKind = UpdateKind.OPENED,
    audience: str = "users",
    locale: str = "en",
    *,
    title: str | None = None,
    severity: Severity = Severity.MAJOR,
    components: tuple[str, ...] = ("inbound", "webmail"),
    eta: datetime | None = OPENED_AT + timedelta(minutes=85),
    message: str | None = None,
    alternatives: tuple[str, ...] | None = None,
    organisation: str = "Example Corp",
    timezone: str = "America/Sao_Paulo",
    acknowledge: bool = False,
) -> MessageContext:
    """A typical context for the locale; the title, message and alternatives default to the
    locale's typical input."""
    typical = TYPICAL_INPUT.get(locale, TYPICAL_INPUT["en"])
    resolved = kind is UpdateKind.RESOLVED
    incident = IncidentView(
        id=7,
        title=typical.title if title is None else title,
        summary="SMTP and IMAP refuse connections",
        severity=severity,
        phase=Phase.RESOLVED if resolved else Phase.FIXING,
        components=components,
        opened_at=OPENED_AT,
        eta=eta,
        next_update_at=OPENED_AT + timedelta(minutes=50),
        resolved_at=OPENED_AT + timedelta(hours=2) if resolved else None,
    )
    return MessageContext(
        kind=kind,
        audience=audience,
        locale=locale,
        incident=incident,
        message=typical.message if message is None else message,
        alternatives=typical.alternatives if alternatives is None else alternatives,
        organisation=organisation,
        status_page_url="https://status.example.com",
        timezone=timezone,
        now=OPENED_AT + timedelta(minutes=20),
        acknowledge=acknowledge,
    )


# --- every template, with the SOP's promises ------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("audience", [*AUDIENCES, "default", "helpdesk"])
@pytest.mark.parametrize("kind", KINDS)
def test_every_combination_renders(
    renderer: Renderer, kind: UpdateKind, audience: str, channel: ChannelName, locale: str
) -> None:
    message = renderer.render(channel=channel, context=context(kind, audience, locale))

    assert message.body.strip()
    assert (message.audience, message.channel, message.locale) == (audience, channel, locale)
    if channel in TEXT_ONLY:
        assert message.title == ""
    if channel is ChannelName.SMS:
        assert message.encoding in {"GSM-7", "UCS-2"} and message.segments >= 1
    elif channel not in TEXT_ONLY:
        assert message.title.strip()
        assert "\n" not in message.title


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("audience", AUDIENCES)
@pytest.mark.parametrize("kind", OPEN_KINDS)
def test_open_incident_messages_give_eta_alternatives_and_status(
    renderer: Renderer, kind: UpdateKind, audience: str, channel: ChannelName, locale: str
) -> None:
    with_eta = renderer.render(channel=channel, context=context(kind, audience, locale)).body
    without_eta = renderer.render(
        channel=channel, context=context(kind, audience, locale, eta=None)
    ).body

    assert ETA in with_eta
    assert NEXT_UPDATE in without_eta
    for alternative in TYPICAL_INPUT[locale].alternatives:
        assert alternative in with_eta
        assert alternative in without_eta
    assert "https://status.example.com" in with_eta


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("audience", AUDIENCES)
def test_resolved_says_when_and_that_mail_may_arrive_late(
    renderer: Renderer, audience: str, channel: ChannelName, locale: str
) -> None:
    body = renderer.render(
        channel=channel, context=context(UpdateKind.RESOLVED, audience, locale)
    ).body

    assert "15:05" in body
    late = {"en": ("arrive late", "send it again"), "pt-BR": ("chegar atrasadas", "envie de novo")}
    assert all(phrase in body for phrase in late[locale])


SEVERITY_WORDS = re.compile(r"\b(critical|major|minor|muito grave|grave|leve)\b", re.IGNORECASE)
COMPONENT_IDS = re.compile(r"\b(inbound|outbound|webmail|imap|pop|mobile_sync|calendar)\b", re.I)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("severity", list(Severity))
def test_partners_get_no_internal_detail(
    renderer: Renderer, kind: UpdateKind, channel: ChannelName, locale: str, severity: Severity
) -> None:
    wide = ("inbound", "outbound", "webmail", "imap", "pop", "mobile_sync", "calendar")
    sent = renderer.render(
        channel=channel,
        context=context(kind, "partners", locale, severity=severity, components=wide),
    )
    text = f"{sent.title}\n{sent.body}"

    assert not SEVERITY_WORDS.search(text)
    assert not COMPONENT_IDS.search(text)
    assert TYPICAL_INPUT[locale].title not in text
    assert TYPICAL_INPUT[locale].message not in text


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("kind", KINDS)
def test_locale_is_honoured(renderer: Renderer, kind: UpdateKind, channel: ChannelName) -> None:
    english = renderer.render(channel=channel, context=context(kind, "users", "en")).body
    portuguese = renderer.render(channel=channel, context=context(kind, "users", "pt-BR")).body

    assert re.search(r"\bemails?\b", english, re.I) and "e-mail" not in english
    assert re.search(r"\be-mails?\b", portuguese, re.I)
    assert not re.search(r"\bemails?\b", portuguese)
    # Dates are local and in the reader's format (Babel's).
    later = context(kind, "users", "pt-BR", eta=OPENED_AT + timedelta(days=1, minutes=85))
    if kind in OPEN_KINDS:
        assert "28 de nov. 14:30" in renderer.render(channel=channel, context=later).body


def test_locale_falls_back_by_language_then_to_english(renderer: Renderer) -> None:
    portuguese = renderer.render(channel=ChannelName.SMS, context=context(locale="pt-PT")).body
    unknown = renderer.render(channel=ChannelName.SMS, context=context(locale="de")).body

    assert portuguese.startswith("[Example Corp TI] E-mail fora do ar")
    assert unknown.startswith("[Example Corp IT] Email is not working")
    tried = renderer.candidates(
        channel=ChannelName.SMS, kind=UpdateKind.OPENED, audience="helpdesk", locale="pt-PT"
    )
    assert [str(path.relative_to(TEMPLATES)) for path in tried] == [
        "pt-BR/sms/opened.helpdesk.j2",
        "pt-BR/sms/opened.default.j2",
        "en/sms/opened.helpdesk.j2",
        "en/sms/opened.default.j2",
    ]


def test_discovers_locales_and_audiences(renderer: Renderer) -> None:
    assert renderer.locales == ("en", "es", "pt-BR")
    assert renderer.audiences == ("management", "partners", "users")


# --- SMS cost --------------------------------------------------------------------------------


@pytest.mark.parametrize("audience", AUDIENCES)
@pytest.mark.parametrize("kind", KINDS)
def test_typical_english_sms_fits_two_segments(
    renderer: Renderer, kind: UpdateKind, audience: str
) -> None:
    sms = renderer.render(channel=ChannelName.SMS, context=context(kind, audience, "en"))

    assert (sms.encoding, sms.segments <= 2) == ("GSM-7", True), sms.body


@pytest.mark.parametrize("audience", AUDIENCES)
@pytest.mark.parametrize("kind", KINDS)
def test_typical_portuguese_sms_stays_gsm7_within_three_segments(
    renderer: Renderer, kind: UpdateKind, audience: str
) -> None:
    # The pt-BR SMS wording keeps to letters GSM-7 has (é, à, Ç...), so unaccented input stays
    # in GSM-7; measured: 1-2 segments, 3 for opened/reopened management and reopened users.
    sms = renderer.render(channel=ChannelName.SMS, context=context(kind, audience, "pt-BR"))

    assert (sms.encoding, sms.segments <= 3) == ("GSM-7", True), sms.body


@pytest.mark.parametrize("audience", AUDIENCES)
@pytest.mark.parametrize("kind", OPEN_KINDS)
def test_accented_portuguese_input_switches_to_ucs2(
    renderer: Renderer, kind: UpdateKind, audience: str
) -> None:
    # One ã in the staff text or an alternative makes the whole SMS UCS-2 (67 units a part):
    # measured 4-5 segments. Recorded here until the transliteration option exists.
    accented = context(
        kind,
        audience,
        "pt-BR",
        title="Servidor de e-mail não aceita conexões",
        message="Disco do servidor cheio; liberando espaço e reiniciando o serviço.",
        alternatives=("Suporte: (11) 5555-0100 ramal 4", "Slack: #ti-suporte ou @plantão"),
    )
    # A budget of 5 segments: with the default 3 these alternatives alone overflow UCS-2
    # (`templates check` refuses that configuration; see test_message_fit).
    roomy = default_budget(ChannelName.SMS, sms_max_segments=5)
    sms = renderer.render(channel=ChannelName.SMS, context=accented, budget=roomy)

    assert sms.encoding == "UCS-2"
    assert sms.segments <= 5


# --- untrusted text ----------------------------------------------------------------------------

HOSTILE = "<!channel> & <@U123> <https://evil.example|click>"


def test_slack_escapes_untrusted_text_only(renderer: Renderer) -> None:
    hostile = context(
        audience="management",
        title=HOSTILE,
        message=f'{HOSTILE} "quoted" it\'s',
        organisation="Smith & Sons",
        components=("inbound", "a<b>&c"),
    )
    sent = renderer.render(channel=ChannelName.SLACK, context=hostile)
    text = f"{sent.title}\n{sent.body}"

    assert "&lt;!channel&gt; &amp; &lt;@U123&gt; &lt;https://evil.example|click&gt;" in text
    assert "<!channel>" not in text and "<@U123>" not in text and "<https://" not in text
    # Slack's rule, not HTML's: quotes stay; macro output is not escaped twice.
    assert '"quoted" it\'s' in sent.body
    assert sent.title.startswith("Smith &amp; Sons IT")
    # An unknown component label is named as the service, so none of it reaches the reader.
    assert "receiving email, email" in sent.body and "a&lt;b" not in text
    assert "&amp;amp;" not in text
    # The template's own markup is kept.
    assert "*Not working:*" in sent.body


@pytest.mark.parametrize("channel", [ChannelName.SMS, ChannelName.FALLBACK])
def test_control_characters_are_stripped(renderer: Renderer, channel: ChannelName) -> None:
    hostile = context(
        audience="management",
        title=f"\x1b[31mred\x1b[0m \u202eevil\x07 {HOSTILE}",
        message="line one\r\nline\ttwo\x00",
    )
    sent = renderer.render(channel=channel, context=hostile)
    # Management's SMS shows the alert title only when staff wrote nothing (never both).
    titled = renderer.render(channel=channel, context=replace(hostile, message=""))
    body = sent.body

    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f\u202e]", body + sent.title + titled.body)
    assert "[31mred[0m evil" in titled.body
    assert "line one\nline two" in body
    # No markup on these channels: the text arrives as written.
    assert HOSTILE in titled.body


# --- filters ---------------------------------------------------------------------------------

SAO_PAULO = ZoneInfo("America/Sao_Paulo")


@pytest.mark.parametrize(
    ("moment", "locale", "expected"),
    [
        (datetime(2025, 11, 27, 17, 30, tzinfo=UTC), "en", "14:30"),
        (datetime(2025, 11, 28, 17, 30, tzinfo=UTC), "en", "Nov 28, 14:30"),
        (datetime(2025, 11, 28, 17, 30, tzinfo=UTC), "pt-BR", "28 de nov. 14:30"),
        # 01:30 UTC on the 28th is still the 27th in Sao Paulo.
        (datetime(2025, 11, 28, 1, 30, tzinfo=UTC), "pt-BR", "22:30"),
        # Naive datetimes from the store are UTC.
        (datetime(2025, 11, 27, 17, 30), "en", "14:30"),
    ],
)
def test_format_time(moment: datetime, locale: str, expected: str) -> None:
    now = datetime(2025, 11, 27, 16, 0, tzinfo=UTC)
    assert format_time(moment, zone=SAO_PAULO, now=now, locale=locale) == expected


@pytest.mark.parametrize(
    ("component", "locale", "expected"),
    [
        ("inbound", "en", "receiving email"),
        ("inbound", "pt-BR", "recebimento de e-mails"),
        ("mobile_sync", "pt-BR", "e-mail no celular"),
        ("outbound", "de", "sending email"),
        ("x-archive", "pt-BR", None),
    ],
)
def test_component_name(component: str, locale: str, expected: str | None) -> None:
    assert COMPONENTS.name(component, locale=locale) == expected


# --- checking and broken trees ---------------------------------------------------------------


def test_shipped_templates_pass_check(renderer: Renderer) -> None:
    assert check_templates(renderer) == []


def write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_broken_template_is_named(tmp_path: Path) -> None:
    broken = write(tmp_path, "en/sms/opened.default.j2", "Email is down {% if %}\n")
    write(tmp_path, "en/sms/update.default.j2", "ok\n{{ nosuchvariable }}\n")
    renderer = Renderer(tmp_path)

    with pytest.raises(TemplateError, match=re.escape(str(broken))):
        renderer.render(channel=ChannelName.SMS, context=context())
    with pytest.raises(TemplateError, match=r"update\.default\.j2: line 2: .*nosuchvariable"):
        renderer.render(channel=ChannelName.SMS, context=context(UpdateKind.UPDATE))
    problems = check_templates(renderer)
    assert any(str(broken) in problem for problem in problems)
    assert any("nosuchvariable" in problem for problem in problems)


def test_missing_template_names_the_paths_tried(tmp_path: Path) -> None:
    write(tmp_path, "en/slack/opened.default.j2", "hello\n")
    renderer = Renderer(tmp_path)

    with pytest.raises(TemplateError) as raised:
        renderer.render(channel=ChannelName.SMS, context=context(audience="users"))
    assert str(tmp_path / "en/sms/opened.users.j2") in str(raised.value)
    assert str(tmp_path / "en/sms/opened.default.j2") in str(raised.value)
    assert any("no template" in problem for problem in check_templates(renderer))


def test_check_reports_what_the_sop_needs(tmp_path: Path) -> None:
    lazy = write(tmp_path, "en/sms/opened.default.j2", "[{{ organisation }}] Email is down.\n")
    stray = write(tmp_path, "en/sms/opend.users.j2", "typo\n")

    problems = check_templates(Renderer(tmp_path))

    assert any(str(lazy) in p and "alternative" in p for p in problems)
    assert any(str(lazy) in p and "ETA" in p for p in problems)
    assert any(str(stray) in p and "not used" in p for p in problems)


def test_templates_cannot_mark_text_safe(tmp_path: Path) -> None:
    write(tmp_path, "en/slack/opened.default.j2", "{{ incident.title|safe }}\n")

    with pytest.raises(TemplateError, match="safe"):
        Renderer(tmp_path).render(channel=ChannelName.SLACK, context=context(title=HOSTILE))


def test_templates_reach_no_internals(tmp_path: Path) -> None:
    write(tmp_path, "en/sms/opened.default.j2", "{{ incident.__class__.__mro__ }}\n")

    with pytest.raises(TemplateError, match="__class__"):
        Renderer(tmp_path).render(channel=ChannelName.SMS, context=context())


def test_refuses_a_tree_without_english(tmp_path: Path) -> None:
    write(tmp_path, "pt-BR/sms/opened.default.j2", "oi\n")

    with pytest.raises(TemplateError, match="fallback locale"):
        Renderer(tmp_path)


def test_unknown_timezone_is_a_config_error(renderer: Renderer) -> None:
    with pytest.raises(ConfigError, match="Mars/Olympus"):
        renderer.render(channel=ChannelName.SMS, context=context(timezone="Mars/Olympus"))


@pytest.mark.parametrize("channel", list(ChannelName))
@pytest.mark.parametrize("locale", ["en", "pt-BR"])
def test_a_reminder_to_the_lead_names_the_incident_and_the_slip(
    renderer: Renderer, channel: ChannelName, locale: str
) -> None:
    message = renderer.render(
        channel=channel,
        context=context(UpdateKind.REMINDER, "staff", locale, message="the ETA 14:30 has passed"),
    )
    assert "the ETA 14:30 has passed" in message.body
    assert "#" in message.body + message.title


# --- asking for an acknowledgement ------------------------------------------------------------

ACK_REQUEST = {
    "en": "Reply OK to confirm you got this.",
    "pt-BR": "Responda OK para confirmar o recebimento.",
}


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("kind", [UpdateKind.OPENED, UpdateKind.REOPENED, UpdateKind.UPDATE])
def test_an_sms_that_asks_ends_with_the_locales_request_and_is_measured_with_it(
    renderer: Renderer, kind: UpdateKind, locale: str
) -> None:
    plain = renderer.render(channel=ChannelName.SMS, context=context(kind, "management", locale))
    asking = renderer.render(
        channel=ChannelName.SMS, context=context(kind, "management", locale, acknowledge=True)
    )

    assert asking.body == f"{plain.body}\n{ACK_REQUEST[locale]}"
    assert ACK_REQUEST[locale] not in plain.body
    assert (asking.encoding, asking.segments) == (
        measure_sms(asking.body).encoding,
        measure_sms(asking.body).segments,
    )
    # The request itself never pushes a message out of GSM-7.
    assert measure_sms(ACK_REQUEST[locale]).encoding == "GSM-7"


@pytest.mark.parametrize("channel", [ChannelName.SLACK, ChannelName.FALLBACK])
def test_only_sms_get_the_written_request(renderer: Renderer, channel: ChannelName) -> None:
    plain = renderer.render(channel=channel, context=context(audience="management"))
    asking = renderer.render(
        channel=channel, context=context(audience="management", acknowledge=True)
    )

    assert asking == plain


def test_the_request_comes_from_the_locale_folder_that_served_the_template(
    renderer: Renderer,
) -> None:
    portuguese = renderer.render(
        channel=ChannelName.SMS, context=context(locale="pt-PT", acknowledge=True)
    )
    german = renderer.render(
        channel=ChannelName.SMS, context=context(locale="de", acknowledge=True)
    )

    assert portuguese.body.endswith(ACK_REQUEST["pt-BR"])
    assert german.body.endswith(ACK_REQUEST["en"])


def test_the_button_label_follows_the_readers_language(renderer: Renderer) -> None:
    assert renderer.ack_label("en") == "Acknowledge"
    assert renderer.ack_label("pt-BR") == renderer.ack_label("pt-PT") == "Ciente"
    assert renderer.ack_label("de") == "Acknowledge"


def test_templates_without_the_macros_still_ask_and_check_says_what_is_missing(
    tmp_path: Path,
) -> None:
    write(tmp_path, "en/_macros.j2", "{% macro reach() %}x{% endmacro %}\n")
    write(tmp_path, "en/sms/opened.default.j2", "Email is down.\n")
    renderer = Renderer(tmp_path)

    message = renderer.render(channel=ChannelName.SMS, context=context(acknowledge=True))

    assert message.body == f"Email is down.\n{ACK_REQUEST['en']}"
    assert renderer.ack_label("en") == "Acknowledge"
    problems = check_templates(renderer)
    macros = str(tmp_path / "en" / "_macros.j2")
    assert any(p.startswith(macros) and "ack_request()" in p for p in problems)
    assert any(p.startswith(macros) and "ack_button()" in p for p in problems)


def test_an_operators_own_request_is_used_and_escapes_nothing(tmp_path: Path) -> None:
    write(
        tmp_path,
        "en/_macros.j2",
        "{% macro ack_request() %}\nText OK & we stop\nchasing you.\n{% endmacro %}\n"
        "{% macro ack_button() %}Got it{% endmacro %}\n",
    )
    write(tmp_path, "en/sms/opened.default.j2", "Email is down.\n")
    renderer = Renderer(tmp_path)

    message = renderer.render(channel=ChannelName.SMS, context=context(acknowledge=True))

    assert message.body == "Email is down.\nText OK & we stop chasing you."
    assert renderer.ack_label("en") == "Got it"


# --- the unreached list to the incident lead ------------------------------------------------


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize(
    ("locale", "words"), [("en", "Call them by phone."), ("pt-BR", "Ligue para essas pessoas.")]
)
def test_the_lead_gets_the_unreached_list_with_numbers_to_call(
    renderer: Renderer, channel: ChannelName, locale: str, words: str
) -> None:
    people = "Silent Sam (management) +5521990000004\nBia Reis (management)"

    message = renderer.render(
        channel=channel, context=context(UpdateKind.UNREACHED, "staff", locale, message=people)
    )

    assert "Silent Sam (management) +5521990000004" in message.body
    assert "Bia Reis (management)" in message.body
    assert "#7" in message.body + message.title
    if channel in TEXT_ONLY:
        assert message.body.endswith(words)
    if channel is ChannelName.SMS:
        assert message.encoding == "GSM-7"
    elif channel not in TEXT_ONLY:
        assert message.title
