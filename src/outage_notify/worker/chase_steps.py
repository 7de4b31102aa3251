"""The re-notification check behind `outage_notify.chase`: load, decide (`chasing`), save.

Each incident is checked in a transaction of its own that starts by locking the incident row,
so two checks running at once (two beats, a slow tick) take turns: the second reads what the
first wrote and finds nothing left to do. The unreached are written and the lead's update is
created in that same transaction, which is why the lead hears about each person once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from outage_notify.core.models import DeliveryState, Phase, UpdateDraft, UpdateKind
from outage_notify.incidents.chasing import (
    Chase,
    Latest,
    Unreached,
    decide,
    next_answerable,
    unreached_message,
)
from outage_notify.messages.planning import find_contact
from outage_notify.store import chase as chase_store
from outage_notify.store import incidents as incident_store
from outage_notify.store.engine import transaction
from outage_notify.store.tables import DeliveryRow, IncidentRow
from outage_notify.worker import voice_steps
from outage_notify.worker.runtime import WorkerRuntime
from outage_notify.worker.steps import URGENT_KINDS
from outage_notify.worker.voice_steps import CallPlan

log = logging.getLogger(__name__)
ACTOR = "chase"


@dataclass
class Chased:
    """What one check hands back: deliveries to send again (by lane), updates to plan."""

    urgent: list[int] = field(default_factory=list)
    rest: list[int] = field(default_factory=list)
    updates: list[int] = field(default_factory=list)
    # Phone calls to place once the chase has committed (voice escalation).
    calls: list[CallPlan] = field(default_factory=list)


def chase(runtime: WorkerRuntime) -> Chased:
    """Re-notify or give up on everyone whose acknowledgement is overdue, once each; and list
    to the lead, once each, everyone whose delivery failed on every channel."""
    routing = runtime.directory.routing
    default_lead = runtime.settings.default_lead or ""
    chased = Chased()
    if routing.acknowledge:
        include_resolved = any(UpdateKind.RESOLVED in rule.kinds for rule in routing.acknowledge)
        with transaction(runtime.sessions) as session:
            incident_ids = chase_store.incidents_to_chase(
                session, include_resolved=include_resolved, default_lead=default_lead
            )
        for incident_id in incident_ids:
            _chase_incident(runtime, incident_id, chased)
    # After the chase, which lists the failed it asked for an acknowledgement in its own words.
    with transaction(runtime.sessions) as session:
        failed = chase_store.incidents_with_failed(session, default_lead=default_lead)
    for incident_id in failed:
        _report_failed(runtime, incident_id, chased)
    with transaction(runtime.sessions) as session:
        behind = chase_store.incidents_with_held(session)
    for incident_id in behind:
        _report_held(runtime, incident_id, chased)
    return chased


def _report_held(runtime: WorkerRuntime, incident_id: int, chased: Chased) -> None:
    """Tell the lead, once per person, whose news the recipient cap is holding: nothing is
    dropped silently, and the lead can reach them another way if it cannot wait."""
    now = runtime.clock.now()
    with transaction(runtime.sessions) as session:
        incident = incident_store.get_incident(session, incident_id, for_update=True)
        if incident is None:
            return
        rows = chase_store.held_untold(session, incident_id)
        if not rows:
            return
        for row in rows:
            _about(session, incident_id, row, kind="behind", what=row.error, now=now)
        people = [_person(runtime, [row], row) for row in rows]
        _tell_lead(runtime, session, incident, people, chased, now=now, kind=UpdateKind.BEHIND)


def _report_failed(runtime: WorkerRuntime, incident_id: int, chased: Chased) -> None:
    """The lead's unreached list for people no channel reached, in any audience."""
    now = runtime.clock.now()
    unreached: list[Unreached] = []
    with transaction(runtime.sessions) as session:
        incident = incident_store.get_incident(session, incident_id, for_update=True)
        if incident is None:
            return
        default_lead = runtime.settings.default_lead or ""
        for row in chase_store.failed_unreported(session, incident_id, default_lead=default_lead):
            if row.ack_required and voice_steps.applies(runtime, row):
                continue  # the chase phones them first, and lists them if no call reaches them
            if not chase_store.mark_failed_unreached(session, row, now=now):
                continue
            unreached.append(_person(runtime, [row], row))
            what = f"every channel failed ({row.error or 'no reason given'}); call by phone"
            _about(session, incident_id, row, kind="unreached", what=what, now=now)
        if unreached:
            _tell_lead(runtime, session, incident, unreached, chased, now=now)


