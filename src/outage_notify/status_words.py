"""The status page's and feed's words in English and Brazilian Portuguese; pure.

Phases are worded as in the message templates' `_macros.j2`, components come from
`template_filters.component_name`, times are local to the organisation (`format_time`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

from outage_notify.models import Phase, UpdateKind
from outage_notify.template_filters import format_time

if TYPE_CHECKING:
    # Only a type here: status_page reads the public words, which use these phrases.
    from outage_notify.status_page import CurrentIncident, PublicUpdate, StatusView

PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "page_title": "{organisation} email status",
        "ok": "Email is working",
        "ok_detail": "No known problems with email.",
        "down": "Email is not working properly",
        "verifying": "Email should work again: we are checking the fix",
        "phase": "Status",
        "since": "Since",
        "affected": "Affected",
        "all_email": "email",
        "latest": "Latest update",
        "history": "Updates",
        "eta": "Expected to work again by {time}.",
        "eta_passed": "We expected a fix by {time}; it is taking longer.",
        "next": "No fix time yet; next update by {time}.",
        "next_soon": "Next update by {time}.",
        "no_time": "No fix time yet; we will post an update as soon as we know more.",
        "reach": "How to reach IT meanwhile",
        "past": "Past incidents",
        "no_past": "No incidents recently.",
        "lasted": "lasted {duration}",
        "resolved_at": "resolved {time}",
        "footer": (
            "Times are {timezone} time ({offset}). This page refreshes every minute;"
            " updated {time}."
        ),
        "feed": "Follow updates (Atom feed)",
        "feed_title": "{organisation}: email status updates",
    },
    "pt-BR": {
        "page_title": "Status do e-mail da {organisation}",
        "ok": "O e-mail está funcionando",
        "ok_detail": "Nenhum problema conhecido com o e-mail.",
        "down": "O e-mail não está funcionando direito",
        "verifying": "O e-mail deve voltar a funcionar: estamos verificando o reparo",
        "phase": "Situação",
        "since": "Desde",
        "affected": "Afetado",
        "all_email": "e-mail",
        "latest": "Última atualização",
        "history": "Atualizações",
        "eta": "Previsão de normalização: {time}.",
        "eta_passed": "A previsão era {time}; está levando mais tempo.",
        "next": "Ainda sem previsão; próxima atualização até {time}.",
        "next_soon": "Próxima atualização até {time}.",
        "no_time": "Ainda sem previsão; publicaremos uma atualização assim que soubermos mais.",
        "reach": "Como falar com a TI enquanto isso",
        "past": "Incidentes anteriores",
        "no_past": "Nenhum incidente recente.",
        "lasted": "duração: {duration}",
        "resolved_at": "resolvido {time}",
        "footer": (
            "Horários de {timezone} ({offset}). Esta página se atualiza a cada minuto;"
            " atualizada {time}."
        ),
        "feed": "Acompanhar atualizações (feed Atom)",
        "feed_title": "{organisation}: atualizações sobre o e-mail",
    },
}
PHASES: dict[str, dict[Phase, str]] = {
    "en": {
        Phase.DETECTED: "problem detected", Phase.INVESTIGATING: "investigating",
        Phase.IDENTIFIED: "cause identified", Phase.FIXING: "fix in progress",
        Phase.VERIFYING: "verifying the fix", Phase.RESOLVED: "resolved",
    },
    "pt-BR": {
        Phase.DETECTED: "problema detectado", Phase.INVESTIGATING: "investigando",
        Phase.IDENTIFIED: "causa identificada", Phase.FIXING: "corrigindo",
        Phase.VERIFYING: "verificando o reparo", Phase.RESOLVED: "resolvido",
    },
}  # fmt: skip
KINDS: dict[str, dict[UpdateKind, str]] = {
    "en": {
        UpdateKind.OPENED: "Problem reported", UpdateKind.UPDATE: "Update",
        UpdateKind.ETA_CHANGED: "New expected fix time", UpdateKind.RESOLVED: "Resolved",
        UpdateKind.REOPENED: "The problem is back",
    },
    "pt-BR": {
        UpdateKind.OPENED: "Problema informado", UpdateKind.UPDATE: "Atualização",
        UpdateKind.ETA_CHANGED: "Nova previsão", UpdateKind.RESOLVED: "Resolvido",
        UpdateKind.REOPENED: "O problema voltou",
    },
}  # fmt: skip


def phrase(locale: str, key: str, **values: str) -> str:
    """One phrase of the page in `locale` (en when the locale has none)."""
    text = PHRASES.get(locale, PHRASES["en"])[key]
    return text.format(**values) if values else text


def phase_text(phase: Phase, locale: str) -> str:
    return PHASES.get(locale, PHASES["en"])[phase]


def kind_text(kind: UpdateKind, locale: str) -> str:
    return KINDS.get(locale, KINDS["en"])[kind]


def local_time(moment: datetime, *, zone: ZoneInfo, now: datetime, locale: str) -> str:
    """`14:30` today, with the date on other days, in the organisation's time zone."""
    return format_time(moment, zone=zone, now=now, locale=locale)


