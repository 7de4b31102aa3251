"""`templates check` and the start's check: render every template on sample data, list problems.

Besides what the SOP asks of a message (the alternatives, the status page, the ETA or the next
update time), every template must fit its channel's budget with its must-keep parts alone: a
sample with 10,000 characters of free text is rendered, and a template whose text without any
free text is still over budget is named (such a body could only be cut at its end).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

from outage_notify.channels.capacity import Budget, default_budget
from outage_notify.config.settings import Settings
from outage_notify.contacts.directory import Directory
from outage_notify.contacts.loading import load_contacts
from outage_notify.core.errors import TemplateError
from outage_notify.core.models import (
    MAINTENANCE_KINDS,
    SECURITY_AUDIENCE,
    STAFF_KINDS,
    ChannelName,
    RenderedMessage,
    UpdateKind,
)
from outage_notify.messages.budget import Budgets, deployment_values, for_directory
from outage_notify.messages.filters import format_time
from outage_notify.messages.rendering import (
    DEFAULT_AUDIENCE,
    MACROS,
    SECURITY_TEMPLATE,
    BudgetFor,
    MessageContext,
    Renderer,
    _describe,
)
from outage_notify.messages.samples import sample_contexts

Values = dict[str, Any]
# Free text far over any budget: the check then measures the must-keep parts alone.
LONG_TEXT = "Storage array failed; moving mailboxes to the standby server. " * 160


def load_and_check(settings: Settings) -> tuple[Directory, list[str]]:
    """The deployment's contacts, and every problem of its templates with them.

    What `serve` and `templates check` check before anything is sent; raises ConfigError.
    """
    directory = load_contacts(settings)
    return directory, check_deployment(settings, directory)


def check_deployment(
    settings: Settings, directory: Directory, budgets: Budgets | None = None
) -> list[str]:
    """Every problem of the deployment's templates, with its own budgets and values.

    The budgets are those of `directory`'s audiences (their fallback targets' limits; pass
    `for_directory(settings, directory)` where it is already built). Raises ConfigError when
    the templates folder or a setting cannot be used.
    """
    if budgets is None:
        budgets = for_directory(settings, directory)
    values = deployment_values(settings)
    renderer = Renderer(
        settings.templates_dir,
        components=directory.components,
        worded_like=directory.routing.worded_like,
    )
    return check_templates(renderer, budgets.budget, values)


def check_templates(
    renderer: Renderer, budget_for: BudgetFor | None = None, values: Values | None = None
) -> list[str]:
    """Every problem of the renderer's templates folder, each naming its file.

    `values` (organisation, alternatives, status_page_url, timezone) are the deployment's own:
    they are must-keep parts, so the budget check uses them rather than the samples'.
    """
    problems = [
        f"{path}: not used: expected {{channel}}/{{kind}}.{{audience}}.j2 or "
        f"{{channel}}/security.{{audience}}.j2"
        for path in renderer._files
        if path.parent.name not in set(ChannelName)
        or len(path.name.split(".")) != 3
        or path.name.split(".")[0] not in {*UpdateKind, SECURITY_TEMPLATE}
    ]
    for locale in renderer.locales:
        problems += _missing_macros(renderer, locale)
        for channel in ChannelName:
            for kind in UpdateKind:
                for audience in dict.fromkeys([*renderer.audiences, DEFAULT_AUDIENCE]):
                    budget = (budget_for or _default)(audience, channel)
                    samples = _samples(channel, kind, audience, locale, values or {})
                    if (
                        kind not in STAFF_KINDS
                        and kind not in MAINTENANCE_KINDS
                        and audience != SECURITY_AUDIENCE
                    ):
                        # What the audience reads once the incident is in security mode.
                        samples += [replace(sample, security=True) for sample in samples]
                    for sample in samples:
                        try:
                            fitted = renderer.render_fitted(
                                channel=channel,
                                context=sample,
                                budget=budget,
                                bare_only=sample.message is LONG_TEXT,
                            )
                        except TemplateError as error:
                            problems.append(str(error))
                            break
                        where = renderer._template(channel, sample)[1]
                        if fitted.overflow:
                            problem = must_keep_problem(channel, fitted.overflow)
                            problems.append(f"{where}: {problem}")
                            break
                        # Without free text too, what a reader needs is all there.
                        found = _problems(fitted.message, sample)
                        problems += [f"{where}: {p}" for p in found]
    return list(dict.fromkeys(problems))


def must_keep_problem(channel: ChannelName, overflow: str) -> str:
    """The sentence for a template whose must-keep parts alone are over budget."""
    advice = "shorten the template"
    if channel is ChannelName.SMS:
        advice += (
            " or the ALTERNATIVES, set OUTAGE_NOTIFY_SMS_TRANSLITERATE=true (one ã or ç makes"
            " every segment 70 characters instead of 160), or raise OUTAGE_NOTIFY_SMS_MAX_SEGMENTS"
        )
    return f"without any free text the {channel} message still takes {overflow}; {advice}"


def _default(audience: str, channel: ChannelName) -> Budget:
    return default_budget(channel)


def _samples(
    channel: ChannelName, kind: UpdateKind, audience: str, locale: str, values: Values
) -> list[MessageContext]:
    samples = sample_contexts(kind=kind, audience=audience, locale=locale)
    if channel is ChannelName.SMS and kind not in STAFF_KINDS:
        # As sent to an audience that must acknowledge: the request counts.
        samples.append(replace(samples[0], acknowledge=True))
    samples.append(long_free_text(replace(samples[-1], **values)))
    return samples


def long_free_text(context: MessageContext) -> MessageContext:
    """`context` with every free-text field far over any budget."""
    incident = replace(
        context.incident,
        title=LONG_TEXT[:300],
        summary=LONG_TEXT,
        components=tuple(f"part-{n}" for n in range(500)),
    )
    return replace(context, message=LONG_TEXT, incident=incident)


def _missing_macros(renderer: Renderer, locale: str) -> list[str]:
    """The renderer's own macros that a locale's `_macros.j2` lacks."""
    path = renderer.templates_dir / locale / MACROS
    if not path.is_file():
        return []  # its templates import nothing from it; `en`'s phrases are used
    problems = []
    for name, use in (("ack_request", "ends SMS asking for an acknowledgement"),
                      ("ack_button", "labels the Slack Acknowledge button")):  # fmt: skip
        try:
            found = renderer._macro(locale, ChannelName.SMS, name, {})
        except Exception as error:
            problems.append(_describe(error, str(path)))
            continue
        if found is None:
            problems.append(f"{path}: no {name}() macro (it {use})")
    return problems


def _problems(message: RenderedMessage, context: MessageContext) -> list[str]:
    """What the SOP requires of a message, checked on sample data."""
    found: list[str] = []
    if not message.body:
        found.append("empty body")
    if (
        context.kind
        in (UpdateKind.RESOLVED, UpdateKind.RETRACTED, UpdateKind.MAINTENANCE_COMPLETED)
        or context.kind in STAFF_KINDS
    ):
        # Nothing left to promise (fixed, never broken, or the work is over), or a note to
        # the lead rather than to stakeholders.
        return found
    found += [f"alternative {a!r} missing" for a in context.alternatives if a not in message.body]
    if context.status_page_url and context.status_page_url not in message.body:
        found.append("status page link missing")
    promised = context.incident.eta or context.incident.next_update_at
    if promised and context.now:
        zone, locale = ZoneInfo(context.timezone), message.locale
        if format_time(promised, zone=zone, now=context.now, locale=locale) not in message.body:
            found.append("neither the ETA nor the next-update time is shown")
    return found
