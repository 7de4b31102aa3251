"""What an ETA from staff may be (pure): in the future, and not absurdly far ahead.

An ETA in the past was accepted and sent as if it still held ("Retorno previsto: 01/01 20:00"
for 2020); one years ahead is almost always a typo in the year. Both are refused with a reason
(HTTP 422, or the command's reply) on every way staff set an ETA: declare, update, reopen.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from outage_notify.core.errors import EtaError
from outage_notify.core.models import IncidentState

# Longer than any email outage that is still being fixed rather than replaced; a planned
# migration that takes longer is announced as maintenance, not with an ETA.
MAX_AHEAD = timedelta(days=30)


def check_staff_eta(eta: datetime | None, *, now: datetime) -> None:
    """Raise EtaError unless `eta` is None or within (now, now + MAX_AHEAD]."""
    if eta is None:
        return
    if eta <= now:
        raise EtaError(
            f"field 'eta': {eta.isoformat()} is not in the future (now {now.isoformat()}); "
            "give the time the fix is now expected"
        )
    if eta > now + MAX_AHEAD:
        raise EtaError(
            f"field 'eta': {eta.isoformat()} is more than {MAX_AHEAD.days} days ahead; "
            "check the date"
        )


def clear_eta_on_reopen(new: IncidentState) -> None:
    """A reopened incident has no ETA until staff give a new one: the old one was for a fix
    that did not hold (and has usually passed), so it is never announced again."""
    new.eta = None
    # The lead is reminded to set one (`reminders.due_reminder`), once per reopen.
    new.reminded_for = None
