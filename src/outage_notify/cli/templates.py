"""`outage-notify templates check|preview`: the message templates, before anyone is told."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.text import Text

from outage_notify.core.errors import ConfigError
from outage_notify.core.models import ChannelName, UpdateKind

templates_app = typer.Typer(no_args_is_help=True, help="Message templates.")


@templates_app.command("check")
def templates_check() -> None:
    """Render every template with sample data; fail on any error."""
    from outage_notify.cli.output import console, fail, load_settings, stderr
    from outage_notify.messages.template_check import load_and_check

    settings = load_settings()
    try:
        _, problems = load_and_check(settings)
    except ConfigError as error:
        fail(str(error))
    if problems:
        for problem in problems:
            # As written: a problem quotes paths and template text, which are not markup.
            stderr.print(Text(problem, style="red"), highlight=False)
        fail(f"{len(problems)} template problem(s) in {settings.templates_dir}")
    console.print(f"{settings.templates_dir}: OK")


@templates_app.command("whatsapp")
def templates_whatsapp() -> None:
    """Print the WhatsApp Content Templates to submit for approval, with their variables."""
    from outage_notify.cli.output import console, fail, load_settings
    from outage_notify.integrations.twilio.whatsapp_templates import approval_text

    settings = load_settings()
    try:
        text = approval_text(settings)
    except ConfigError as error:
        fail(str(error))
    console.print(text, highlight=False, markup=False, soft_wrap=True)


@templates_app.command("preview")
def templates_preview(
    kind: Annotated[
        list[UpdateKind] | None, typer.Option("--kind", help="Only this kind (repeatable).")
    ] = None,
    audience: Annotated[
        list[str] | None, typer.Option("--audience", help="Only this audience (repeatable).")
    ] = None,
    locale: Annotated[
        list[str] | None, typer.Option("--locale", help="Only this locale (repeatable).")
    ] = None,
    channel: Annotated[
        list[ChannelName] | None, typer.Option("--channel", help="Only this channel (repeatable).")
    ] = None,
    transliterate: Annotated[
        bool,
        typer.Option(
            "--transliterate", help="Also show each SMS in GSM-7 (on with SMS_TRANSLITERATE)."
        ),
    ] = False,
    show_bodies: Annotated[bool, typer.Option("--show-bodies", help="Print every body.")] = False,
) -> None:
    """Render every kind x audience x channel x locale; show each SMS's encoding, segments, cost.

    Costs use SMS_PRICE_PER_SEGMENT; an audience's cost counts its contacts in that locale whose
    first channel is SMS (CONTACTS_DIR). Fails on any template error.
    """
    from outage_notify.cli.output import console, fail, load_settings
    from outage_notify.cli.preview_table import preview_renderables
    from outage_notify.contacts.loading import load_contacts
    from outage_notify.core.errors import TemplateError
    from outage_notify.messages.preview import Selection, preview
    from outage_notify.messages.rendering import Renderer

    settings = load_settings()
    selection = Selection(
        tuple(kind or ()), tuple(audience or ()), tuple(locale or ()), tuple(channel or ())
    )
    try:
        directory = load_contacts(settings)
        renderer = Renderer(
            settings.templates_dir,
            components=directory.components,
            worded_like=directory.routing.worded_like,
        )
        rows = preview(
            renderer=renderer,
            directory=directory,
            settings=settings,
            selection=selection,
            transliterate=transliterate or settings.sms_transliterate,
        )
    except TemplateError as error:
        fail(f"template error: {error}")
    except ConfigError as error:
        fail(str(error))
    if not rows:
        fail("nothing to preview: no template or contacts audience matches the --audience given")
    for renderable in preview_renderables(
        rows,
        currency=settings.sms_currency,
        price=settings.sms_price_per_segment,
        transliterate_on=settings.sms_transliterate,
        show_bodies=show_bodies,
    ):
        console.print(renderable)
