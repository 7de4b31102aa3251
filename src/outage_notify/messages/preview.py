"""What every message will read like, and what its SMS costs (`outage-notify templates preview`).

Renders each kind x audience x channel x locale once, with a realistic incident written in the
locale's language and the organisation's own settings (name, alternatives, status page, time
zone), so what is previewed is what stakeholders would get. For every SMS it measures the
encoding, length and segments and estimates the cost per message and for the audience: the
contacts of that audience, in that locale, whose first channel is SMS. With transliteration it
also measures the GSM-7 form (`outage_notify.messages.transliteration`), side by side.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from outage_notify.channels.capacity import Budget
from outage_notify.config.settings import Settings
from outage_notify.contacts.directory import Directory
from outage_notify.contacts.routing import recipients
from outage_notify.core.errors import TemplateError
from outage_notify.core.models import (
    STAFF_KINDS,
    Audience,
    ChannelName,
    RenderedMessage,
    UpdateKind,
)
from outage_notify.messages.budget import for_directory
from outage_notify.messages.catalogs import N_, Words
from outage_notify.messages.planning import STAFF, asks_acknowledgement, find_contact
from outage_notify.messages.rendering import DEFAULT_AUDIENCE, MessageContext, Renderer
from outage_notify.messages.samples import sample_contexts
from outage_notify.messages.sms_encoding import SmsMeasure, measure_sms
from outage_notify.messages.template_check import long_free_text, must_keep_problem
from outage_notify.messages.transliteration import transliterate_sms

# What staff typically write during an outage, in each locale from its catalog.
_SAMPLE_TITLE = N_("Mail server mx1 not accepting connections")
_SAMPLE_MESSAGE = N_("Storage array failed; moving mailboxes to the standby server.")


@dataclass(frozen=True)
class Selection:
    """Which renders to preview; an empty tuple means all of them."""

    kinds: tuple[UpdateKind, ...] = ()
    audiences: tuple[str, ...] = ()
    locales: tuple[str, ...] = ()
    channels: tuple[ChannelName, ...] = ()


@dataclass(frozen=True)
class SmsCost:
    """One SMS as measured, and what it costs once and for its whole audience."""

    measure: SmsMeasure
    per_message: float
    recipients: int
    per_audience: float


@dataclass(frozen=True)
class PreviewRow:
    """One render: the message, the template it came from and, for SMS, its cost."""

    kind: UpdateKind
    audience: str
    channel: ChannelName
    locale: str
    template: str
    message: RenderedMessage
    sms: SmsCost | None = None
    # The GSM-7 form next to `sms`, when transliteration is previewed.
    transliterated: SmsCost | None = None
    transliterated_body: str = ""


def sample_context(
    *, kind: UpdateKind, audience: str, locale: str, settings: Settings, acknowledge: bool = False
) -> MessageContext:
    """A typical update in the locale's language, with the organisation's own settings.

    With `acknowledge` (the audience must acknowledge this kind) SMS end with the request.
    """
    typical = sample_contexts(kind=kind, audience=audience, locale=locale)[0]
    words = Words.of(settings.templates_dir, locale)
    title, message = words(_SAMPLE_TITLE), words(_SAMPLE_MESSAGE)
    return replace(
        typical,
        incident=replace(typical.incident, title=title),
        message=message,
        alternatives=tuple(settings.alternatives),
        organisation=settings.organisation_name,
        status_page_url=settings.status_page_url,
        timezone=settings.timezone,
        acknowledge=acknowledge,
    )


def preview(
    *,
    renderer: Renderer,
    directory: Directory,
    settings: Settings,
    selection: Selection = Selection(),
    transliterate: bool = False,
) -> list[PreviewRow]:
    """Render and measure every selected combination; raises TemplateError on the first error.

    `renderer` must not transliterate itself: SMS are measured as written and, with
    `transliterate`, also in their GSM-7 form.
    """
    if renderer.sms_transliterate:
        raise ValueError("preview needs a renderer built without sms_transliterate")
    price = settings.sms_price_per_segment
    counts = _sms_recipients(renderer, directory, settings)
    budgets = for_directory(settings, directory)
    rows = []
    for kind, audience in _kinds_and_audiences(renderer, directory, selection):
        for channel in selection.channels or tuple(ChannelName):
            for locale in selection.locales or renderer.locales:
                context = sample_context(
                    kind=kind,
                    audience=audience,
                    locale=locale,
                    settings=settings,
                    acknowledge=asks_acknowledgement(directory.routing, audience, kind),
                )
                # Measured as written: the GSM-7 form is the side-by-side column.
                budget = replace(budgets.budget(audience, channel), transliterate=False)
                message = renderer.render(channel=channel, context=context, budget=budget)
                template = _template(renderer, channel, context)
                _check_must_keep(renderer, channel, context, budget, template)
                row = PreviewRow(kind, audience, channel, locale, template, message)
                if channel is ChannelName.SMS:
                    count = counts.get((audience, _locale_folder(renderer, locale)), 0)
                    row = replace(row, sms=_cost(measure_sms(message.body), count, price))
                    if transliterate and budgets.audience_transliterate.get(audience, True):
                        body = transliterate_sms(message.body)
                        row = replace(
                            row,
                            transliterated=_cost(measure_sms(body), count, price),
                            transliterated_body=body,
                        )
                rows.append(row)
    return rows


def _check_must_keep(
    renderer: Renderer,
    channel: ChannelName,
    context: MessageContext,
    budget: Budget,
    template: str,
) -> None:
    """Raise TemplateError when the template's must-keep parts alone exceed the budget."""
    flooded = long_free_text(context)
    fitted = renderer.render_fitted(channel=channel, context=flooded, budget=budget, bare_only=True)
    if fitted.overflow:
        problem = must_keep_problem(channel, fitted.overflow)
        raise TemplateError(
            f"{renderer.templates_dir / template} ({context.audience}, {context.locale}): {problem}"
        )