def _chase_incident(runtime: WorkerRuntime, incident_id: int, chased: Chased) -> None:
    routing = runtime.directory.routing
    now = runtime.clock.now()
    unreached: list[Unreached] = []
    with transaction(runtime.sessions) as session:
        incident = incident_store.get_incident(session, incident_id, for_update=True)
        if incident is None:
            return
        owing = chase_store.owing(
            session, incident_id, default_lead=runtime.settings.default_lead or ""
        )
        newest = chase_store.latest(session, incident_id, list(owing))
        kinds = chase_store.update_kinds(session, {row.update_id for row in newest.values()})
        for key, rows in owing.items():
            row = newest.get(key)
            rule = routing.ack_rule(row.audience if row else rows[0].audience)
            rule = rule or routing.ack_rule(rows[0].audience)
            if rule is None:
                continue  # the rule was taken out of routing.yaml: nobody is chased any more
            action = decide(
                _latest(row),
                renotify_after=rule.renotify_after,
                now=now,
                resolved=incident.phase == Phase.RESOLVED,
            )
            latest = _latest(row)
            target = next_answerable(latest) if latest is not None else None
            if action is Chase.RENOTIFY and row and target is not None:
                if chase_store.renotify(session, row, to=target, now=now):
                    _renotified(
                        session, row, to=target, minutes=rule.renotify_after_minutes, now=now
                    )
                    _send_again(runtime, chased, row, kinds)
            elif action in (Chase.INFORM, Chase.UNREACHED):
                calls = _voice(runtime, session, incident, row, action, chased, kinds, now=now)
                if calls is None or not chase_store.mark_unreached(
                    session, incident_id, key, now=now
                ):
                    continue
                unreached.append(_person(runtime, rows, row))
                informed = ""
                # The news still goes out where it can be read; the outbound message adds
                # the request only on SMS and Slack, so this one goes without it.
                if (
                    action is Chase.INFORM
                    and row is not None
                    and chase_store.renotify(session, row, to=row.route_index + 1, now=now)
                ):
                    informed = row.routes[row.route_index + 1]["channel"]
                    _send_again(runtime, chased, row, kinds)
                _unreached(session, incident_id, rows[0], informed=informed, calls=calls, now=now)
        if unreached:
            _tell_lead(runtime, session, incident, unreached, chased, now=now)


def _send_again(
    runtime: WorkerRuntime, chased: Chased, row: DeliveryRow, kinds: dict[int, str]
) -> None:
    urgent = row.audience in runtime.settings.urgent_audiences and (
        kinds.get(row.update_id) in URGENT_KINDS
    )
    (chased.urgent if urgent else chased.rest).append(row.id)


def _latest(row: DeliveryRow | None) -> Latest | None:
    if row is None:
        return None
    return Latest(
        state=DeliveryState(row.state),
        route_index=row.route_index,
        channels=tuple(str(route["channel"]) for route in row.routes),
        # Every recorded send sets sent_at; a row without one must not wait forever.
        sent_at=row.sent_at or row.updated_at,
        ack_required=row.ack_required,
    )


def _person(runtime: WorkerRuntime, rows: list[DeliveryRow], row: DeliveryRow | None) -> Unreached:
    """Who to call, with the number to call: the one we texted, else the contact's own."""
    known = [*rows, row] if row is not None else rows
    phone = next(iter(chase_store.phones(known)), "")
    if not phone:
        # SMS may not be among the contact's channels, but a phone number is still worth calling.
        contact = find_contact(runtime.directory, rows[0].recipient_key.split(":")[1])
        phone = (contact.phone or "") if contact is not None else ""
    return Unreached(name=rows[0].recipient_name, audience=rows[0].audience, phone=phone)


