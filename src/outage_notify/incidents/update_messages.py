"""The messages of one update, as the worker renders them, and what fitting them cut.

The worker plans with `renderer_for` (one body per audience, channel, locale and readers' time
zone, within that audience's budget); the API calls `truncations` with the same inputs right
after accepting a staff update, so its answer says exactly which readers get the staff message
shortened.

It lives with the incidents, not in `messages`, because it rewords the incidents' own automatic
texts (reminders, a failed verification, lead notices) for each reader: the incidents use the
messages package, never the reverse.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from outage_notify.config.settings import Settings
from outage_notify.contacts.alternatives import alternatives_for
from outage_notify.contacts.directory import Directory
from outage_notify.contacts.routing import recipients
from outage_notify.core.models import ChannelName, Phase, RenderedMessage, Severity, UpdateKind
from outage_notify.core.records import IncidentRecord, UpdateRecord
from outage_notify.incidents.lead_notices import FAILED_EVENT_ACTOR, FAILED_EVENT_NOTICE
from outage_notify.incidents.notification_clock import CLOCK_ACTOR, CLOCK_MESSAGES
from outage_notify.incidents.reminders import HOLDING_ACTOR, REMINDER_MESSAGES
from outage_notify.incidents.verification import ACTOR as PROBE_ACTOR
from outage_notify.incidents.verification import FIX_DID_NOT_HOLD
from outage_notify.messages.budget import Budgets
from outage_notify.messages.catalogs import Words
from outage_notify.messages.fitting import Fitted
from outage_notify.messages.planning import (
    EVERYONE,
    STAFF,
    WHOLE,
    AudiencePlan,
    Render,
    Renderings,
    asks_acknowledgement,
    iter_deliveries,
    plan_audiences,
)
from outage_notify.messages.rendering import IncidentView, MessageContext, Renderer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Truncation:
    """The staff message is shortened for one (audience, channel, locale): `kept` of `of`."""

    audience: str
    channel: ChannelName
    locale: str
    # "message" (an update) or "summary" (a declaration's text)
    field: str
    kept: int
    of: int


def renderer_for(
    settings: Settings,
    directory: Directory,
    renderer: Renderer,
    budgets: Budgets,
    incident: IncidentRecord,
    update: UpdateRecord,
    *,
    seen: Callable[[Fitted], None] | None = None,
    now: datetime | None = None,
    current: bool = False,
    ask: bool = True,
) -> Render:
    """Renders the update for (audience, kind, channel, locale, zone); `seen` gets every result.

    The zone is the readers' ("" for the organisation's, OUTAGE_NOTIFY_TIMEZONE): times are
    written in it, with its abbreviation when it is not the organisation's.
    `now` (default: the clock at each render) decides whether times carry a date; the golden
    messages (tests/golden_messages.py) pass a fixed one so their files stay the same.
    With `current`, the incident's facts (phase, severity, components, ETA, next update) are
    those it has now rather than when the update was written: for a re-send (a chase, a
    fallback, a held message released), which must never repeat what no longer holds.
    Without `ask`, no SMS ends with the acknowledgement request (a body something follows).
    """
    source = incident if current else update
    view = IncidentView(
        id=incident.id,
        title=incident.title,
        summary=incident.summary,
        severity=Severity(source.severity),
        phase=Phase(source.phase),
        components=tuple(source.components),
        opened_at=incident.opened_at,
        eta=source.eta,
        next_update_at=source.next_update_at,
        resolved_at=incident.resolved_at,
        service=incident.service,
        added=tuple((update.scope or {}).get("added", ())),
        restored=tuple((update.scope or {}).get("restored", ())),
    )
    # "was 16:00" only for an ETA that was in force and is not the one shown now.
    eta_previous = update.eta_previous if update.eta_previous != view.eta else None

    def render(
        audience: str, kind: UpdateKind, channel: ChannelName, locale: str, zone: str = ""
    ) -> RenderedMessage:
        context = MessageContext(
            kind=kind,
            audience=audience,
            locale=locale,
            incident=view,
            message=reader_message(settings, update, locale),
            alternatives=alternatives_for(settings, directory, audience, locale),
            organisation=settings.organisation_name,
            status_page_url=settings.status_page_url,
            timezone=zone or settings.timezone,
            organisation_timezone=settings.timezone,
            acknowledge=ask and asks_acknowledgement(directory.routing, audience, kind),
            more_url=more_url(settings),
            now=now,
            eta_first=eta_previous is None,
            eta_previous=eta_previous,
            staff_text=update.staff_text,
            security=incident.security_since is not None,
        )
        fitted = renderer.render_fitted(
            channel=channel, context=context, budget=budgets.budget(audience, channel)
        )
        if fitted.overflow:
            # `templates check` refuses such templates at start; a later contacts or settings
            # change can still get here. The body was cut at its end to be sent at all.
            log.warning(
                "the %s message for %s (%s) is over budget without any free text (%s); "
                "cut at its end: shorten the template",
                channel,
                audience,
                locale,
                fitted.overflow,
            )
        if seen is not None:
            seen(fitted)
        return fitted.message

    return render


# Automatic texts stored in English (their msgid filled in), by the actor that writes them;
# a reader gets them in their own language. Staff text is never reworded.
SYSTEM_MESSAGES = {
    HOLDING_ACTOR: REMINDER_MESSAGES,
    PROBE_ACTOR: (FIX_DID_NOT_HOLD,),
    FAILED_EVENT_ACTOR: (FAILED_EVENT_NOTICE,),
    CLOCK_ACTOR: CLOCK_MESSAGES,
}


def _pattern(msgid: str) -> re.Pattern[str]:
    parts = re.split(r"%\((\w+)\)s", msgid)
    seen: set[str] = set()
    pattern = ""
    for index, part in enumerate(parts):
        if index % 2 == 0:
            pattern += re.escape(part)
        elif part in seen:
            # A value said twice ("event %(id)s … /events/%(id)s/retry") is the same value.
            pattern += f"(?P={part})"
        else:
            seen.add(part)
            pattern += f"(?P<{part}>.+?)"
    return re.compile(f"{pattern}$")


def reader_message(settings: Settings, update: UpdateRecord, locale: str) -> str:
    """The update's message for a reader of `locale`: staff text as written; an automatic
    text (the holding message, a failed verification, the lead's reminders and failed-event
    notices) in the reader's language."""
    for msgid in SYSTEM_MESSAGES.get(update.created_by, ()):
        found = _pattern(msgid).match(update.message)
        if found:
            return Words.of(settings.templates_dir, locale)(msgid, **found.groupdict())
    return update.message


