"""When the incident lead must be reminded (pure): a passed ETA, or a promised update missed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from outage_notify.core.models import IncidentState, Phase, UpdateKind
from outage_notify.messages.catalogs import N_, Words
from outage_notify.messages.filters import format_time

# Sent to stakeholders when a promised update was missed (HOLDING_MESSAGES); stored as this
# msgid and worded in each reader's language when rendered (`update_messages`).
HOLDING_MESSAGE = N_("We are still working on it.")
HOLDING_ACTOR = "reminder"
# The lead's reminders, written by the same actor: stored in the lead's language, and
# re-worded for a reader of another one (`update_messages.reader_message`).
REOPENED_REMINDER = N_(
    "The incident was reopened; stakeholders were told there is no new estimate "
    "yet. Post an update with a new ETA."
)
ETA_PASSED_REMINDER = N_(
    "The ETA %(time)s has passed with no update. Post an update with a new ETA."
)
PROMISED_REMINDER = N_("Stakeholders were promised an update by %(time)s. Post one now.")
REMINDER_MESSAGES = (HOLDING_MESSAGE, REOPENED_REMINDER, ETA_PASSED_REMINDER, PROMISED_REMINDER)


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
    words: Words | None = None,
) -> Reminder | None:
    """The reminder the lead is owed now, if any (never the same deadline twice), worded in
    the lead's language (`words`; English without it)."""
    if incident.phase == Phase.RESOLVED:
        return None
    words = words or Words()
    zone = ZoneInfo(timezone)

    def at(moment: datetime) -> str:
        return format_time(moment, zone=zone, now=now, locale=words.locale)

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
            text=words(REOPENED_REMINDER),
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
            text=words(ETA_PASSED_REMINDER, time=at(eta)),
            cadence=False,
        )
    promised = incident.next_update_at
    if promised is not None and promised <= now and incident.reminded_for != promised:
        return Reminder(
            deadline=promised,
            text=words(PROMISED_REMINDER, time=at(promised)),
            cadence=True,
        )
    return None