def _kinds_and_audiences(
    renderer: Renderer, directory: Directory, selection: Selection
) -> Iterable[tuple[UpdateKind, str]]:
    # Reminders and the unreached list go to the incident lead only, never to an audience.
    audiences = sorted({*renderer.audiences, *directory.audiences, DEFAULT_AUDIENCE})
    for kind in selection.kinds or tuple(UpdateKind):
        for audience in [STAFF] if kind in STAFF_KINDS else audiences:
            if not selection.audiences or audience in selection.audiences:
                yield kind, audience


def _template(renderer: Renderer, channel: ChannelName, context: MessageContext) -> str:
    """The template file a render used, relative to the templates folder."""
    tried = renderer.candidates(
        channel=channel, kind=context.kind, audience=context.audience, locale=context.locale
    )
    used = next((path for path in tried if path.is_file()), tried[0])
    return str(used.relative_to(renderer.templates_dir))


def _locale_folder(renderer: Renderer, locale: str) -> Path:
    """The locale folder whose templates a reader of `locale` gets."""
    return renderer.candidates(
        channel=ChannelName.SMS, kind=UpdateKind.OPENED, audience=DEFAULT_AUDIENCE, locale=locale
    )[0].parent.parent


def _sms_recipients(
    renderer: Renderer, directory: Directory, settings: Settings
) -> Counter[tuple[str, Path]]:
    """By (audience, locale folder): the recipients whose first channel is SMS."""
    groups = list(directory.audiences.values())
    lead = find_contact(directory, settings.default_lead) if settings.default_lead else None
    if lead is not None:
        # Reminders go to the incident lead alone.
        groups.append(Audience(name=STAFF, contacts=[lead]))
    folders: dict[str, Path] = {}
    counts: Counter[tuple[str, Path]] = Counter()
    for group in groups:
        for recipient in recipients(group):
            if recipient.routes[0].channel is ChannelName.SMS:
                if recipient.locale not in folders:
                    folders[recipient.locale] = _locale_folder(renderer, recipient.locale)
                counts[(group.name, folders[recipient.locale])] += 1
    return counts


def _cost(measure: SmsMeasure, count: int, price: float) -> SmsCost:
    per_message = measure.segments * price
    return SmsCost(measure, per_message, count, per_message * count)
