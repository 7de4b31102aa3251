"""When the outage started and which phase it was in when (pure).

From structured rows: the alerts' own start times (`events.started_at`) and the phase
transitions table. Incidents from before those existed fall back to the timeline: the start
times its alert entries carry, and its transition entries' text.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, TypeAdapter, ValidationError

from outage_notify.core.models import Phase
from outage_notify.core.records import PhaseTransitionRecord, TimelineRecord, UpdateRecord
from outage_notify.report.model import DetectBasis, PhaseBasis, PhaseSpan

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


def payload_start(data: dict[str, Any]) -> datetime | None:
    """The alert start time a stored event payload or timeline entry carries, if any."""
    for key in STARTS_AT_KEYS:
        when = _as_time(data.get(key))
        if when is not None:
            return when
    return None


def detection_start(
    entries: Sequence[TimelineRecord],
    *,
    opened_at: datetime,
    alert_starts: Sequence[datetime] = (),
) -> tuple[datetime, DetectBasis]:
    """The earliest start of an alert that joined the incident (`alert_starts`, else what the
    timeline's alert entries carry), else opened_at (an alert that claims to start after we
    opened the incident says nothing about detection, so opened_at again)."""
    starts = list(alert_starts) or [
        when
        for entry in entries
        if entry.kind == "alert"
        if (when := payload_start(entry.data or {})) is not None
    ]
    if starts and min(starts) <= opened_at:
        return min(starts), "alert_starts_at"
    return opened_at, "opened_at"


def transition_target(entry: TimelineRecord) -> Phase | None:
    """The phase a transition entry moved to: `data["to"]` if present, else read from its text
    ("opened as detected", "declared by staff as investigating", "fixing → verifying")."""
    data = entry.data or {}
    for key in ("to", "phase"):
        if data.get(key) in _PHASES:
            return Phase(data[key])
    # The reason follows a colon ("resolved → investigating: the alert fired again…"): the
    # phase is the word before it, and the reason may itself contain "as" or an arrow.
    text = (entry.text or "").strip().split(":", 1)[0]
    after = text.rsplit("→", 1)[1] if "→" in text else text.rsplit(" as ", 1)[-1]
    words = after.replace("(", " ").replace(",", " ").split()
    # The phase is the first word after the arrow or "as" ("opened as detected by the probe").
    candidate = words[0] if words else ""
    return Phase(candidate) if candidate in _PHASES else None


def phase_changes(
    entries: Sequence[TimelineRecord],
    updates: Sequence[UpdateRecord],
    transitions: Sequence[PhaseTransitionRecord] = (),
) -> tuple[list[tuple[datetime, Phase]], PhaseBasis]:
    """(when, new phase) in order: from the transitions table, else (incidents from before it)
    the timeline's transition entries, else the updates' phases."""
    recorded = sorted(transitions, key=lambda t: (t.at, t.id or 0))
    changes = [(t.at, Phase(t.to_phase)) for t in recorded if t.to_phase in _PHASES]
    if changes:
        return changes, "transitions"
    changes = [
        (entry.at, target)
        for entry in entries
        if entry.kind == "transition" and (target := transition_target(entry)) is not None
    ]
    if changes:
        return changes, "timeline"
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
