"""Renders one update into the text each (audience, channel, locale) receives; pure. What a
template may know is `messages.context` (IncidentView, MessageContext, re-exported here).

Layout and lookup (first file that exists wins; audience before locale, because a reader is
better served by their language than by an English text written for their audience):

    {templates}/{locale}/{channel}/{kind}.{audience}.j2
    {templates}/{locale}/{channel}/{kind}.default.j2
    ... the same two for another locale of the same language (pt-PT -> pt-BR), then `en`.

Each locale folder holds `_macros.j2` (shared phrases), imported `with context`. A template may
`{% set title %}...{% endset %}`; everything else it outputs is the body. Two macros there are
called by the renderer itself: `ack_request()` ends every SMS that asks for an acknowledgement
(appended here so no template can forget it) and `ack_button()` labels Slack's button.

Templates are trusted, context values are not: every `{{ expression }}` passes the channel's
`finalize` (Slack: strip control characters and escape & < >; SMS and fallback: strip control
characters). Autoescape is on only so macro and `{% set %}` results come back as `Markup` and
are not escaped twice; the `safe` filter is removed so no template can let raw text through.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Mapping
from dataclasses import fields, replace
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import StrictUndefined, Template, TemplateNotFound
from jinja2 import TemplateSyntaxError as JinjaSyntaxError
from jinja2.environment import TemplateModule
from jinja2.sandbox import SandboxedEnvironment

from outage_notify.channels.capacity import Budget, default_budget
from outage_notify.contacts.components import EMPTY, ComponentCatalogue
from outage_notify.core.errors import ConfigError, TemplateError
from outage_notify.core.locales import locale_chain
from outage_notify.core.models import (
    SECURITY_AUDIENCE,
    STAFF_KINDS,
    ChannelName,
    RenderedMessage,
    UpdateKind,
)
from outage_notify.messages.catalogs import load_translations, locales
from outage_notify.messages.compiled_templates import COMPILED
from outage_notify.messages.context import IncidentView as IncidentView
from outage_notify.messages.context import MessageContext as MessageContext
from outage_notify.messages.filters import finalizer, time_filter
from outage_notify.messages.fitting import (
    ELLIPSIS,
    MARKER,
    Cut,
    Fitted,
    capped_context,
    cuts_at,
    fit,
    longest_free_text,
    marked,
)
from outage_notify.messages.public_words import PublicWords
from outage_notify.messages.sms_encoding import measure_sms
from outage_notify.messages.template_sources import PinnedLoader, template_sources
from outage_notify.messages.transliteration import transliterate_sms

FALLBACK_LOCALE, DEFAULT_AUDIENCE = "en", "default"
# `security.<audience>.j2`: what an audience reads in security mode, for every kind.
SECURITY_TEMPLATE = "security"
MACROS = "_macros.j2"
BudgetFor = Callable[[str, ChannelName], Budget]
# For a templates folder written before these macros existed; `templates check` reports it.
DEFAULT_ACK_REQUEST = "Reply OK to confirm you got this."
DEFAULT_ACK_LABEL = "Acknowledge"


def _tidy(text: str) -> str:
    # Optional parts (no message, no status page) leave empty lines; a message never wants them.
    return "\n".join(line.rstrip() for line in text.split("\n") if line.strip())


def _run(template: Template, variables: dict[str, object]) -> TemplateModule:
    try:
        return template.make_module(variables)
    except Exception:
        # Re-raises with the traceback pointing at template lines instead of generated code.
        template.environment.handle_exception()


def _describe(error: Exception, path: str) -> str:
    """`file: line N: message`, naming the template line (macros included) that failed."""
    if isinstance(error, JinjaSyntaxError):
        return f"{error.filename or path}: line {error.lineno}: {error.message}"
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename.endswith(".j2")]
    if not frames:
        return f"{path}: {type(error).__name__}: {error}"
    where = f"{frames[-1].filename}: line {frames[-1].lineno}"
    return f"{where}: {type(error).__name__}: {error} (rendering {path})"


# A channel that reads another's templates: WhatsApp says what an SMS says (plain text, the
# same length), so the locales need no folder of their own for it.
TEMPLATE_FOLDERS: dict[ChannelName, ChannelName] = {ChannelName.WHATSAPP: ChannelName.SMS}


def template_folder(channel: ChannelName) -> str:
    """The folder of a locale whose templates `channel` reads."""
    return TEMPLATE_FOLDERS.get(channel, channel).value


class Renderer:
    """Renders updates from a templates folder; build once and reuse (templates are cached).

    With `sms_transliterate`, SMS bodies are turned into GSM-7 where that is possible
    (`outage_notify.messages.transliteration`), before they are measured and stored; an audience's
    budget may decide otherwise (`Budget.transliterate`, routing.yaml `sms_transliterate`).
    Component names come from `components` (the contacts folder's catalogue); without it every
    component is named as its service.
    """

    def __init__(
        self,
        templates_dir: Path,
        *,
        sms_transliterate: bool = False,
        components: ComponentCatalogue = EMPTY,
        worded_like: Mapping[str, str] | None = None,
    ) -> None:
        self.templates_dir = Path(templates_dir)
        # Audience -> the audience whose templates it reads when it has none of its own
        # (routing.yaml `worded_like`, e.g. subscribers read the partners' words).
        self.worded_like = dict(worded_like or {})
        self.sms_transliterate = sms_transliterate
        self.components = components
        if not (self.templates_dir / FALLBACK_LOCALE).is_dir():
            raise TemplateError(f"{self.templates_dir / FALLBACK_LOCALE}: fallback locale missing")
        self.locales: tuple[str, ...] = locales(self.templates_dir)
        self._files = sorted(p for p in self.templates_dir.glob("*/*/*.j2") if p.name[0] != "_")
        named = [p.name.split(".") for p in self._files]
        self.audiences: tuple[str, ...] = tuple(
            sorted({n[1] for n in named if len(n) == 3 and n[0] in set(UpdateKind)} - {"default"})
        )
        self._environments: dict[tuple[str, ChannelName], SandboxedEnvironment] = {}
        self._labels: dict[str, str] = {}
        self._requests: dict[str, tuple[str, ...]] = {}
        # The template each (channel, kind, audience, locale, security) renders with: the
        # sources are pinned, so it never changes for this renderer, and looking it up (the
        # candidate paths, the loader) cost more than many renders.
        self._found: dict[tuple[object, ...], tuple[Template, str]] = {}
        self.public_words = PublicWords.load(self.templates_dir)
        # Every template and catalog is read now, not when first rendered: a renderer is part of
        # a validated snapshot (messages/snapshot.py), and a file edited later must never reach
        # readers before a reload has checked it.
        self._sources = {
            locale: template_sources(self.templates_dir / locale) for locale in self.locales
        }
        self._translations = {
            locale: load_translations(self.templates_dir, locale) for locale in self.locales
        }

    def render(
        self, *, channel: ChannelName, context: MessageContext, budget: Budget | None = None
    ) -> RenderedMessage:
        """Title and body for one (update, audience, channel, locale), within `budget`."""
        return self.render_fitted(channel=channel, context=context, budget=budget).message

    def render_fitted(
        self,
        *,
        channel: ChannelName,
        context: MessageContext,
        budget: Budget | None = None,
        bare_only: bool = False,
    ) -> Fitted:
        """The message within `budget` (default: the channel's, SMS 3 segments) and its cuts.

        Free text is shortened until the body fits (`outage_notify.messages.fitting`); with
        `bare_only`, only whether the template's must-keep parts fit (`Fitted.overflow`).
        """
        for zone in filter(None, (context.timezone, context.organisation_timezone)):
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError) as error:
                raise ConfigError(f"unknown timezone {zone!r}") from error
        budget = budget or default_budget(channel)
        template, path = self._template(channel, context)
        folder = Path(path).parent.parent.name
        # The audience's own choice (routing.yaml) before the renderer's default.
        gsm7 = self.sms_transliterate if budget.transliterate is None else budget.transliterate
        sms = channel is ChannelName.SMS
        ellipsis = "..." if sms else ELLIPSIS
        more = self._more(folder, channel)

        # Cached: with `bare_only` the L = 0 render that looks for the link is, when the
        # template shows it, the very render fit() asks for next.
        @cache
        def capped(limit: int, suffix: str) -> RenderedMessage:
            shorter = capped_context(context, limit, suffix=suffix, more=more, ellipsis=ellipsis)
            return self._render_once(channel, shorter, template, path, transliterate=gsm7)

        # With `bare_only` the free text is known to be far over budget (the check's flood of
        # 10,000 characters and 500 components): rendering it whole only to see whether the
        # template shows the link was the dearest render of the check, so the link is looked
        # for at L = 0 instead (a must-keep part is there at any L).
        whole = (
            None
            if bare_only
            else self._render_once(channel, context, template, path, transliterate=gsm7)
        )
        link = context.more_url or context.status_page_url
        if link and link in (whole or capped(0, ellipsis)).body:
            link = ""
        suffix = ellipsis + (f" {link}" if link else "")

        def render(limit: int | None) -> RenderedMessage:
            if limit is None:
                assert whole is not None, "fit() renders the whole message unless bare_only"
                return whole
            return capped(limit, suffix)

        def overflow(message: RenderedMessage) -> str:
            body, segments = message.body, message.segments
            if sms and budget.reserve_ack and not context.acknowledge:
                # A chase may add the request later (worker/outbound.py): leave it room.
                body = self.with_ack_request(body, context.locale)
                segments = measure_sms(body).segments
            return budget.overflow(title=message.title, body=body, segments=segments)

        def cut_body(message: RenderedMessage, keep: int) -> RenderedMessage:
            if not sms:
                return replace(message, body=message.body[:keep])
            body = message.body[:keep]
            cost = measure_sms(body)
            return replace(message, body=body, encoding=cost.encoding, segments=cost.segments)

        def shown_cuts(limit: int) -> tuple[Cut, ...]:
            # Only what the template shows counts as cut (eta_changed.users has no message).
            def shown(field: str) -> bool:
                marker = self._render_once(
                    channel, marked(context, field), template, path, transliterate=gsm7
                )
                return MARKER in marker.body

            return tuple(cut for cut in cuts_at(context, limit) if shown(cut.field))

        return fit(
            render,
            overflow,
            longest=longest_free_text(context),
            cut_body=cut_body,
            cuts=shown_cuts,
            bare_only=bare_only,
        )

    def _render_once(
        self,
        channel: ChannelName,
        context: MessageContext,
        template: Template,
        path: str,
        *,
        transliterate: bool,
    ) -> RenderedMessage:
        variables: dict[str, object] = {f.name: getattr(context, f.name) for f in fields(context)}
        variables.update(channel=channel, now=context.now or datetime.now(UTC))
        # An audience worded like another reads its templates as that one does (the shared
        # `security.default.j2` words partners apart from staff by `audience`).
        variables["audience"] = self.worded_like.get(context.audience, context.audience)
        try:
            module = _run(template, variables)
            body, title = _tidy(str(module)), " ".join(str(getattr(module, "title", "")).split())
            if context.acknowledge and channel in {ChannelName.SMS, ChannelName.WHATSAPP}:
                folder = Path(path).parent.parent.name
                request = self._phrase(folder, channel, "ack_request", variables)
                body = f"{body}\n{request or DEFAULT_ACK_REQUEST}"
        except Exception as error:  # whatever a template does wrong is a template problem
            raise TemplateError(_describe(error, path)) from error
        message = RenderedMessage(context.audience, channel, context.locale, body, title)
        if channel is ChannelName.SMS:
            if transliterate:
                body = transliterate_sms(body)
                message = replace(message, body=body)
            sms = measure_sms(body)
            message = replace(message, title="", encoding=sms.encoding, segments=sms.segments)
        return message

    def _more(self, folder: str, channel: ChannelName) -> Callable[[int], str]:
        """The locale's "and N more" (macro more(count)) ending a shortened component list."""

        def more(count: int) -> str:
            try:
                return self._phrase(folder, channel, "more", {}, count) or f"and {count:,} more"
            except Exception:  # a broken macro must not stop a send; `templates check` names it
                return f"and {count:,} more"

        return more

    def candidates(
        self,
        *,
        channel: ChannelName,
        kind: UpdateKind,
        audience: str,
        locale: str,
        security: bool = False,
    ) -> list[Path]:
        """The files tried, in order, for one render.

        In security mode every audience but `security` reads the security templates
        (`security.<audience>.j2`, `security.default.j2`, one file for every kind) in any
        locale of its chain before an ordinary template: they show no alert text, no detail.
        The lead's own notices are not stakeholder messages and keep their templates.
        """
        chain = self._chain(locale)
        like = self.worded_like.get(audience, audience)
        names = dict.fromkeys(
            [f"{kind}.{audience}.j2", f"{kind}.{like}.j2", f"{kind}.{DEFAULT_AUDIENCE}.j2"]
        )
        folder = template_folder(channel)
        found = [self.templates_dir / known / folder / name for known in chain for name in names]
        if security and audience != SECURITY_AUDIENCE and kind not in STAFF_KINDS:
            guarded = dict.fromkeys(
                [
                    f"{SECURITY_TEMPLATE}.{audience}.j2",
                    f"{SECURITY_TEMPLATE}.{like}.j2",
                    f"{SECURITY_TEMPLATE}.{DEFAULT_AUDIENCE}.j2",
                ]
            )
            found = [
                self.templates_dir / known / folder / name for known in chain for name in guarded
            ] + found
        return found

    def ack_label(self, locale: str) -> str:
        """The Slack Acknowledge button's label for a reader of `locale` (macro ack_button())."""
        folder = self._chain(locale)[0]
        if folder not in self._labels:
            label = self._sending_phrase(folder, "ack_button", ChannelName.SLACK)
            self._labels[folder] = label or DEFAULT_ACK_LABEL
        return self._labels[folder]

    def with_ack_request(self, body: str, locale: str) -> str:
        """An SMS `body` that ends with the acknowledgement request (macro ack_request()).

        For a delivery asked to acknowledge after it was rendered (the chase re-sends the
        newest message, whatever its kind asked): `body` unchanged when it already ends with
        the request of a locale serving `locale`, else the request is added on a new line.
        """
        if locale not in self._requests:
            found = [self._sending_phrase(f, "ack_request") for f in self._chain(locale)]
            phrases = [phrase for phrase in found if phrase] or [DEFAULT_ACK_REQUEST]
            if self.sms_transliterate:
                # As render() stores them: the request is transliterated with the body.
                phrases = [transliterate_sms(phrase) for phrase in phrases]
            self._requests[locale] = tuple(dict.fromkeys(phrases))
        requests = self._requests[locale]
        if any(body.endswith(request) for request in requests):
            return body
        return f"{body}\n{requests[0]}"

    def phrase(self, locale: str, name: str, variables: dict[str, object]) -> str:
        """Macro `name` of `_macros.j2` for a reader of `locale`, on one line (the digest of
        held news, the title of a "many alerts" incident); "" when no locale defines it."""
        for folder in self._chain(locale):
            found = self._phrase(folder, ChannelName.SMS, name, variables)
            if found:
                if self.sms_transliterate:
                    found = transliterate_sms(found)
                return found
        return ""

    def _sending_phrase(
        self, folder: str, name: str, channel: ChannelName = ChannelName.SMS
    ) -> str:
        """Macro `name` at send time, without an update's context; "" if missing or broken."""
        try:
            return self._phrase(folder, channel, name, {})
        except Exception:  # a broken macro must not stop a send; `templates check` names it
            return ""

    def _chain(self, locale: str) -> list[str]:
        """The locale folders serving a reader of `locale`, best first, ending with `en`."""
        return locale_chain(self.locales, locale, FALLBACK_LOCALE)

    def _phrase(
        self, folder: str, channel: ChannelName, name: str, variables: dict[str, object], *args: int
    ) -> str:
        """Macro `name` of the folder's `_macros.j2` (else `en`'s), on one line; "" if neither."""
        for known in dict.fromkeys([folder, FALLBACK_LOCALE]):
            macro = self._macro(known, channel, name, variables)
            if macro is not None:
                return " ".join(str(macro(*args)).split())
        return ""

    def _macro(
        self, folder: str, channel: ChannelName, name: str, variables: dict[str, object]
    ) -> Callable[..., object] | None:
        try:
            macros = self._environment(folder, channel).get_template(MACROS)
        except TemplateNotFound:
            return None
        found = getattr(_run(macros, variables), name, None)
        return found if callable(found) else None

    def _template(self, channel: ChannelName, context: MessageContext) -> tuple[Template, str]:
        key = (channel, context.kind, context.audience, context.locale, context.security)
        if key not in self._found:
            self._found[key] = self._find(channel, context)
        return self._found[key]

    def _find(self, channel: ChannelName, context: MessageContext) -> tuple[Template, str]:
        tried = self.candidates(
            channel=channel,
            kind=context.kind,
            audience=context.audience,
            locale=context.locale,
            security=context.security,
        )
        for path in tried:
            locale = path.parent.parent.name
            try:
                template = self._environment(locale, channel).get_template(
                    f"{template_folder(channel)}/{path.name}"
                )
            except TemplateNotFound:
                continue
            except JinjaSyntaxError as error:
                raise TemplateError(_describe(error, str(path))) from error
            return template, str(path)
        raise TemplateError(f"no template; tried {', '.join(map(str, tried))}")

    def _environment(self, locale: str, channel: ChannelName) -> SandboxedEnvironment:
        if (locale, channel) not in self._environments:
            sources = self._sources.get(locale)
            if sources is None:
                sources = self._sources[locale] = template_sources(self.templates_dir / locale)
            environment = SandboxedEnvironment(
                loader=PinnedLoader(sources),
                # `_()`, `ngettext()` and {% trans %} read the locale's catalog (`catalogs`).
                extensions=["jinja2.ext.i18n"],
                undefined=StrictUndefined,
                # Only so macros return Markup; the escaping itself is done by `finalizer`.
                autoescape=True,
                finalize=finalizer(channel),
                trim_blocks=True,
                lstrip_blocks=True,
                keep_trailing_newline=False,
                # Compiled once per process, not once per renderer (each reload builds one).
                bytecode_cache=COMPILED,
            )
            del environment.filters["safe"]
            if locale not in self._translations:
                self._translations[locale] = load_translations(self.templates_dir, locale)
            environment.install_gettext_translations(  # type: ignore[attr-defined]
                self._translations[locale], newstyle=True
            )
            environment.filters["time"] = time_filter(locale)
            environment.filters["component"] = self.public_words.component_filter(
                locale, self.components
            )
            self._environments[(locale, channel)] = environment
        return self._environments[(locale, channel)]
