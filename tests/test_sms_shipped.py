"""Every shipped SMS template, rendered for one realistic Portuguese incident: short and GSM-7.

Issue 14 item 11: a declared incident with a Portuguese title and summary gave management a
6-segment UCS-2 SMS (title, summary and component list saying the same thing). The messages
here are rendered as the worker renders them: the shipped contacts' routing (budgets,
acknowledgements), the shipped templates and default settings.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from outage_notify.config.settings import Settings
from outage_notify.contacts.directory import Directory, load_directory
from outage_notify.core.models import (
    STAFF_KINDS,
    ChannelName,
    Phase,
    RenderedMessage,
    Severity,
    UpdateKind,
)
from outage_notify.messages.budget import Budgets, for_directory
from outage_notify.messages.planning import asks_acknowledgement
from outage_notify.messages.rendering import IncidentView, MessageContext, Renderer
from tests.fixtures.settings import build_settings

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES, CONTACTS = ROOT / "templates", ROOT / "contacts"
LOCALES = ("en", "pt-BR", "es")
AUDIENCES = ("management", "users", "partners")
STAKEHOLDER_KINDS = tuple(kind for kind in UpdateKind if kind not in STAFF_KINDS)

OPENED = datetime(2026, 12, 4, 18, 15, tzinfo=UTC)
# What staff typed when they declared it, and a plain progress update of typical length.
TITLE = "Servidor de e-mail não envia nem recebe mensagens"
SUMMARY = (
    "O servidor de e-mail principal parou de aceitar conexões às 15h10; envio e recebimento "
    "estão parados para toda a empresa. Estamos investigando."
)
UPDATE = "Encontramos a causa: o disco do servidor encheu. Estamos liberando espaço agora."
# .env.example's alternatives, and a status page.
ALTERNATIVES = ("IT hotline +55 11 4000-1234", "Slack #it-help")
STATUS_PAGE = "https://status.example.com"


def settings(**values: object) -> Settings:
    return build_settings(**values)


@pytest.fixture(scope="module")
def directory() -> Directory:
    return load_directory(CONTACTS, locales=frozenset(LOCALES))


def incident(kind: UpdateKind) -> IncidentView:
    resolved = OPENED + timedelta(hours=1) if kind is UpdateKind.RESOLVED else None
    return IncidentView(
        id=42,
        title=TITLE,
        summary=SUMMARY,
        severity=Severity.CRITICAL,
        phase=Phase.RESOLVED if resolved else Phase.INVESTIGATING,
        components=("inbound", "outbound"),
        opened_at=OPENED,
        next_update_at=OPENED + timedelta(minutes=30),
        resolved_at=resolved,
    )


def render(
    renderer: Renderer,
    budgets: Budgets,
    directory: Directory,
    *,
    kind: UpdateKind,
    audience: str,
    locale: str,
    message: str | None = None,
) -> RenderedMessage:
    """The SMS one (kind, audience, locale) gets, within that audience's budget."""
    if message is None:
        # A declaration's first update carries its summary; a staff update its message.
        message = SUMMARY if kind is UpdateKind.OPENED else UPDATE
    context = MessageContext(
        kind=kind,
        audience=audience,
        locale=locale,
        incident=incident(kind),
        message=message,
        alternatives=ALTERNATIVES,
        organisation="Example Corp",
        status_page_url=STATUS_PAGE,
        timezone="America/Sao_Paulo",
        now=OPENED + timedelta(minutes=20),
        acknowledge=asks_acknowledgement(directory.routing, audience, kind),
    )
    return renderer.render(
        channel=ChannelName.SMS, context=context, budget=budgets.budget(audience, ChannelName.SMS)
    )


def shipped(directory: Directory) -> tuple[Renderer, Budgets]:
    """The renderer and budgets a worker builds from default settings and shipped files."""
    values = settings()
    renderer = Renderer(TEMPLATES, sms_transliterate=values.sms_transliterate)
    return renderer, for_directory(values, directory)


def test_transliteration_is_on_by_default() -> None:
    assert settings().sms_transliterate is True
    assert settings(sms_transliterate=False).sms_transliterate is False


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("audience", AUDIENCES)
@pytest.mark.parametrize("kind", STAKEHOLDER_KINDS)
def test_every_shipped_sms_is_gsm7_within_its_budget(
    directory: Directory, kind: UpdateKind, audience: str, locale: str
) -> None:
    renderer, budgets = shipped(directory)
    sms = render(renderer, budgets, directory, kind=kind, audience=audience, locale=locale)
    budget = budgets.budget(audience, ChannelName.SMS).max_segments
    assert sms.encoding == "GSM-7", sms.body
    assert sms.segments <= budget, sms.body
    # Users: two segments for every ordinary message (routing.yaml `sms_max_segments`).
    if audience == "users":
        assert sms.segments <= 2, sms.body


