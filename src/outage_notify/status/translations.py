"""The status page's and feed's words, from the gettext catalogs of every locale; pure.

Phases are worded as in the message templates' `_macros.j2`, components come from
`template_filters.component_name`, times are local to the organisation (`format_time`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError

from outage_notify.core.models import Phase, UpdateKind
from outage_notify.messages.catalogs import N_, Words, locales
from outage_notify.messages.filters import format_time

# The page's phrases live with the public words, whose last resort they are.
from outage_notify.messages.public_words import PHRASES, TEMPLATES
from outage_notify.status.maintenance import PlannedText, planned_texts

if TYPE_CHECKING:
    from outage_notify.status.page import CurrentIncident, PublicUpdate, StatusView

PHASES: dict[Phase, str] = {
    Phase.DETECTED: N_("problem detected"), Phase.INVESTIGATING: N_("investigating"),
    Phase.IDENTIFIED: N_("cause identified"), Phase.FIXING: N_("fix in progress"),
    Phase.VERIFYING: N_("verifying the fix"), Phase.RESOLVED: N_("resolved"),
}  # fmt: skip
KINDS: dict[UpdateKind, str] = {
    UpdateKind.OPENED: N_("Problem reported"), UpdateKind.UPDATE: N_("Update"),
    UpdateKind.ETA_CHANGED: N_("New expected fix time"), UpdateKind.RESOLVED: N_("Resolved"),
    UpdateKind.REOPENED: N_("The problem is back"),
}  # fmt: skip


def phase_text(phase: Phase, locale: str, *, templates_dir: Path = TEMPLATES) -> str:
    return Words.of(templates_dir, locale)(PHASES[phase])


def kind_text(kind: UpdateKind, locale: str, *, templates_dir: Path = TEMPLATES) -> str:
    return Words.of(templates_dir, locale)(KINDS.get(kind, kind.value))


def language_name(locale: str) -> str:
    """The language's own name for itself ('português (Brasil)'), from Babel's CLDR data."""
    try:
        name = Locale.parse(locale.replace("-", "_")).get_display_name()
    except (ValueError, UnknownLocaleError):
        return locale
    return (name or locale)[:1].upper() + (name or locale)[1:]


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
    templates_dir: Path = TEMPLATES,
) -> str:
    """The ETA, or when the next update comes: 'Expected to work again by 14:30.'."""
    words = Words.of(templates_dir, locale)

    def at(moment: datetime) -> str:
        return local_time(moment, zone=zone, now=now, locale=locale)

    if eta is not None and eta > now:
        return words(PHRASES["eta"], time=at(eta))
    parts = [words(PHRASES["eta_passed"], time=at(eta))] if eta is not None else []
    if next_update_at is not None:
        parts.append(words(PHRASES["next_soon" if eta else "next"], time=at(next_update_at)))
    elif eta is None:
        parts.append(words(PHRASES["no_time"]))
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
    # Where people subscribe to the outage texts; "" when self-subscription is off.
    subscribe_label: str = ""
    subscribe_url: str = ""
    # (lang code, language name, is the page's language), for the language switch.
    languages: tuple[tuple[str, str, bool], ...] = ()
    # Scheduled maintenance in progress and upcoming (status/maintenance.py).
    maintenance_label: str = ""
    maintenance: tuple[PlannedText, ...] = ()


def page_text(
    view: StatusView,
    *,
    timezone: str,
    feed_url: str,
    templates_dir: Path = TEMPLATES,
    subscribe_url: str = "",
) -> PageText:
    """The status page's words for `view`, with times in the organisation's `timezone`; the
    language switch lists every locale folder of `templates_dir`."""
    locale, now, zone = view.lang, view.generated_at, ZoneInfo(timezone)
    words = Words.of(templates_dir, locale)

    def phrase(locale: str, key: str, **values: str) -> str:
        return words(PHRASES[key], **values)

    def at(moment: datetime) -> str:
        return local_time(moment, zone=zone, now=now, locale=locale)

    def history(updates: list[PublicUpdate]) -> tuple[UpdateText, ...]:
        return tuple(
            UpdateText(
                at=at(u.at),
                iso=u.at.isoformat(),
                message=u.message or kind_text(u.kind, locale, templates_dir=templates_dir),
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
                (
                    phrase(locale, "phase"),
                    phase_text(incident.phase, locale, templates_dir=templates_dir),
                ),
                (phrase(locale, "since"), at(incident.since)),
                (words.plural("Affected", "Affected", max(1, len(incident.components))), affected),
            ),
            outlook=outlook(
                eta=incident.eta,
                next_update_at=incident.next_update_at,
                now=now,
                zone=zone,
                locale=locale,
                templates_dir=templates_dir,
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
        subscribe_label=phrase(locale, "subscribe") if subscribe_url else "",
        subscribe_url=subscribe_url,
        maintenance_label=phrase(locale, "maintenance"),
        maintenance=planned_texts(
            view.maintenance, zone=zone, now=now, locale=locale, templates_dir=templates_dir
        ),
        languages=tuple(
            (code, language_name(code), code == locale) for code in locales(templates_dir)
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
