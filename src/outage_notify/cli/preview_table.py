"""A preview (`messages.preview`) as rich tables: one per channel, bodies on request."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rich.console import RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from outage_notify.channels.capacity import LIMITS
from outage_notify.core.models import ChannelName
from outage_notify.messages.preview import PreviewRow, SmsCost


def preview_renderables(
    rows: Iterable[PreviewRow],
    *,
    currency: str,
    price: float,
    transliterate_on: bool,
    show_bodies: bool,
) -> list[RenderableType]:
    """A table per channel (in ChannelName order), each followed by its bodies if asked."""
    rows = list(rows)
    output: list[RenderableType] = []
    for channel in ChannelName:
        mine = [row for row in rows if row.channel is channel]
        if not mine:
            continue
        if channel is ChannelName.SMS:
            output.append(_sms_table(mine, currency, price, transliterate_on))
        else:
            output.append(_text_table(channel, mine))
        if show_bodies:
            output += [_body_panel(row) for row in mine]
    return output


def _sms_table(
    rows: list[PreviewRow], currency: str, price: float, transliterate_on: bool
) -> Table:
    compared = any(row.transliterated is not None for row in rows)
    if not compared:
        note = ""
    elif transliterate_on:
        note = " SMS_TRANSLITERATE is on: the value after → is what is sent."
    else:
        note = " SMS_TRANSLITERATE is off: the value after → is what it would send."
    table = Table(
        title="SMS",
        title_justify="left",
        caption=f"{price:g} {currency} per segment; audience = its contacts in that locale "
        f"whose first channel is SMS.{note}",
        caption_justify="left",
    )
    for header in ("kind", "audience", "locale", "template", "encoding", "length", "segments"):
        table.add_column(header, justify="right" if header in ("length", "segments") else "left")
    for header in ("per message", "contacts", "audience cost"):
        table.add_column(header, justify="right")
    for row in rows:
        assert row.sms is not None
        both = _pair(row.sms, row.transliterated)
        cells = (
            row.kind,
            row.audience,
            row.locale,
            row.template,
            both(lambda cost: cost.measure.encoding),
            both(lambda cost: str(cost.measure.length)),
            both(lambda cost: str(cost.measure.segments)),
            both(lambda cost: f"{cost.per_message:.4f} {currency}"),
            str(row.sms.recipients),
            both(lambda cost: f"{cost.per_audience:.4f} {currency}"),
        )
        # Text, not markup: names and titles come from files and may hold "[...]".
        table.add_row(*map(Text, cells))
    return table


def _pair(original: SmsCost, other: SmsCost | None) -> Callable[[Callable[[SmsCost], str]], str]:
    """A formatter showing `original`, or `original → other` when they differ."""

    def show(value: Callable[[SmsCost], str]) -> str:
        if other is None:
            return value(original)
        return f"{value(original)} → {value(other)}"

    return show


def _text_table(channel: ChannelName, rows: list[PreviewRow]) -> Table:
    limit = LIMITS[channel].max_body_chars
    table = Table(title=channel.value.capitalize(), title_justify="left")
    for header in ("kind", "audience", "locale", "template", "title"):
        table.add_column(header)
    table.add_column(f"characters (of {limit:,})", justify="right")
    for row in rows:
        cells = (row.kind, row.audience, row.locale, row.template, row.message.title)
        table.add_row(*map(Text, cells), Text(str(len(row.message.body))))
    return table


def _body_panel(row: PreviewRow) -> Panel:
    body = Text(row.message.body)
    if row.transliterated_body and row.transliterated_body != row.message.body:
        body.append("\n\nGSM-7 form:\n", style="dim")
        body.append(row.transliterated_body)
    heading = f"{row.channel} · {row.kind} · {row.audience} · {row.locale}"
    if row.message.title:
        heading += f" · {row.message.title}"
    return Panel(body, title=heading, title_align="left", expand=False)