@pytest.mark.parametrize("locale", LOCALES)
def test_a_plain_update_reaches_users_whole_in_two_gsm7_segments(
    directory: Directory, locale: str
) -> None:
    renderer, budgets = shipped(directory)
    sms = render(
        renderer, budgets, directory, kind=UpdateKind.UPDATE, audience="users", locale=locale
    )
    assert (sms.encoding, sms.segments) == ("GSM-7", 2), sms.body
    # Nothing of the staff text was cut to get there (transliterated, as it is sent).
    assert "Encontramos a causa: o disco do servidor encheu. Estamos liberando espaco agora." in (
        sms.body
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_management_reads_a_declared_incident_once_not_three_times(
    directory: Directory, locale: str
) -> None:
    # The reproduction: title + summary + component list, 6 UCS-2 segments.
    renderer, budgets = shipped(directory)
    sms = render(
        renderer, budgets, directory, kind=UpdateKind.OPENED, audience="management", locale=locale
    )
    assert sms.encoding == "GSM-7", sms.body
    assert sms.segments <= 3, sms.body
    # The summary says what the title says: it is shown, whole, and the title is not.
    assert "O servidor de e-mail principal parou de aceitar conexoes" in sms.body
    assert "Estamos investigando." in sms.body
    assert "Servidor de e-mail nao envia" not in sms.body
    assert sms.body.count("recebimento de e-mails") <= 1
    # Still asks to acknowledge (routing.yaml), within the same budget.
    assert sms.body.splitlines()[-1] in (
        "Reply OK to confirm you got this.",
        "Responda OK para confirmar o recebimento.",
        "Responda OK para confirmar que lo recibio.",
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_an_alert_incident_without_staff_text_shows_the_alert_title(
    directory: Directory, locale: str
) -> None:
    renderer, budgets = shipped(directory)
    sms = render(
        renderer,
        budgets,
        directory,
        kind=UpdateKind.OPENED,
        audience="management",
        locale=locale,
        message="",
    )
    assert "Servidor de e-mail nao envia nem recebe mensagens" in sms.body
    assert sms.encoding == "GSM-7"


@pytest.mark.parametrize("kind", sorted(STAFF_KINDS))
def test_staff_sms_are_gsm7_too(directory: Directory, kind: UpdateKind) -> None:
    renderer, budgets = shipped(directory)
    sms = render(
        renderer,
        budgets,
        directory,
        kind=kind,
        audience="default",
        locale="pt-BR",
        message="Atualização atrasada; informe uma nova previsão.",
    )
    assert sms.encoding == "GSM-7", sms.body
    assert sms.segments <= 3, sms.body


def test_an_audience_may_keep_its_accents(directory: Directory, tmp_path: Path) -> None:
    # routing.yaml `sms_transliterate: {management: false}`: management reads ã and ç (UCS-2),
    # everyone else still gets GSM-7.
    folder = tmp_path / "contacts"
    shutil.copytree(CONTACTS, folder)
    routing = folder / "routing.yaml"
    routing.write_text(
        routing.read_text(encoding="utf-8") + "sms_transliterate:\n  management: false\n",
        encoding="utf-8",
    )
    own = load_directory(folder, locales=frozenset(LOCALES))
    renderer, budgets = shipped(own)
    # Accents cost UCS-2 segments: without room for them the fit would cut the staff text.
    budgets = replace(
        budgets, audience_sms_segments={**budgets.audience_sms_segments, "management": 6}
    )
    manager = render(
        renderer, budgets, own, kind=UpdateKind.UPDATE, audience="management", locale="pt-BR"
    )
    user = render(renderer, budgets, own, kind=UpdateKind.UPDATE, audience="users", locale="pt-BR")
    assert manager.encoding == "UCS-2" and "espaço" in manager.body
    assert user.encoding == "GSM-7" and "espaco" in user.body


def test_with_the_setting_off_an_audience_may_still_opt_in(directory: Directory) -> None:
    renderer = Renderer(TEMPLATES, sms_transliterate=False)
    budgets = replace(
        for_directory(settings(sms_transliterate=False), directory),
        audience_transliterate={"users": True},
        audience_sms_segments={"management": 6, "users": 2},
    )
    manager = render(
        renderer, budgets, directory, kind=UpdateKind.UPDATE, audience="management", locale="pt-BR"
    )
    user = render(
        renderer, budgets, directory, kind=UpdateKind.UPDATE, audience="users", locale="pt-BR"
    )
    assert manager.encoding == "UCS-2" and "espaço" in manager.body
    assert user.encoding == "GSM-7" and "espaco" in user.body
