"""What an update would send, before it is sent: every body and who would get it (pure).

Staff preview a declaration or an update (the console, `outage-notify incident … --preview`,
`POST /api/v1/incidents/preview`): the lifecycle decides as it would (`actions.preview`), the
decision becomes draft records (`draft_incident` here, `update_fields.draft_update`; never
stored), and `preview_update` plans them exactly as the worker does (`worker/steps.py`
`plan_update`: the same audiences, renderer, budgets and time zones), collecting each body
with its readers instead of writing deliveries. Each SMS is measured (encoding, segments, cost).

For an audience asked to acknowledge, with voice escalation on, the body a call would read
out carries the call's script (`call`), marked as said only if nobody acknowledged. A
WhatsApp body's Content Template (outside the 24-hour window) is added by `actions.preview`,
which may read the provider's content.yaml.

Not modelled: the per-recipient cap (a reader over it gets a digest later) and opt-outs
(stored replies): the preview may count readers who will not get this body now.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime

from outage_notify.config.settings import Settings
from outage_notify.contacts.directory import Directory
from outage_notify.core.models import (
    ChannelName,
    IncidentState,
    RenderedMessage,
    UpdateKind,
)
from outage_notify.core.records import IncidentRecord
from outage_notify.incidents.update_fields import DraftUpdate
from outage_notify.incidents.update_messages import renderer_for, update_plans
from outage_notify.messages.budget import Budgets
from outage_notify.messages.call_script import ScriptPart, call_script, call_words
from outage_notify.messages.fitting import Cut, Fitted
from outage_notify.messages.planning import Renderings, asks_acknowledgement, iter_deliveries
from outage_notify.messages.rendering import Renderer
from outage_notify.messages.sms_encoding import measure_sms

# Names listed per body; the count is always complete.
NAMES_LISTED = 50


@dataclass(frozen=True)
class DraftIncident:
    """An incident as a decision would leave it (satisfies `IncidentRecord`; never stored)."""

    id: int
    service: str
    title: str
    public_title: str
    summary: str
    severity: str
    phase: str
    components: list[str]
    active_groups: list[str]
    notified_audiences: dict[str, list[dict[str, str]]]
    eta: datetime | None
    next_update_at: datetime | None
    opened_at: datetime
    resolved_at: datetime | None
    created_by: str
    lead: str
    root_cause: str
    reminded_for: datetime | None
    verify_passes: int
    alerts_clear_since: datetime | None
    retracted_at: datetime | None
    cause_category: str
    cause_identified_at: datetime | None
    security_since: datetime | None


def draft_incident(
    state: IncidentState, *, before: IncidentRecord | None, actor: str
) -> DraftIncident:
    """The incident record a decision's `state` would be saved as (`before`: the stored one)."""
    return DraftIncident(
        id=before.id if before is not None else 0,
        service=state.service,
        title=state.title,
        public_title=before.public_title if before is not None else "",
        summary=state.summary,
        severity=state.severity.value,
        phase=state.phase.value,
        components=list(state.components),
        active_groups=list(state.active_groups),
        notified_audiences={k: list(v) for k, v in state.notified_audiences.items()},
        eta=state.eta,
        next_update_at=state.next_update_at,
        opened_at=state.opened_at,
        resolved_at=state.resolved_at,
        created_by=before.created_by if before is not None else actor,
        lead=state.lead,
        root_cause=before.root_cause if before is not None else "",
        reminded_for=state.reminded_for,
        verify_passes=state.verify_passes,
        alerts_clear_since=state.alerts_clear_since,
        retracted_at=state.retracted_at,
        cause_category=state.cause_category.value,
        cause_identified_at=state.cause_identified_at,
        security_since=state.security_since,
    )


@dataclass(frozen=True)
class SmsFigures:
    """One SMS body measured: what each reader's phone bills."""

    encoding: str
    length: int
    segments: int
    cost_per_message: float
    # For the readers whose first channel this is.
    cost_total: float


@dataclass(frozen=True)
class WhatsAppTemplate:
    """What a WhatsApp body becomes outside the 24-hour window: its approved Content Template.

    `content_sid` is "" when content.yaml has none for the kind and locale (then it cannot be
    sent outside the window); `text` is the approved body with the variables filled in.
    """

    content_sid: str
    variables: dict[str, str]
    text: str


# Who hears the call: its readers who have not acknowledged once their channels ran out.
CALL_CONDITION = "if not acknowledged"


@dataclass(frozen=True)
class CallPreview:
    """The voice-escalation call this body's readers would get (`CALL_CONDITION`)."""

    condition: str
    voice: str
    language: str
    script: tuple[ScriptPart, ...]


@dataclass(frozen=True)
class PreviewMessage:
    """One body of the update: an audience, kind, channel, locale and readers' zone."""

    audience: str
    kind: str
    channel: ChannelName
    locale: str
    # The readers' IANA zone; "" for the organisation's.
    timezone: str
    title: str
    body: str
    # Readers for whom this channel comes first (who gets it if it is delivered).
    recipients: int
    # Their names, the first NAMES_LISTED.
    names: tuple[str, ...]
    # Readers who get it only if their earlier channels fail.
    fallback_recipients: int
    sms: SmsFigures | None = None
    truncated: Cut | None = None
    # Over budget even without free text: cut at its end (shorten the template).
    overflow: str = ""
    whatsapp: WhatsAppTemplate | None = None
    call: CallPreview | None = None


