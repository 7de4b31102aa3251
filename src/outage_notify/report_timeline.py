"""When the outage started and which phase it was in when, read from timeline rows (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, TypeAdapter, ValidationError

from outage_notify.models import Phase
from outage_notify.report_model import DetectBasis, PhaseBasis, PhaseSpan
from outage_notify.store.tables import TimelineRow, UpdateRow

WORKING_PHASES = (
    Phase.DETECTED,
    Phase.INVESTIGATING,
    Phase.IDENTIFIED,
    Phase.FIXING,
    Phase.VERIFYING,
)
# Ingest adapters have spelled the alert's start time these ways in timeline data.
STARTS_AT_KEYS = ("started_at", "starts_at", "startsAt")
_PHASES = {p.value for p in Phase}
_when = TypeAdapter(AwareDatetime)


def _as_time(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        return _when.validate_python(value)
    except ValidationError:
        return None


def detection_start(
    entries: Sequence[TimelineRow], *, opened_at: datetime
) -> tuple[datetime, DetectBasis]:
    """The earliest startsAt an alert entry carries, else opened_at (an alert that claims to
    start after we opened the incident says nothing about detection, so opened_at again)."""
    starts = [
        when
        for entry in entries
        if entry.kind == "alert"
        for key in STARTS_AT_KEYS
        if (when := _as_time((entry.data or {}).get(key))) is not None
    ]
    if starts and min(starts) <= opened_at:
        return min(starts), "alert_starts_at"
    return opened_at, "opened_at"


def transition_target(entry: TimelineRow) -> Phase | None:
    """The phase a transition entry moved to: `data["to"]` if present, else read from its text
    ("opened as detected", "declared by staff as investigating", "fixing → verifying")."""
    data = entry.data or {}
    for key in ("to", "phase"):
        if data.get(key) in _PHASES:
            return Phase(data[key])
    text = (entry.text or "").strip()
    after = text.rsplit("→", 1)[1] if "→" in text else text.rsplit(" as ", 1)[-1]
    words = after.replace("(", " ").replace(",", " ").split()
    candidate = words[0] if "→" in text and words else (words[-1] if words else "")
    return Phase(candidate) if candidate in _PHASES else None


def phase_changes(
    entries: Sequence[TimelineRow], updates: Sequence[UpdateRow]
) -> tuple[list[tuple[datetime, Phase]], PhaseBasis]:
    """(when, new phase) in order: from transition entries, else from the updates' phases."""
    changes = [
        (entry.at, target)
        for entry in entries
        if entry.kind == "transition" and (target := transition_target(entry)) is not None
    ]
    if changes:
        return changes, "transitions"
    for update in updates:
        if update.recipients:
            continue  # a reminder to the lead carries no phase news
        phase = Phase(update.phase) if update.phase in _PHASES else None
        if phase is not None and (not changes or changes[-1][1] != phase):
            changes.append((update.created_at, phase))
    return changes, "updates" if changes else "none"


def phase_spans(changes: Sequence[tuple[datetime, Phase]], *, now: datetime) -> list[PhaseSpan]:
    """Consecutive phase intervals; the last one runs to `now` unless it is `resolved`."""
    collapsed: list[tuple[datetime, Phase]] = []
    for at, phase in changes:
        if not collapsed or collapsed[-1][1] != phase:
            collapsed.append((at, phase))
    spans = []
    for index, (start, phase) in enumerate(collapsed):
        last = index + 1 == len(collapsed)
        if last and phase == Phase.RESOLVED:
            break
        end = now if last else collapsed[index + 1][0]
        spans.append(
            PhaseSpan(
                phase=phase.value,
                start=start,
                end=end,
                seconds=max(0.0, (end - start).total_seconds()),
                ongoing=last,
            )
        )
    return spans
