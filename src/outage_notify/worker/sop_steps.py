"""Units of work for SOP steps 4-5 and after: reminders, mail probes, the email catch-up.

Like `steps`, each loads, calls the pure core (reminders, verification), saves, and hands back
what to enqueue.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from outage_notify.contacts.routing import recipients
from outage_notify.core.models import Severity, UpdateDraft, UpdateKind
from outage_notify.incidents import lifecycle
from outage_notify.incidents.reminders import HOLDING_ACTOR, HOLDING_MESSAGE, due_reminder
from outage_notify.incidents.verification import RoundTrip, apply_probe
from outage_notify.mail.catchup_message import catchup_message
from outage_notify.messages.catalogs import Words
from outage_notify.messages.planning import WHOLE, find_contact
from outage_notify.store import incidents as incident_store
from outage_notify.store.engine import transaction
from outage_notify.store.mappers import incident_state
from outage_notify.store.tables import ProbeRow, UpdateRow
from outage_notify.worker.runtime import WorkerRuntime

if TYPE_CHECKING:
    from outage_notify.mail.probes import ProbeResult


def remind(runtime: WorkerRuntime) -> list[int]:
    """Remind leads of slipped ETAs and missed updates (once each); return updates to plan."""
    settings = runtime.settings
    now = runtime.clock.now()
    update_ids: list[int] = []
    with transaction(runtime.sessions) as session:
        # Locked: two ticks running at once must not both remind of the same deadline.
        for row in incident_store.open_incidents(session, for_update=True):
            lead = row.lead or settings.default_lead
            contact = find_contact(runtime.directory, lead) if lead else None
            # Worded in the lead's language; the timeline (no lead) in the organisation's.
            locale = contact.locale if contact is not None else settings.default_locale
            reminder = due_reminder(
                incident_state(row),
                last_update_at=incident_store.last_update_at(session, row.id),
                now=now,
                timezone=settings.timezone,
                last_update_kind=incident_store.last_update_kind(session, row.id),
                words=Words.of(settings.templates_dir, locale),
            )
            if reminder is None:
                continue
            row.reminded_for = reminder.deadline
            if lead and contact is not None:
                draft = UpdateDraft(
                    kind=UpdateKind.REMINDER,
                    message=reminder.text,
                    actor="reminder",
                    recipients=(lead,),
                    phase_change=True,
                )
                update_ids.append(incident_store.add_update(session, row, draft, now=now).id)
            else:
                incident_store.add_timeline(
                    session,
                    row.id,
                    at=now,
                    actor="reminder",
                    kind="reminder",
                    text=f"no incident lead to remind ({reminder.text}); set one with PATCH "
                    "/api/v1/incidents/{id} or OUTAGE_NOTIFY_DEFAULT_LEAD",
                )
            if reminder.cadence and settings.holding_messages:
                row.next_update_at = lifecycle.next_update_at(
                    Severity(row.severity), now=now, cadence_minutes=settings.update_cadence_minutes
                )
                # The msgid is stored; each reader gets it in their language when rendered.
                holding = UpdateDraft(
                    kind=UpdateKind.UPDATE, message=HOLDING_MESSAGE, actor=HOLDING_ACTOR
                )
                update_ids.append(incident_store.add_update(session, row, holding, now=now).id)
    return update_ids


def record_probe(runtime: WorkerRuntime, result: ProbeResult) -> list[int]:
    """Store a mail round trip and apply it to the email incident; return updates to plan."""
    settings = runtime.settings
    now = runtime.clock.now()
    service = "email"
    with transaction(runtime.sessions) as session:
        incident_store.lock_service(session, service)
        probe_row = ProbeRow(
            at=result.at,
            ok=result.ok,
            stage=result.stage,
            error=result.error,
            smtp_seconds=result.smtp_seconds,
            imap_seconds=result.imap_seconds,
            total_seconds=result.total_seconds,
        )
        session.add(probe_row)
        session.flush()
        row = incident_store.open_incident(session, service)
        decision = apply_probe(
            incident_state(row) if row is not None else None,
            RoundTrip(
                ok=result.ok, stage=result.stage, error=result.error, seconds=result.total_seconds
            ),
            consecutive_failures=incident_store.consecutive_probe_failures(session),
            failures_to_open=settings.probe.failures_to_open,
            passes_to_resolve=settings.probe.passes_to_resolve,
            now=now,
            cadence_minutes=settings.update_cadence_minutes,
            service=service,
        )
        if decision.incident is not None and decision.incident.id is None:
            decision.incident.lead = settings.default_lead
        saved, update = incident_store.save_decision(
            session, decision, row=row, now=now, actor="mail-probe"
        )
        probe_row.incident_id = saved.id if saved is not None else None
        return [update.id] if update is not None else []


def verified(runtime: WorkerRuntime, update_ids: list[int]) -> int | None:
    """The incident a probe just resolved (verification passed), if one of these did."""
    if not update_ids:
        return None
    with transaction(runtime.sessions) as session:
        update = session.get(UpdateRow, update_ids[0])
        if (
            update is None
            or update.kind != UpdateKind.RESOLVED
            or update.created_by != "mail-probe"
        ):
            return None
        return update.incident_id


def send_catchup(runtime: WorkerRuntime, incident_id: int) -> tuple[int, int]:
    """Email the catch-up summary to every notified contact with an address; (sent, failed)."""
    from outage_notify.mail.catchup import send_catchup as send

    settings = runtime.settings
    with transaction(runtime.sessions) as session:
        row = incident_store.get_incident(session, incident_id, for_update=True)
        if row is None or row.resolved_at is None:
            return 0, 0
        if any(entry.kind == "catchup" for entry in incident_store.timeline(session, incident_id)):
            return 0, 0  # a redelivered task: the summary already went out
        _catchup_entry(runtime, session, incident_id, "catchup", "email catch-up started")
        notified = dict(row.notified_audiences)
        title, opened_at, resolved_at = row.title, row.opened_at, row.resolved_at
        in_security_mode = row.security_since is not None
    by_locale: dict[str, list[tuple[str, str]]] = {}
    for name, filters in notified.items():
        audience = runtime.directory.audiences.get(name)
        if audience is None:
            continue
        by_id = {contact.id: contact for contact in audience.contacts}
        told = recipients(audience, tag_filters=tuple(filters) or WHOLE)
        # Exactly the contacts the outage messages went to (tag filters included), once each.
        ids = {r.key.split(":")[1] for r in told if r.kind == "contact"}
        for contact_id in sorted(ids):
            contact = by_id[contact_id]
            if contact.email:
                by_locale.setdefault(contact.locale, []).append((contact.name, contact.email))
    status_url = settings.status_page_url or settings.public_base_url.rstrip("/") + "/status"
    sent, failed = 0, []
    for locale, people in by_locale.items():
        if in_security_mode:
            # The title is alert text: in security mode only the neutral words go out.
            title = runtime.renderer.public_words.security(locale=locale).title
        subject, body = catchup_message(
            locale=locale,
            organisation=settings.organisation_name,
            title=title,
            opened_at=opened_at,
            resolved_at=resolved_at,
            timezone=settings.timezone,
            status_url=status_url,
            templates_dir=settings.templates_dir,
        )
        result = send(settings.probe, recipients=people, subject=subject, body=body)
        sent += result.sent
        failed += result.failed
    with transaction(runtime.sessions) as session:
        _catchup_entry(
            runtime,
            session,
            incident_id,
            "catchup_result",
            f"email catch-up sent to {sent}; {len(failed)} failed",
            data={"failed": [address for address, _ in failed]},
        )
    return sent, len(failed)


def _catchup_entry(
    runtime: WorkerRuntime,
    session: Session,
    incident_id: int,
    kind: str,
    text: str,
    data: dict[str, Any] | None = None,
) -> None:
    incident_store.add_timeline(
        session,
        incident_id,
        at=runtime.clock.now(),
        actor="catch-up",
        kind=kind,
        text=text,
        data=data,
    )