def _renotified(
    session: Session, row: DeliveryRow, *, to: int, minutes: float, now: datetime
) -> None:
    channel = row.routes[to]["channel"]
    incident_store.add_timeline(
        session,
        row.incident_id,
        at=now,
        actor=ACTOR,
        kind="renotified",
        text=f"{row.recipient_name} ({row.audience}): no acknowledgement within "
        f"{minutes:g} min; sent again on {channel}",
        data={"delivery_id": row.id, "channel": channel, "route_index": to},
    )
    log.info(
        "delivery %s: no acknowledgement, re-notified on %s",
        row.id,
        channel,
        extra={"incident_id": row.incident_id, "delivery_id": row.id},
    )


def _voice(
    runtime: WorkerRuntime,
    session: Session,
    incident: IncidentRow,
    row: DeliveryRow | None,
    action: Chase,
    chased: Chased,
    kinds: dict[int, str],
    *,
    now: datetime,
) -> str | None:
    """Voice escalation's say about someone the chase would list unreached: None while the
    calls go on; their outcome once every call went unanswered; "" when nobody is phoned."""
    if row is None or not voice_steps.applies(runtime, row):
        return ""
    # The news still goes where it can be read, once, while the phone rings.
    if action is Chase.INFORM and chase_store.renotify(
        session, row, to=row.route_index + 1, now=now
    ):
        _send_again(runtime, chased, row, kinds)
    return voice_steps.escalate(runtime, session, incident, row, chased.calls, now=now)


def _unreached(
    session: Session,
    incident_id: int,
    row: DeliveryRow,
    *,
    informed: str,
    now: datetime,
    calls: str = "",
) -> None:
    where = (
        f"no acknowledgement on any channel they can answer on; the news sent on {informed} "
        "without asking"
        if informed
        else "no acknowledgement on any channel"
    )
    if calls:
        # Voice escalation already phoned them: the outcome is what the lead needs to know.
        _about(session, incident_id, row, kind="unreached", what=f"{where}; {calls}", now=now)
        return
    _about(session, incident_id, row, kind="unreached", what=f"{where}; call by phone", now=now)


def _about(
    session: Session, incident_id: int, row: DeliveryRow, *, kind: str, what: str, now: datetime
) -> None:
    """A chase entry on the timeline about one recipient: "name (audience): what"."""
    incident_store.add_timeline(
        session,
        incident_id,
        at=now,
        actor=ACTOR,
        kind=kind,
        text=f"{row.recipient_name} ({row.audience}): {what}",
        data={"recipient_key": row.recipient_key, "audience": row.audience},
    )


def _tell_lead(
    runtime: WorkerRuntime,
    session: Session,
    incident: IncidentRow,
    people: list[Unreached],
    chased: Chased,
    *,
    now: datetime,
    kind: UpdateKind = UpdateKind.UNREACHED,
) -> None:
    """One update to the incident lead listing `people`, added to `chased.updates` to be
    planned; with no lead to tell, a timeline entry and a warning instead."""
    lead = incident.lead or runtime.settings.default_lead
    if lead and find_contact(runtime.directory, lead) is not None:
        draft = UpdateDraft(
            kind=kind,
            message=unreached_message(people),
            actor=ACTOR,
            recipients=(lead,),
            # Like a reminder: never held back by a per-recipient SMS budget.
            phase_change=True,
        )
        chased.updates.append(incident_store.add_update(session, incident, draft, now=now).id)
        return
    names = ", ".join(person.name for person in people)
    incident_store.add_timeline(
        session,
        incident.id,
        at=now,
        actor=ACTOR,
        kind="unreached",
        text=f"nobody could be told that {names} "
        + ("could not be reached" if kind is UpdateKind.UNREACHED else "is behind (news held)")
        + ": no incident lead; set one with PATCH /api/v1/incidents/{id} or "
        "OUTAGE_NOTIFY_DEFAULT_LEAD",
    )
    log.warning(
        "incident %s: %s unreached and no incident lead to tell",
        incident.id,
        len(people),
        extra={"incident_id": incident.id},
    )
