"""The notification clock's endpoints: staff mark that personal data may be affected (the legal
clocks start), and record each notice made (its reminders stop). Both are on the timeline and
in the audit log; the clocks show in the incident's detail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from sqlalchemy.orm import Session

from outage_notify.actions import staff as staff_actions
from outage_notify.api.clock_schemas import (
    NoticeIn,
    NoticeOut,
    NotificationClockOut,
    PersonalDataIn,
    PersonalDataOut,
)
from outage_notify.api.deps import (
    Principal,
    Staff,
    action_context,
    clock_of,
    domain_errors,
    staff_router,
)
from outage_notify.api.schemas import IncidentId
from outage_notify.config.settings import Settings
from outage_notify.incidents.notification_clock import LABELS, terms
from outage_notify.store import incidents as incident_store
from outage_notify.store import notification_clock as clock_store
from outage_notify.store.clock_tables import NotificationNoticeRow, PersonalDataMarkRow
from outage_notify.store.engine import transaction

router = staff_router("/api/v1/incidents", "incidents")


@router.post(
    "/{incident_id}/personal-data",
    status_code=status.HTTP_201_CREATED,
    response_model=PersonalDataOut,
    responses={409: {"description": "Already marked."}},
)
def mark_personal_data(
    request: Request, incident_id: IncidentId, body: PersonalDataIn, principal: Staff
) -> PersonalDataOut:
    """Mark that personal data may be affected: from `at` the legal clocks run (LGPD, GDPR as
    configured) and the lead and the `security` audience are reminded at 50/80/100 %."""
    now, at = _now_and_at(request, body.at)
    settings: Settings = request.app.state.settings
    with transaction(request.app.state.sessions) as session:
        _incident_or_404(session, incident_id)
        if clock_store.mark(session, incident_id) is not None:
            raise HTTPException(
                status.HTTP_409_CONFLICT, f"incident {incident_id} is already marked"
            )
        session.add(
            PersonalDataMarkRow(
                incident_id=incident_id, marked_at=at, marked_by=principal.name, recorded_at=now
            )
        )
        running = ", ".join(LABELS[term.obligation] for term in terms(settings.breach))
        return _recorded(
            session,
            request,
            principal,
            incident_id,
            at=now,
            kind="personal_data",
            text=f"personal data may be affected (since {at.isoformat()}); clocks: "
            + (running or "none configured"),
            data={"at": at.isoformat()},
            detail={"at": at.isoformat()},
        )


@router.post(
    "/{incident_id}/notifications",
    status_code=status.HTTP_201_CREATED,
    response_model=PersonalDataOut,
    responses={409: {"description": "Not marked yet, or this notice is already recorded."}},
)
def record_notice(
    request: Request, incident_id: IncidentId, body: NoticeIn, principal: Staff
) -> PersonalDataOut:
    """Record that a legal notice was made (who, when, reference): its reminders stop."""
    now, at = _now_and_at(request, body.at)
    settings: Settings = request.app.state.settings
    if body.obligation not in {term.obligation for term in terms(settings.breach)}:
        raise _invalid(
            "obligation",
            body.obligation.value,
            f"field 'obligation': the {body.obligation} clock is turned off "
            "(OUTAGE_NOTIFY_BREACH_* settings)",
        )
    with transaction(request.app.state.sessions) as session:
        _incident_or_404(session, incident_id, for_update=True)
        marked = clock_store.mark(session, incident_id)
        if marked is None:
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                f"incident {incident_id} is not marked: POST "
                f"/api/v1/incidents/{incident_id}/personal-data first",
            )
        if body.obligation in clock_store.notices(session, incident_id):
            raise HTTPException(
                status.HTTP_409_CONFLICT, f"the {body.obligation} notice is already recorded"
            )
        if at < marked.marked_at:
            raise _invalid(
                "at", at.isoformat(), "field 'at' is before personal data was marked as affected"
            )
        by = body.by.strip() or principal.name
        session.add(
            NotificationNoticeRow(
                incident_id=incident_id,
                obligation=body.obligation.value,
                notified_at=at,
                notified_by=by,
                reference=body.reference,
                recorded_by=principal.name,
                recorded_at=now,
            )
        )
        return _recorded(
            session,
            request,
            principal,
            incident_id,
            at=now,
            kind="notice",
            text=f"{LABELS[body.obligation]} notice made by {by} at {at.isoformat()}"
            + (f" (reference {body.reference})" if body.reference else ""),
            data={"obligation": body.obligation.value, "at": at.isoformat(), "by": by},
            detail=body.model_dump(mode="json"),
        )


def _now_and_at(request: Request, at: datetime | None) -> tuple[datetime, datetime]:
    """Now, and when the body says it happened (default now); 422 when that is in the future."""
    now = clock_of(request).now()
    when = at or now
    if when > now:
        raise _invalid("at", when.isoformat(), "field 'at' is in the future")
    return now, when


def _recorded(
    session: Session,
    request: Request,
    principal: Principal,
    incident_id: int,
    *,
    at: datetime,
    kind: str,
    text: str,
    data: dict[str, Any],
    detail: dict[str, Any],
) -> PersonalDataOut:
    """The change on the incident's timeline and in the audit log (action `kind`); the mark and
    clocks as they now stand."""
    incident_store.add_timeline(
        session, incident_id, at=at, actor=principal.name, kind=kind, text=text, data=data
    )
    staff_actions.audit(
        session,
        action_context(request),
        principal,
        action=kind,
        incident_id=incident_id,
        detail=detail,
    )
    session.flush()
    settings: Settings = request.app.state.settings
    found = personal_data(session, incident_id, settings=settings, request=request)
    assert found is not None
    return found


def personal_data(
    session: Session, incident_id: int, *, settings: Settings, request: Request
) -> PersonalDataOut | None:
    """The incident's mark and clocks as the API shows them (None before the mark)."""
    marked, running = clock_store.incident_clocks(
        session, incident_id, settings=settings, now=clock_of(request).now()
    )
    if marked is None:
        return None
    return PersonalDataOut(
        marked_at=marked.marked_at,
        marked_by=marked.marked_by,
        clocks=[
            NotificationClockOut(
                obligation=clock.obligation,
                started_at=clock.started_at,
                deadline=clock.deadline,
                percent_elapsed=clock.percent_elapsed,
                notified=None
                if clock.notice is None
                else NoticeOut(
                    at=clock.notice.at, by=clock.notice.by, reference=clock.notice.reference
                ),
                on_time=clock.on_time,
            )
            for clock in running
        ],
    )


def _invalid(field: str, value: object, reason: str) -> RequestValidationError:
    """A 422 shaped like FastAPI's own (the API's one documented 422 body)."""
    return RequestValidationError(
        [{"type": "value_error", "loc": ("body", field), "msg": reason, "input": value}]
    )


def _incident_or_404(session: Session, incident_id: int, *, for_update: bool = False) -> None:
    with domain_errors():
        staff_actions.incident_or_error(session, incident_id, for_update=for_update)