def more_url(settings: Settings) -> str:
    """Where a shortened text continues: STATUS_PAGE_URL, else the status page this service
    serves when PUBLIC_BASE_URL was set (its default, 127.0.0.1, would reach nobody)."""
    if settings.status_page_url:
        return settings.status_page_url
    if "public_base_url" in settings.model_fields_set:
        return settings.public_base_url.rstrip("/") + "/status"
    return ""


def update_plans(
    settings: Settings, directory: Directory, incident: IncidentRecord, update: UpdateRecord
) -> list[AudiencePlan]:
    """Who hears the update, as the worker plans it (worker/steps.py `plan_update`)."""
    if update.recipients is not None:
        return [AudiencePlan(STAFF, UpdateKind(update.kind), WHOLE)] if update.recipients else []
    return plan_audiences(
        kind=UpdateKind(update.kind),
        explicit=update.audiences,
        severity=Severity(update.severity),
        components=update.components,
        notified=incident.notified_audiences,
        directory=directory,
        everyone=bool(settings.fallback.urls),
        security=incident.security_since is not None,
    )


Combos = dict[str, frozenset[tuple[ChannelName, str, str]]]


def audience_combos(settings: Settings, directory: Directory) -> Combos:
    """Per audience, every (channel, locale, zone) its recipients' routes use: what gets
    rendered (the zone "" for the organisation's, as planning writes it).

    Computed once per directory (seconds for 100,000 contacts) so the API need not walk every
    recipient of a whole audience on each staff update.
    """
    combos: Combos = {}
    for name, audience in directory.audiences.items():
        found = {
            (
                route.channel,
                recipient.locale,
                "" if recipient.timezone == settings.timezone else recipient.timezone,
            )
            for recipient in recipients(audience, broadcast_locale=directory.broadcast_locale(name))
            for route in recipient.routes
        }
        combos[name] = frozenset(found)
    if settings.fallback.urls:
        combos[EVERYONE] = frozenset({(ChannelName.FALLBACK, settings.default_locale, "")})
    return combos


def truncations(
    settings: Settings,
    directory: Directory,
    renderer: Renderer,
    budgets: Budgets,
    incident: IncidentRecord,
    update: UpdateRecord,
    combos: Combos | None = None,
) -> list[Truncation]:
    """Where the update's staff text will be shortened to fit, as the worker will send it.

    The staff text is the update's message, or for a declaration without one the summary.
    `combos` (from `audience_combos`) stands for the recipients of a whole audience.
    """
    field = "message" if update.message else "summary"
    if update.recipients is not None or not (update.message or incident.summary):
        return []
    # Readers in other zones get bodies of their own, a few characters longer or shorter:
    # an (audience, channel, locale) is named once, with what its least lucky readers keep.
    found: dict[tuple[str, ChannelName, str], Truncation] = {}

    def seen(fitted: Fitted) -> None:
        cut = fitted.kept(field)
        if cut is not None:
            message = fitted.message
            key = (message.audience, message.channel, message.locale)
            if key not in found or cut.kept < found[key].kept:
                found[key] = Truncation(*key, field, cut.kept, cut.of)

    render = renderer_for(settings, directory, renderer, budgets, incident, update, seen=seen)
    narrowed = []
    for plan in update_plans(settings, directory, incident, update):
        if combos is not None and plan.tag_filters == WHOLE and plan.audience in combos:
            for channel, locale, zone in sorted(combos[plan.audience]):
                render(plan.audience, plan.kind, channel, locale, zone)
        else:
            narrowed.append(plan)
    # A tag-narrowed audience: only the (channel, locale) its selected recipients use.
    for _ in iter_deliveries(
        narrowed,
        directory=directory,
        renderings=Renderings(render),
        everyone_urls=tuple(settings.fallback.urls),
        everyone_locale=settings.default_locale,
        organisation_zone=settings.timezone,
    ):
        pass
    return list(found.values())
