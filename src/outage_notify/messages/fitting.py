"""Shortening a rendered message until it fits its channel's budget, never cutting what counts.

A message is made of must-keep parts (what is broken, the ETA or next update time, how to
reach IT, the acknowledgement line: everything the template writes itself, from settings and
from the incident's times) and free text that arrives from outside: the staff `message`, the
alert's `incident.title` and `incident.summary`, and the `incident.components` list. Only free
text is ever shortened, so a template cannot forget to mark a field: these are the fields.

The renderer renders once and measures; if the body is over budget, every free-text field is
capped at the same length L (the longest L that fits, found by bisection, about 14 renders)
and the message re-rendered. A cut text ends with "…" and, where a status page is set and the
template does not show it already, its link; a component list keeps its first names and ends
with the locale's "and N more". Only when even L = 0 does not fit (the must-keep parts alone
are over budget: `templates check` and the start refuse such templates) is the body cut at the
end, as a last resort that still never sends what a provider would refuse.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from outage_notify.core.models import RenderedMessage
from outage_notify.messages.context import MessageContext

ELLIPSIS = "…"
# A component name is kept whole up to this length even at L = 0: it says what is broken.
COMPONENT_NAME_KEEP = 40


@dataclass(frozen=True)
class Cut:
    """One free-text field that was shortened: `kept` of `of` characters (components: names)."""

    field: str
    kept: int
    of: int


@dataclass(frozen=True)
class Fitted:
    """A rendered message within its budget, and what was shortened to get there."""

    message: RenderedMessage
    cuts: tuple[Cut, ...] = ()
    # Set when the must-keep parts alone are over budget and the body was cut at its end.
    overflow: str = ""

    def kept(self, field: str) -> Cut | None:
        return next((cut for cut in self.cuts if cut.field == field), None)


def shorten(text: str, limit: int, suffix: str = ELLIPSIS) -> str:
    """`text` if at most `limit` characters, else its first `limit` (at a word end) + suffix."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    space = head.rfind(" ")
    if space > limit * 3 // 4:
        # A whole last word reads better, when that costs at most a quarter of the room.
        head = head[:space]
    return head.rstrip() + suffix


def kept_components(
    components: tuple[str, ...],
    limit: int,
    floor: int = COMPONENT_NAME_KEEP,
    ellipsis: str = ELLIPSIS,
) -> tuple[str, ...]:
    """The first component names whose list fits in `limit` (at least one), each shortened.

    The first name keeps up to `floor` characters whatever the limit: it says what is broken.
    """
    if len(", ".join(components)) <= limit:
        return components
    kept: list[str] = []
    used = 0
    for name in components:
        cost = len(name) + (2 if kept else 0)
        if kept and used + cost > limit:
            break
        kept.append(shorten(name, max(limit, floor), ellipsis))
        used += cost
    return tuple(kept)


def shorten_components(
    components: tuple[str, ...],
    limit: int,
    more: Callable[[int], str],
    floor: int = COMPONENT_NAME_KEEP,
    ellipsis: str = ELLIPSIS,
) -> tuple[str, ...]:
    """The components that fit in `limit` and, for the others, the locale's "and N more"."""
    kept = kept_components(components, limit, floor, ellipsis)
    rest = len(components) - len(kept)
    return (*kept, more(rest)) if rest else kept


Render = Callable[[int | None], RenderedMessage]
Overflow = Callable[[RenderedMessage], str]


def _largest(low: int, high: int, fits: Callable[[int], bool]) -> int | None:
    """The largest L in [low, high] for which `fits`, when fitting holds for a prefix."""
    if high < low or not fits(low):
        return None
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    return low


