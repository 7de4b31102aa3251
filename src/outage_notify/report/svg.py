"""The report's two inline SVG charts, drawn by hand (pure): no plotting library, no scripts.

Every piece of text placed in the SVG is escaped here, so the result is safe to embed as
`Markup` in the autoescaped HTML page.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from markupsafe import Markup, escape

from outage_notify.report.model import Report
from outage_notify.report.wording import ReportWords

WIDTH = 960
LEFT, RIGHT = 110, 20
PLOT = WIDTH - LEFT - RIGHT
PHASE_COLOURS = {
    "detected": "#d9534f",
    "investigating": "#f0ad4e",
    "identified": "#e6c229",
    "fixing": "#4a90d9",
    "verifying": "#8e5bb5",
    "resolved": "#5cb85c",
}
SERIES_COLOURS = ("#1f77b4", "#8c2d8c", "#ff7f0e", "#2ca02c", "#7f7f7f", "#17becf")
# Tick steps in seconds, from 1 s to 1 day: the first giving at most MAX_TICKS ticks wins.
TICK_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 86400)
MAX_TICKS = 8


class _Axis:
    """Maps times onto the plot's x range."""

    def __init__(self, start: datetime, end: datetime) -> None:
        self.start = start
        self.end = max(end, start + timedelta(seconds=10))
        self.span = (self.end - self.start).total_seconds()

    def x(self, at: datetime) -> float:
        offset = (at - self.start).total_seconds() / self.span
        return round(LEFT + PLOT * min(1.0, max(0.0, offset)), 1)

    def contains(self, at: datetime) -> bool:
        return self.start <= at <= self.end

    def ticks(self, y: float, height: float, label: str) -> list[str]:
        step = next((s for s in TICK_STEPS if self.span / s <= MAX_TICKS), TICK_STEPS[-1])
        first = self.start.replace(microsecond=0) + timedelta(
            seconds=-int(self.start.timestamp()) % step
        )
        shown = "%H:%M:%S" if step < 60 else "%H:%M"
        parts = [_line(LEFT, y, LEFT + PLOT, y, "#444")]
        at = first
        while at <= self.end:
            x = self.x(at)
            parts.append(_line(x, y - height, x, y, "#ddd"))
            parts.append(_text(x, y + 14, at.strftime(shown), anchor="middle"))
            at += timedelta(seconds=step)
        parts.append(_text(LEFT + PLOT, y + 28, label, anchor="end", size=10))
        return parts


def _line(x1: float, y1: float, x2: float, y2: float, colour: str, dash: str = "") -> str:
    dashed = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="{colour}"{dashed}'
        ' stroke-width="1"/>'
    )


def _text(x: float, y: float, text: str, *, anchor: str = "start", size: int = 11) -> str:
    return (
        f'<text x="{x}" y="{y}" font-size="{size}" text-anchor="{anchor}"'
        f' fill="#222">{escape(text)}</text>'
    )


def _svg(height: int, label: str, parts: Sequence[str]) -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}"'
        f' width="100%" role="img" aria-label="{escape(label)}"'
        ' font-family="system-ui, sans-serif">'
    )
    return Markup(head + f"<title>{escape(label)}</title>" + "".join(parts) + "</svg>")  # noqa: S704


