"""Staff reopen a resolved incident (pure): the fix did not hold after all.

The same rules as every reopen (an alert within the hold-down, a failed mail probe while
verifying): back to investigating, and the old ETA is closed (`eta_rules.clear_eta_on_reopen`).
Staff may give a new ETA with the reopen; it is announced as an estimate, not as a change.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime

from outage_notify.errors import TransitionError
from outage_notify.eta_rules import check_staff_eta, clear_eta_on_reopen
from outage_notify.lifecycle import STAFF_GROUP, Decision, TimelineEntry, next_update_at
from outage_notify.models import IncidentState, Phase, Severity, UpdateDraft, UpdateKind


def reopen(
    incident: IncidentState,
    *,
    message: str,
    actor: str,
    now: datetime,
    cadence_minutes: Mapping[Severity, int],
    eta: datetime | None = None,
    public: bool = True,
) -> Decision:
    """Staff reopen a resolved incident: back to investigating, everyone who was told of the
    resolution hears it again. The old ETA is never re-announced: the message says "no new
    estimate yet; next update by ..." unless staff give a new `eta` here."""
    if incident.phase != Phase.RESOLVED:
        raise TransitionError("only a resolved incident can be reopened")
    check_staff_eta(eta, now=now)
    new = copy.deepcopy(incident)
    new.phase = Phase.INVESTIGATING
    new.resolved_at = None
    new.verify_passes = 0
    new.alerts_clear_since = None
    # Staff own it now: an alert that clears must not resolve it behind their back.
    new.active_groups = [STAFF_GROUP]
    new.next_update_at = next_update_at(new.severity, now=now, cadence_minutes=cadence_minutes)
    clear_eta_on_reopen(new)
    new.eta = eta
    entries = [TimelineEntry("transition", "resolved → investigating: reopened by staff", actor)]
    if eta is not None:
        entries.append(
            TimelineEntry(
                "eta",
                f"ETA set to {eta.isoformat()}",
                actor,
                {"eta": eta.isoformat(), "announced": True},
            )
        )
    return Decision(
        incident=new,
        update=UpdateDraft(
            kind=UpdateKind.REOPENED,
            message=message,
            phase=Phase.INVESTIGATING,
            eta=eta,
            actor=actor,
            phase_change=True,
            public=public,
            staff_text=True,
        ),
        timeline=tuple(entries),
    )