def outlook(
    *,
    eta: datetime | None,
    next_update_at: datetime | None,
    now: datetime,
    zone: ZoneInfo,
    locale: str,
) -> str:
    """The ETA, or when the next update comes: 'Expected to work again by 14:30.'."""

    def at(moment: datetime) -> str:
        return local_time(moment, zone=zone, now=now, locale=locale)

    if eta is not None and eta > now:
        return phrase(locale, "eta", time=at(eta))
    parts = [phrase(locale, "eta_passed", time=at(eta))] if eta is not None else []
    if next_update_at is not None:
        parts.append(phrase(locale, "next_soon" if eta else "next", time=at(next_update_at)))
    elif eta is None:
        parts.append(phrase(locale, "no_time"))
    return " ".join(parts)


def utc_offset(moment: datetime, zone: ZoneInfo) -> str:
    """'UTC-03:00': which clock the page's times are on, at `moment`."""
    offset = moment.astimezone(zone).strftime("%z") or "+0000"
    return f"UTC{offset[:3]}:{offset[3:]}"


def duration_text(seconds: int) -> str:
    """'45 min', '2 h 5 min', '1 d 3 h': the same in both languages."""
    minutes = max(1, round(seconds / 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


@dataclass(frozen=True)
class UpdateText:
    """One public update as the page lists it: when, and what it said."""

    at: str
    iso: str
    message: str


@dataclass(frozen=True)
class IncidentText:
    """One open incident's card."""

    id: int
    title: str
    description: str
    facts: tuple[tuple[str, str], ...]
    outlook: str
    updates: tuple[UpdateText, ...]


@dataclass(frozen=True)
class PastText:
    title: str
    components: str
    resolved: str
    lasted: str
    updates: tuple[UpdateText, ...] = ()


@dataclass(frozen=True)
class PageText:
    """Everything the status page template prints, worded and localised; no logic left."""

    lang: str
    page_title: str
    organisation: str
    state: Literal["ok", "down", "verifying"]  # the banner's colour
    headline: str
    detail: str
    # Every open incident, newest first: several services may be down at once.
    incidents: tuple[IncidentText, ...] = ()
    outlook: str = ""
    history_label: str = ""
    reach_label: str = ""
    alternatives: tuple[str, ...] = ()
    past_label: str = ""
    past: tuple[PastText, ...] = ()
    no_past: str = ""
    footer: str = ""
    feed_label: str = ""
    feed_url: str = ""
    # (lang code, language name, is the page's language), for the language switch.
    languages: tuple[tuple[str, str, bool], ...] = ()


def page_text(view: StatusView, *, timezone: str, feed_url: str) -> PageText:
    """The status page's words for `view`, with times in the organisation's `timezone`."""
    locale, now, zone = view.lang, view.generated_at, ZoneInfo(timezone)

    def at(moment: datetime) -> str:
        return local_time(moment, zone=zone, now=now, locale=locale)

    def history(updates: list[PublicUpdate]) -> tuple[UpdateText, ...]:
        return tuple(
            UpdateText(
                at=at(u.at), iso=u.at.isoformat(), message=u.message or kind_text(u.kind, locale)
            )
            for u in updates
        )

    def card(incident: CurrentIncident) -> IncidentText:
        affected = ", ".join(c.name for c in incident.components) or phrase(locale, "all_email")
        return IncidentText(
            id=incident.id,
            title=incident.title,
            description=incident.description,
            facts=(
                (phrase(locale, "phase"), phase_text(incident.phase, locale)),
                (phrase(locale, "since"), at(incident.since)),
                (phrase(locale, "affected"), affected),
            ),
            outlook=outlook(
                eta=incident.eta,
                next_update_at=incident.next_update_at,
                now=now,
                zone=zone,
                locale=locale,
            ),
            updates=history(incident.updates),
        )

    base = PageText(
        lang=locale,
        page_title=phrase(locale, "page_title", organisation=view.organisation),
        organisation=view.organisation,
        state="ok",
        headline=phrase(locale, "ok"),
        detail=phrase(locale, "ok_detail"),
        reach_label=phrase(locale, "reach"),
        alternatives=tuple(view.alternatives),
        history_label=phrase(locale, "history"),
        past_label=phrase(locale, "past"),
        past=tuple(
            PastText(
                title=p.title,
                components=", ".join(c.name for c in p.components),
                resolved=phrase(locale, "resolved_at", time=at(p.resolved_at)),
                lasted=phrase(locale, "lasted", duration=duration_text(p.duration_seconds)),
                updates=history(p.updates),
            )
            for p in view.past
        ),
        no_past=phrase(locale, "no_past"),
        footer=phrase(
            locale, "footer", timezone=timezone, offset=utc_offset(now, zone), time=at(now)
        ),
        feed_label=phrase(locale, "feed"),
        feed_url=feed_url,
        languages=tuple(
            (code, name, code == locale)
            for code, name in (("en", "English"), ("pt-BR", "Português"))
        ),
    )
    if not view.incidents:
        return base
    cards = tuple(card(incident) for incident in view.incidents)
    verifying = all(incident.phase is Phase.VERIFYING for incident in view.incidents)
    return replace(
        base,
        state="verifying" if verifying else "down",
        headline=phrase(locale, "verifying" if verifying else "down"),
        detail="",
        incidents=cards,
        # The banner answers "until when?" for the newest incident; each card has its own.
        outlook=cards[0].outlook,
    )