@dataclass(frozen=True)
class UpdatePreview:
    """Everything an update would send, and to how many."""

    kind: str
    audiences: tuple[str, ...]
    messages: tuple[PreviewMessage, ...]
    recipients: int
    sms_cost: float
    warnings: tuple[str, ...] = field(default=())


@dataclass
class _Readers:
    first: list[str] = field(default_factory=list)
    later: int = 0


def preview_update(
    settings: Settings,
    directory: Directory,
    renderer: Renderer,
    budgets: Budgets,
    incident: IncidentRecord,
    update: DraftUpdate,
) -> UpdatePreview:
    """Plan `update` of `incident` as the worker would and return every body with its readers.

    Sends nothing and stores nothing. `renderer` and `budgets` are the snapshot in force
    (`LiveConfig.current()`), so what is shown is what the worker would render.
    """
    fitted: dict[tuple[str, ChannelName, str], Fitted] = {}

    def seen(result: Fitted) -> None:
        message = result.message
        fitted.setdefault((message.audience, message.channel, message.locale), result)

    render = renderer_for(settings, directory, renderer, budgets, incident, update, seen=seen)
    renderings = Renderings(render)
    plans = update_plans(settings, directory, incident, update) if update.recipients is None else []
    readers: dict[tuple[str, ChannelName, str, str], _Readers] = defaultdict(_Readers)
    total = 0
    for planned in iter_deliveries(
        plans,
        directory=directory,
        renderings=renderings,
        everyone_urls=tuple(settings.fallback.urls),
        everyone_locale=settings.default_locale,
        organisation_zone=settings.timezone,
    ):
        total += 1
        recipient = planned.recipient
        for position, route in enumerate(recipient.routes):
            key = (planned.audience, route.channel, recipient.locale, recipient.timezone)
            if position == 0:
                readers[key].first.append(recipient.name)
            else:
                readers[key].later += 1
    kinds = {plan.audience: plan.kind.value for plan in plans}
    messages = [
        _message(settings, message, kinds, readers, fitted, update)
        for message in renderings.messages
    ]
    if settings.voice.enabled:
        messages = _with_calls(settings, directory, messages)
    warnings = [
        f"{m.audience} {m.channel} ({m.locale}): the staff text is cut to "
        f"{m.truncated.kept} of {m.truncated.of} characters"
        for m in messages
        if m.truncated is not None
    ]
    if not plans:
        warnings.append("no audience is selected: nobody would be told")
    return UpdatePreview(
        kind=update.kind,
        audiences=tuple(plan.audience for plan in plans),
        messages=tuple(messages),
        recipients=total,
        sms_cost=round(sum(m.sms.cost_total for m in messages if m.sms is not None), 4),
        warnings=tuple(dict.fromkeys(warnings)),
    )


def _message(
    settings: Settings,
    message: RenderedMessage,
    kinds: dict[str, str],
    readers: dict[tuple[str, ChannelName, str, str], _Readers],
    fitted: dict[tuple[str, ChannelName, str], Fitted],
    update: DraftUpdate,
) -> PreviewMessage:
    group = readers.get((message.audience, message.channel, message.locale, message.timezone))
    first = group.first if group is not None else []
    result = fitted.get((message.audience, message.channel, message.locale))
    field_name = "message" if update.message else "summary"
    cut = result.kept(field_name) if result is not None else None
    sms = None
    if message.channel is ChannelName.SMS:
        measure = measure_sms(message.body)
        price = settings.sms_price_per_segment * measure.segments
        sms = SmsFigures(
            encoding=measure.encoding,
            length=measure.length,
            segments=measure.segments,
            cost_per_message=round(price, 4),
            cost_total=round(price * len(first), 4),
        )
    return PreviewMessage(
        audience=message.audience,
        kind=kinds.get(message.audience, update.kind),
        channel=message.channel,
        locale=message.locale,
        timezone=message.timezone,
        title=message.title,
        body=message.body,
        recipients=len(first),
        names=tuple(first[:NAMES_LISTED]),
        fallback_recipients=group.later if group is not None else 0,
        sms=sms,
        truncated=cut,  # the staff text shortened to fit this body, if it was
        overflow=result.overflow if result is not None else "",
    )


def _with_calls(
    settings: Settings, directory: Directory, messages: list[PreviewMessage]
) -> list[PreviewMessage]:
    """Each body a call would read out, with the call's script: per audience asked to
    acknowledge its kind, locale and zone, the SMS body, else its first body (as the worker's
    `voice_steps._text` picks it)."""
    read: dict[tuple[str, str, str], int] = {}
    for index, message in enumerate(messages):
        if not asks_acknowledgement(directory.routing, message.audience, UpdateKind(message.kind)):
            continue
        group = (message.audience, message.locale, message.timezone)
        kept = read.get(group)
        sms_first = message.channel is ChannelName.SMS
        if kept is None or (sms_first and messages[kept].channel is not ChannelName.SMS):
            read[group] = index
    found = list(messages)
    for index in read.values():
        message = messages[index]
        words = call_words(
            settings.templates_dir, message.locale, organisation=settings.organisation_name
        )
        voice, language = settings.voice.voice_for(message.locale)
        call = CallPreview(CALL_CONDITION, voice, language, call_script(words, message.body))
        found[index] = replace(message, call=call)
    return found
