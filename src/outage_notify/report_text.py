"""How the report words its figures, shared by the Markdown and HTML renderers (pure)."""

from __future__ import annotations

from datetime import datetime

DETECT_BASIS_TEXT = {
    "alert_starts_at": "the earliest alert startsAt",
    "opened_at": "the incident's opening, as no alert carried a start time",
}
PHASE_BASIS_TEXT = {
    "transitions": "from the timeline's transition entries",
    "updates": "from the phases of the stakeholder updates (no transition entries)",
    "none": "no transitions or updates recorded",
}
ETA_SOURCE_TEXT = {
    "eta_history": "from the ETA history",
    "updates": "from the ETAs announced in updates (no ETA history rows)",
    "none": "no ETA was ever given",
}

COVERAGE_NOTE = (
    "Each contact counts once per audience, however many updates it was sent. Unreached: no "
    "channel reached them, or every channel was tried without an acknowledgement."
)


def format_time(at: datetime | None) -> str:
    """A UTC timestamp to the second, or a dash."""
    return at.strftime("%Y-%m-%d %H:%M:%S UTC") if at is not None else "-"


def format_duration(seconds: float | None) -> str:
    """Like "1h 02m 05s", "3m 10s" or "42s"; negative durations keep their sign."""
    if seconds is None:
        return "-"
    sign = "-" if seconds < 0 else ""
    total = round(abs(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{sign}{hours}h {minutes:02d}m {secs:02d}s"
    if minutes:
        return f"{sign}{minutes}m {secs:02d}s"
    return f"{sign}{secs}s"


def format_eta_error(outcome: str, seconds: float | None) -> str:
    """Like "late by 12m 00s", "early by 5m 00s" or "on time (+30s)"."""
    if seconds is None:
        return "-"
    if outcome == "on_time":
        return f"on time ({'+' if seconds >= 0 else '-'}{format_duration(abs(seconds))})"
    if outcome == "overrun":
        return f"already late by {format_duration(seconds)}"
    return f"{'late' if seconds > 0 else 'early'} by {format_duration(abs(seconds))}"


def format_minutes(minutes: float | None) -> str:
    """Like "10 min" or "0.5 min", or a dash."""
    return f"{minutes:g} min" if minutes is not None else "-"
