"""When the incident lead must be reminded (pure): a passed ETA, or a promised update missed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from outage_notify.models import IncidentState, Phase, UpdateKind


@dataclass(frozen=True)
class Reminder:
    """One slipped promise; `deadline` identifies it so it is reminded once."""

    deadline: datetime
    text: str
    # A missed update cadence (not an ETA): stakeholders may get a holding message.
    cadence: bool


def due_reminder(
    incident: IncidentState,
    *,
    last_update_at: datetime | None,
    now: datetime,
    timezone: str,
    last_update_kind: UpdateKind | None = None,
) -> Reminder | None:
    """The reminder the lead is owed now, if any (never the same deadline twice)."""
    if incident.phase == Phase.RESOLVED:
        return None
    zone = ZoneInfo(timezone)
    if (
        last_update_kind == UpdateKind.REOPENED
        and incident.eta is None
        and last_update_at is not None
        and incident.reminded_for != last_update_at
    ):
        # A reopen closes the old ETA and tells everyone "no new estimate yet": the lead is
        # asked for one at once, not when the next promised update slips.
        return Reminder(
            deadline=last_update_at,
            text="the incident was reopened; stakeholders were told there is no new estimate "
            "yet. Post an update with a new ETA.",
            cadence=False,
        )
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
