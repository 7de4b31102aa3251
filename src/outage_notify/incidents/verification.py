"""What a mail round trip (SMTP send, IMAP receive) means for an incident (pure).

Probes are SOP step 5 and a detector for step 1. A failing round trip is like one more alert
group ("probe:mail"): enough consecutive failures open an incident, and while it fails the
incident cannot be verified. While verifying, passes are counted; N in a row resolve it, and one
failure sends it back to investigating with a "fix did not hold" update.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from outage_notify.core.models import IncidentState, Phase, Severity
from outage_notify.incidents.decisions import Decision, TimelineEntry
from outage_notify.incidents.transitions import (
    back_to_investigating,
    mark_resolved,
    open_incident,
    start_verifying,
)
from outage_notify.messages.catalogs import N_

PROBE_GROUP = "probe:mail"
ACTOR = "mail-probe"
# Stored in English; each reader gets it in their language (`update_messages.reader_message`).
FIX_DID_NOT_HOLD = N_("The fix did not hold: mail still fails (%(stage)s).")
# Where a round trip failed says which way mail is broken.
SENDING_STAGES = frozenset({"connect", "ehlo", "starttls", "auth", "send"})


@dataclass(frozen=True)
class RoundTrip:
    """The outcome of one probe, as the lifecycle needs it."""

    ok: bool
    stage: str
    error: str = ""
    seconds: float = 0.0


def apply_probe(
    incident: IncidentState | None,
    probe: RoundTrip,
    *,
    consecutive_failures: int,
    failures_to_open: int,
    passes_to_resolve: int,
    now: datetime,
    cadence_minutes: Mapping[Severity, int],
    service: str = "email",
) -> Decision:
    """Open, hold, verify or resolve an incident from one mail round trip."""
    entry = TimelineEntry(
        "probe",
        "mail round trip passed"
        if probe.ok
        else f"mail round trip failed at {probe.stage}: {probe.error}",
        ACTOR,
        {"ok": probe.ok, "stage": probe.stage, "seconds": round(probe.seconds, 3)},
    )
    if incident is None or incident.phase == Phase.RESOLVED:
        if probe.ok or consecutive_failures < failures_to_open:
            return Decision(incident=None)
        return _open(probe, now=now, cadence_minutes=cadence_minutes, service=service, entry=entry)
    new = copy.deepcopy(incident)
    if not probe.ok:
        if PROBE_GROUP not in new.active_groups:
            new.active_groups.append(PROBE_GROUP)
        if incident.phase != Phase.VERIFYING:
            return Decision(incident=new, timeline=(entry,))
        return back_to_investigating(
            new,
            actor=ACTOR,
            reason="fix did not hold",
            now=now,
            cadence_minutes=cadence_minutes,
            message=FIX_DID_NOT_HOLD % {"stage": probe.stage},
            extra=(entry,),
        )
    if PROBE_GROUP in new.active_groups:
        new.active_groups.remove(PROBE_GROUP)
    if new.phase != Phase.VERIFYING:
        if new.active_groups:
            return Decision(incident=new, timeline=(entry,))
        # Monitoring is quiet and mail flows: start counting, silently (no message yet).
        moved = start_verifying(new, actor=ACTOR, extra=(entry,), announce=False)
        new = moved.incident if moved.incident is not None else new
        entries = moved.timeline
    else:
        entries = (entry,)
    new.verify_passes += 1
    if new.verify_passes >= passes_to_resolve:
        return mark_resolved(new, message="", actor=ACTOR, now=now, extra=entries)
    return Decision(incident=new, timeline=entries)


def _open(
    probe: RoundTrip,
    *,
    now: datetime,
    cadence_minutes: Mapping[Severity, int],
    service: str,
    entry: TimelineEntry,
) -> Decision:
    return open_incident(
        service=service,
        title="Email is not working: the mail round trip check fails",
        summary=probe.error,
        severity=Severity.CRITICAL,
        phase=Phase.DETECTED,
        components=["outbound"] if probe.stage in SENDING_STAGES else ["inbound"],
        groups=[PROBE_GROUP],
        actor=ACTOR,
        how="opened as detected by the mail probe",
        now=now,
        cadence_minutes=cadence_minutes,
        extra=(entry,),
    )