def _legend(y: float, items: Sequence[tuple[str, str]]) -> list[str]:
    parts, x = [], float(LEFT)
    for name, colour in items:
        parts.append(f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{colour}"/>')
        parts.append(_text(x + 14, y, name))
        x += 24 + 7 * len(name)
    return parts


def timeline_chart(report: Report, w: ReportWords) -> Markup:
    """Phases as coloured bands along a time axis, with update markers and ETA lines."""
    summary = report.summary
    end = summary.resolved_at or report.generated_at
    starts = [summary.opened_at, *(p.start for p in report.phases)]
    ends = [end, *(p.end for p in report.phases), *(u.created_at for u in report.updates)]
    axis = _Axis(min(starts), max(ends))
    # The grid goes first so the bands and markers are drawn over it.
    parts = axis.ticks(110, 94, w("chart_time"))
    parts += [
        _text(LEFT - 14, 44, w("chart_phase"), anchor="end"),
        _text(LEFT - 14, 84, w("chart_updates"), anchor="end"),
    ]
    for span in report.phases:
        x1, x2 = axis.x(span.start), axis.x(span.end)
        colour = PHASE_COLOURS.get(span.phase, "#999")
        tip = w(
            "chart_span_tip",
            phase=w.value(span.phase),
            start=f"{span.start:%H:%M:%S}",
            end=f"{span.end:%H:%M:%S}",
        )
        parts.append(
            f'<rect x="{x1}" y="26" width="{max(1.0, round(x2 - x1, 1))}" height="28"'
            f' fill="{colour}"><title>{escape(tip)}</title></rect>'
        )
    for eta in report.etas:
        if eta.eta is not None and axis.contains(eta.eta):
            x = axis.x(eta.eta)
            parts.append(_line(x, 20, x, 96, "#c00", dash="4 3"))
            parts.append(_text(x, 16, "ETA", anchor="middle", size=10))
    for update in report.updates:
        if update.reminder:
            continue
        x = axis.x(update.created_at)
        tip = w(
            "chart_update_tip",
            kind=update.kind,
            time=f"{update.created_at:%H:%M:%S}",
            sent=update.sent,
            total=update.deliveries,
        )
        parts.append(
            f'<circle cx="{x}" cy="80" r="6" fill="#fff" stroke="#222" stroke-width="2">'
            f"<title>{escape(tip)}</title></circle>"
        )
    seen = list(dict.fromkeys(span.phase for span in report.phases))
    parts += _legend(156, [(w.value(p), PHASE_COLOURS.get(p, "#999")) for p in seen])
    return _svg(170, w("chart_timeline"), parts)


def delivery_chart(report: Report, w: ReportWords) -> Markup:
    """Cumulative messages sent over time, one step line per channel."""
    curves = [c for c in report.send_curves if c.points]
    if not curves:
        return _svg(60, w("chart_sent_title"), [_text(LEFT, 34, w("chart_nothing"))])
    start = report.summary.opened_at
    end = max(c.points[-1].at for c in curves)
    axis = _Axis(min(start, *(c.points[0].at for c in curves)), end)
    top, bottom = 20.0, 200.0
    peak = max(c.points[-1].count for c in curves)

    def y(count: int) -> float:
        return round(bottom - (bottom - top) * count / peak, 1)

    parts = axis.ticks(bottom, bottom - top, w("chart_time"))
    parts.append(_line(LEFT, top, LEFT, bottom, "#444"))
    for value in sorted({0, peak // 2, peak}):
        parts.append(_text(LEFT - 6, y(value) + 4, str(value), anchor="end"))
        parts.append(_line(LEFT, y(value), LEFT + PLOT, y(value), "#eee"))
    parts.append(_text(LEFT - 40, top - 6, w("chart_sent"), size=10))
    legend = []
    for index, curve in enumerate(curves):
        colour = SERIES_COLOURS[index % len(SERIES_COLOURS)]
        points = [(axis.x(axis.start), y(0))]
        previous = 0
        for point in curve.points:
            x = axis.x(point.at)
            points += [(x, y(previous)), (x, y(point.count))]
            previous = point.count
        points.append((axis.x(axis.end), y(previous)))
        path = " ".join(f"{px},{py}" for px, py in points)
        tip = w("chart_sent_tip", channel=curve.channel, sent=previous)
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2">'
            f"<title>{escape(tip)}</title></polyline>"
        )
        legend.append((f"{curve.channel} ({previous})", colour))
    parts += _legend(bottom + 48, legend)
    return _svg(int(bottom) + 60, w("chart_sent_title"), parts)