def fit(
    render: Render,
    overflow: Overflow,
    *,
    longest: int,
    cut_body: Callable[[RenderedMessage, int], RenderedMessage],
    cuts: Callable[[int], tuple[Cut, ...]],
    bare_only: bool = False,
) -> Fitted:
    """The message rendered with free text capped at the largest length that fits.

    `render(None)` renders untouched, `render(L)` with every free-text field capped at L
    (and `render(-1)` as L = 0 without even the first component's name);
    `longest` is the longest free text; `cuts(L)` says what capping at L shortens and
    `cut_body(message, n)` keeps the first n characters of a rendered body (last resort).
    With `bare_only`, the message without free text (the over-budget reason in `overflow`);
    the whole message is then not rendered: its free text is taken to be over budget.
    """
    if not bare_only:
        whole = render(None)
        if not overflow(whole):
            return Fitted(whole)
    rendered: dict[int, RenderedMessage] = {}

    def at(limit: int) -> RenderedMessage:
        if limit not in rendered:
            rendered[limit] = render(limit)
        return rendered[limit]

    bare = at(0)
    problem = overflow(bare)
    if problem:
        # A component name GSM-7 lacks (ã, an emoji) can make the SMS UCS-2 on its own.
        barest = at(-1)
        if not overflow(barest):
            return Fitted(barest, () if bare_only else cuts(0))
        if bare_only:
            return Fitted(barest, (), overflow=problem)
        # The must-keep parts alone are over budget: cut the end rather than be refused.
        keep = _largest(0, len(barest.body), lambda n: not overflow(cut_body(barest, n))) or 0
        return Fitted(cut_body(barest, keep), cuts(0), overflow=problem)
    if bare_only:
        # Only asked whether the must-keep parts fit (the template check): no bisection.
        return Fitted(bare)
    # Longer free text never makes a body shorter, so what fits is a prefix of L... except
    # that an SMS switches from GSM-7 to UCS-2 (160 -> 70 a segment) at the first character
    # GSM-7 lacks: bisect where that happens, then find the best L on each side of it.
    switch = _largest(0, longest, lambda n: at(n).encoding == bare.encoding)
    edge = longest + 1 if switch is None else switch + 1
    found = [
        _largest(0, min(edge, longest) - 1, lambda n: not overflow(at(n))),
        _largest(edge, longest - 1, lambda n: not overflow(at(n))),
    ]
    best = max(limit for limit in found if limit is not None)
    return Fitted(at(best), cuts(best))


def longest_free_text(context: MessageContext) -> int:
    """The length of the longest free-text field (a component list counts as joined)."""
    incident = context.incident
    texts = (context.message, incident.title, incident.summary, ", ".join(incident.components))
    return max(len(text) for text in texts)


def capped_context(
    context: MessageContext,
    limit: int,
    *,
    suffix: str,
    more: Callable[[int], str],
    ellipsis: str = ELLIPSIS,
) -> MessageContext:
    """`context` with every free-text field at most `limit` characters (plus the suffix).

    A negative `limit` is 0 without keeping the first component's name whole.
    """
    floor = COMPONENT_NAME_KEEP if limit >= 0 else 0
    limit = max(limit, 0)
    incident = replace(
        context.incident,
        title=shorten(context.incident.title, limit, suffix),
        summary=shorten(context.incident.summary, limit, suffix),
        components=shorten_components(context.incident.components, limit, more, floor, ellipsis),
    )
    return replace(context, message=shorten(context.message, limit, suffix), incident=incident)


def cuts_at(context: MessageContext, limit: int) -> tuple[Cut, ...]:
    """What capping the free text of `context` at `limit` shortens."""
    found = []
    texts = (
        ("message", context.message),
        ("title", context.incident.title),
        ("summary", context.incident.summary),
    )
    for field, text in texts:
        if len(text) > limit:
            found.append(Cut(field, len(shorten(text, limit, "")), len(text)))
    components = context.incident.components
    kept = kept_components(components, limit)
    if kept != components:
        found.append(Cut("components", len(kept), len(components)))
    return tuple(found)


# Stands for a field when finding out whether a template shows it: no escaping, no
# transliteration and no finalize step changes it.
MARKER = "QQFIELDMARKERQQ"


def marked(context: MessageContext, field: str) -> MessageContext:
    """`context` with one free-text field replaced by MARKER."""
    incident = context.incident
    if field == "message":
        return replace(context, message=MARKER)
    if field == "components":
        return replace(context, incident=replace(incident, components=(MARKER,)))
    if field == "title":
        return replace(context, incident=replace(incident, title=MARKER))
    return replace(context, incident=replace(incident, summary=MARKER))
