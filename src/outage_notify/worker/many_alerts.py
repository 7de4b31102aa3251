"""The new-incident cap per webhook source, in the event path.

A source may open MAX_NEW_INCIDENTS_PER_HOUR incidents in an hour; a further new alert from
it joins the source's one "many alerts" incident (opened on the first, told like any new
incident) instead of opening its own, and the incident lead is told once. Alerts that join
say nothing more to anyone; their resolutions clear their group there, so the incident
resolves when the last of them does.

Kept out of `steps.process_event` on purpose: that loop only calls `divert` before the
lifecycle, `quiet` after it and `tell_lead` after saving.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from outage_notify.core.models import AlertEvent, AlertStatus, Phase, UpdateDraft, UpdateKind
from outage_notify.incidents.flood_control import (
    MANY_ALERTS_PREFIX,
    NEW_INCIDENT_WINDOW,
    many_alerts_service,
)
from outage_notify.incidents.lifecycle import Decision, TimelineEntry
from outage_notify.store import incidents as incident_store
from outage_notify.store.tables import IncidentRow, UpdateRow
from outage_notify.worker.runtime import WorkerRuntime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Routed:
    """The alert to apply and the incident to apply it to; `diverted` when that is the
    source's "many alerts" incident rather than the alert's own service's."""

    alert: AlertEvent
    row: IncidentRow | None
    diverted: bool = False
    service: str = ""  # the alert's own service, when diverted


def divert(
    session: Session,
    runtime: WorkerRuntime,
    source: str,
    alert: AlertEvent,
    row: IncidentRow | None,
    *,
    now: datetime,
) -> Routed:
    """Where an alert goes: its service's incident, or the source's "many alerts" one."""
    if row is not None and row.phase != Phase.RESOLVED:
        return Routed(alert, row)
    service = many_alerts_service(source)
    # Serialises the source's count and its many-alerts incident: two events of different
    # services applied at once must not both open the cap's last incident.
    incident_store.lock_service(session, service)
    many = incident_store.open_incident(session, service)
    joined = alert.model_copy(update={"service": service})
    if many is not None and alert.group_key in many.active_groups:
        return Routed(joined, many, diverted=True, service=alert.service)
    settings = runtime.settings
    cap = settings.max_new_incidents_per_hour
    if alert.status is not AlertStatus.FIRING or not cap:
        return Routed(alert, row)
    hold_down = timedelta(minutes=settings.hold_down_minutes)
    if row is not None and row.resolved_at is not None and now - row.resolved_at <= hold_down:
        return Routed(alert, row)  # it reopens its incident: not a new one
    opened = incident_store.count_opened_by(
        session, source, since=now - NEW_INCIDENT_WINDOW, excluding_prefix=MANY_ALERTS_PREFIX
    )
    if opened < cap:
        return Routed(alert, row)
    return Routed(joined, many, diverted=True, service=alert.service)


def quiet(runtime: WorkerRuntime, routed: Routed, source: str, decision: Decision) -> Decision:
    """A diverted alert's decision: the incident opens under the "many alerts" title; after
    that, joining alerts only go on its timeline (no "now also affected" to everyone)."""
    if not routed.diverted or decision.incident is None:
        return decision
    cap = runtime.settings.max_new_incidents_per_hour
    entry = TimelineEntry(
        "many_alerts",
        f"alert for {routed.service} applied here: {source} reached its cap of {cap} new "
        "incidents an hour",
        source,
        {"service": routed.service},
    )
    timeline = (*decision.timeline, entry)
    if decision.incident.id is None:
        incident = replace(decision.incident)
        title = runtime.renderer.phrase(
            runtime.settings.default_locale, "many_alerts_title", {"source": source}
        )
        incident.title = title or incident.title
        incident.summary = ""
        return replace(decision, incident=incident, timeline=timeline)
    update = decision.update
    if update is not None and update.kind is UpdateKind.UPDATE:
        update = None
    return replace(decision, update=update, timeline=timeline)


def tell_lead(
    session: Session,
    runtime: WorkerRuntime,
    routed: Routed,
    source: str,
    saved: IncidentRow | None,
    update: UpdateRow | None,
    *,
    now: datetime,
) -> UpdateRow | None:
    """Once the "many alerts" incident opened: a note to its lead (or DEFAULT_LEAD)."""
    if not routed.diverted or saved is None or update is None or update.kind != UpdateKind.OPENED:
        return None
    lead = saved.lead or runtime.settings.default_lead
    if not lead:
        log.warning(
            "incident %s groups new alerts from %s and there is no incident lead to tell",
            saved.id,
            source,
            extra={"incident_id": saved.id},
        )
        return None
    draft = UpdateDraft(
        kind=UpdateKind.MANY_ALERTS, message=source, actor=source, recipients=(lead,)
    )
    return incident_store.add_update(session, saved, draft, now=now)
