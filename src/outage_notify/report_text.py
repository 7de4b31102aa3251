"""How the report words its figures, shared by the Markdown and HTML renderers (pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

DETECT_BASIS_TEXT = {
    "alert_starts_at": "the earliest alert startsAt",
    "opened_at": "the incident's opening, as no alert carried a start time",
}
PHASE_BASIS_TEXT = {
    "transitions": "from the recorded phase transitions",
    "timeline": "from the timeline's transition entries (recorded before transitions were kept)",
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


def format_time(at: datetime | None, zone: str = "UTC") -> str:
    """A timestamp to the second in the organisation's `zone` with its abbreviation, and the
    UTC time beside it ("2026-12-04 15:15:07 -03 (18:15:07 UTC)"), or a dash."""
    if at is None:
        return "-"
    utc = at.astimezone(UTC)
    if zone == "UTC":
        return utc.strftime("%Y-%m-%d %H:%M:%S UTC")
    local = at.astimezone(ZoneInfo(zone))
    # The UTC date is named only when it differs from the local one.
    beside = "%H:%M:%S UTC" if utc.date() == local.date() else "%Y-%m-%d %H:%M:%S UTC"
    return f"{local.strftime('%Y-%m-%d %H:%M:%S %Z')} ({utc.strftime(beside)})"


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
