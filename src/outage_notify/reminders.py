"""When the incident lead must be reminded (pure): a passed ETA, or a promised update missed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from outage_notify.models import IncidentState, Phase


@dataclass(frozen=True)
class Reminder:
    """One slipped promise; `deadline` identifies it so it is reminded once."""

    deadline: datetime
    text: str
    # A missed update cadence (not an ETA): stakeholders may get a holding message.
    cadence: bool


def due_reminder(
    incident: IncidentState, *, last_update_at: datetime | None, now: datetime, timezone: str
) -> Reminder | None:
    """The reminder the lead is owed now, if any (never the same deadline twice)."""
    if incident.phase == Phase.RESOLVED:
        return None
    zone = ZoneInfo(timezone)
    eta = incident.eta
    if (
        eta is not None
        and eta <= now
        and (last_update_at is None or last_update_at < eta)
        and incident.reminded_for != eta
    ):
        return Reminder(
            deadline=eta,
            text=f"the ETA {eta.astimezone(zone):%H:%M} has passed with no update. "
            "Post an update with a new ETA.",
            cadence=False,
        )
    promised = incident.next_update_at
    if promised is not None and promised <= now and incident.reminded_for != promised:
        return Reminder(
            deadline=promised,
            text=f"stakeholders were promised an update by {promised.astimezone(zone):%H:%M}. "
            "Post one now.",
            cadence=True,
        )
    return None
