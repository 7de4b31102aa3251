"""The console's forms (POST): sign-in and sign-out, declare, update, resolve, reopen,
retract, notes and findings, action items, and the record (lead, root cause, cause category).

Each checks the session and its CSRF token (`web.posted`), reads its fields, calls the staff
action the API's route calls, and sends the browser back to the incident (303). The action
writes its audit entry under the signed-in person's name.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse

from outage_notify.actions import notes, records
from outage_notify.actions import staff as staff_actions
from outage_notify.actions.preview import preview_declaration, preview_staff_update
from outage_notify.actions.staff_decisions import Declaration, StaffChange
from outage_notify.console import identity
from outage_notify.console import session as sessions
from outage_notify.console.forms import Form, unknown_among
from outage_notify.console.session import ConsoleSession
from outage_notify.console.web import (
    SIGN_IN,
    Posted,
    Refused,
    RowId,
    action_context,
    clock_of,
    directory_of,
    principal,
    read_form,
    refusals,
    remember,
    render,
    settings_of,
)
from outage_notify.core import field_limits as limits
from outage_notify.core.models import CauseCategory, Phase, Severity
from outage_notify.incidents.update_preview import UpdatePreview
from outage_notify.store.engine import transaction

router = APIRouter(prefix="/console", include_in_schema=False)
IncidentId = RowId
NOTE_KINDS = ("note", "finding", "containment", "credential_reset")


def _preview(
    request: Request,
    user: ConsoleSession,
    preview: UpdatePreview,
    form: Form,
    action: str,
    send: str,
) -> Response:
    """What the form would send, per audience, channel, locale and zone, with the form's
    fields kept so one button sends exactly that."""
    return render(
        request,
        "preview.html.j2",
        user=user,
        preview=preview,
        fields=form.pairs(),
        action=action,
        send=send,
        currency=settings_of(request).sms_currency,
    )


def _back(incident_id: int, done: str) -> RedirectResponse:
    return RedirectResponse(f"/console/incidents/{incident_id}?done={done}", status_code=303)


@router.post("/sign-in")
def sign_in(request: Request, form: Annotated[Form, Depends(read_form)]) -> Response:
    """An API token (staff or admin) for a session cookie; a monitor token is refused."""
    expected = request.cookies.get(sessions.SIGN_IN_COOKIE, "")
    if not expected or not sessions.same_token(form.raw("csrf"), expected):
        raise Refused(
            403, "The sign-in form's security token is missing or out of date: reload it."
        )
    settings = settings_of(request)
    with refusals():
        presented = form.text("token", label="Token", limit=1000)
        person = form.text("name", label="Your name", limit=limits.ACTOR)
    token = identity.token_role(settings.api_tokens, presented) if presented else None
    refusal = identity.sign_in_refusal(token) if presented else "Give a token."
    if refusal is not None or token is None:
        identity.log_refusal(request, refusal or "no token")
        return render(
            request,
            "sign_in.html.j2",
            status=403 if token is not None else 401,
            csrf=expected,
            error=refusal or "Give a token.",
            proxy=bool(settings.console.trusted_header),
        )
    user = sessions.new_session(
        settings,
        name=identity.actor_name(token, person),
        role=token.role,
        now=clock_of(request).now(),
        via="token",
    )
    # Who opened a console session, and with whose token: in the audit log like every action.
    with transaction(request.app.state.sessions) as session:
        staff_actions.audit(
            session,
            action_context(request),
            principal(user),
            action="console_sign_in",
            incident_id=None,
            detail={"token": token.name},
        )
    response = RedirectResponse("/console/incidents", status_code=303)
    remember(request, response, user)
    response.delete_cookie(sessions.SIGN_IN_COOKIE, path="/console")
    return response


@router.post("/sign-out")
def sign_out(request: Request, checked: Posted) -> Response:
    """Clear the session cookie (the form's CSRF token checked, as on every form)."""
    response = RedirectResponse(SIGN_IN, status_code=303)
    response.delete_cookie(sessions.COOKIE, path="/console")
    return response


@router.post("/incidents")
def declare(request: Request, checked: Posted) -> Response:
    user, form = checked
    directory = directory_of(request)
    with refusals():
        components = form.values(
            "components", label="Components", limit=limits.COMPONENT, most=limits.COMPONENTS
        )
        unknown_among(components, directory.components.ids, label="Components")
        title = form.text("title", label="Title", limit=limits.TITLE, required=True)
        message = form.text("message", label="Message", limit=limits.DESCRIPTION)
        severity = form.choice("severity", Severity, label="Severity") or Severity.MAJOR
        eta = form.local_time("eta", label="ETA", timezone=settings_of(request).timezone)
        public_title = form.text("public_title", label="Public title", limit=limits.TITLE)
        cause = form.choice("cause_category", CauseCategory, label="Cause category")
        template = form.text("template", label="Template", limit=64)
        declaration = Declaration(
            title=title,
            summary=message,
            severity=severity,
            components=components,
            eta=eta,
            cause_category=cause or CauseCategory.UNKNOWN,
        )
        if form.text("intent", label="Intent", limit=10) == "preview":
            preview = preview_declaration(
                action_context(request),
                request.app.state.config.current(),
                declaration,
                actor=user.name,
            )
            return _preview(
                request, user, preview, form, "/console/incidents", "Declare and notify"
            )
        done = staff_actions.declare(
            action_context(request),
            principal(user),
            declaration,
            detail={
                "via": "console",
                "template": template or None,
                "title": title,
                "summary": message,
                "severity": severity.value,
                "components": components,
                "eta": eta.isoformat() if eta else None,
            },
        )
        if public_title:
            records.edit_incident(
                action_context(request),
                principal(user),
                done.incident.id,
                public_title=public_title,
                detail={"via": "console", "public_title": public_title},
            )
    return _back(done.incident.id, "declared")


@router.post("/incidents/{incident_id}/updates")
def post_update(request: Request, incident_id: IncidentId, checked: Posted) -> Response:
    user, form = checked
    with refusals():
        audiences = form.values("audiences", label="Audiences", limit=limits.AUDIENCE, most=20)
        unknown_among(audiences, sorted(directory_of(request).audiences), label="Audiences")
        message = form.text("message", label="Message", limit=limits.MESSAGE, required=True)
        phase = form.choice("phase", Phase, label="Phase")
        eta = form.local_time("eta", label="ETA", timezone=settings_of(request).timezone)
        public = form.checked("public")
        change = StaffChange(
            message=message, phase=phase, eta=eta, audiences=audiences or None, public=public
        )
        if form.text("intent", label="Intent", limit=10) == "preview":
            preview = preview_staff_update(
                action_context(request),
                request.app.state.config.current(),
                incident_id,
                change,
                actor=user.name,
            )
            path = f"/console/incidents/{incident_id}/updates"
            return _preview(request, user, preview, form, path, "Send update")
        staff_actions.update(
            action_context(request),
            principal(user),
            incident_id,
            change,
            detail={
                "via": "console",
                "message": message,
                "phase": phase.value if phase else None,
                "eta": eta.isoformat() if eta else None,
                "audiences": audiences,
            },
        )
    return _back(incident_id, "update")


@router.post("/incidents/{incident_id}/resolve")
def resolve(request: Request, incident_id: IncidentId, checked: Posted) -> Response:
    user, form = checked
    with refusals():
        message = form.text("message", label="Message", limit=limits.MESSAGE)
        override = form.text("override_reason", label="Override reason", limit=limits.MESSAGE)
        staff_actions.resolve(
            action_context(request),
            principal(user),
            incident_id,
            message=message,
            override_reason=override,
            public=form.checked("public"),
            detail={"via": "console"},
        )
    return _back(incident_id, "resolved")


@router.post("/incidents/{incident_id}/reopen")
def reopen(request: Request, incident_id: IncidentId, checked: Posted) -> Response:
    user, form = checked
    with refusals():
        message = form.text("message", label="Message", limit=limits.MESSAGE, required=True)
        staff_actions.reopen(
            action_context(request),
            principal(user),
            incident_id,
            message=message,
            public=form.checked("public"),
            eta=form.local_time("eta", label="ETA", timezone=settings_of(request).timezone),
            detail={"via": "console", "message": message},
        )
    return _back(incident_id, "reopened")


@router.post("/incidents/{incident_id}/retract")
def retract(request: Request, incident_id: IncidentId, checked: Posted) -> Response:
    user, form = checked
    with refusals():
        message = form.text("message", label="Message", limit=limits.MESSAGE)
        if form.raw("confirm") != "yes":
            raise Refused(400, "Tick the box to confirm the retraction: nothing was sent.")
        staff_actions.retract(
            action_context(request),
            principal(user),
            incident_id,
            message=message,
            detail={"via": "console"},
        )
    return _back(incident_id, "retracted")


@router.post("/incidents/{incident_id}/notes")
def add_note(request: Request, incident_id: IncidentId, checked: Posted) -> Response:
    user, form = checked
    with refusals():
        kind = form.text("kind", label="Kind", limit=40) or "note"
        unknown_among([kind], NOTE_KINDS, label="Kind")
        notes.add_note(
            action_context(request),
            principal(user),
            incident_id,
            text=form.text("text", label="Note", limit=limits.NOTE, required=True),
            kind=kind,
            for_security=form.checked("for_security"),
            detail={"via": "console"},
        )
    return _back(incident_id, kind)


@router.post("/incidents/{incident_id}/action-items")
def add_action_item(request: Request, incident_id: IncidentId, checked: Posted) -> Response:
    user, form = checked
    with refusals():
        records.add_action_item(
            action_context(request),
            principal(user),
            incident_id,
            text=form.text("text", label="Action item", limit=limits.ACTION_ITEM, required=True),
            owner=form.text("owner", label="Owner", limit=limits.OWNER),
        )
    return _back(incident_id, "action_item")


@router.post("/incidents/{incident_id}/record")
def edit_record(request: Request, incident_id: IncidentId, checked: Posted) -> Response:
    """Lead, root cause and cause category: an empty field leaves the record as it is."""
    user, form = checked
    directory = directory_of(request)
    with refusals():
        lead = form.text("lead", label="Lead", limit=limits.LEAD)
        if lead:
            known = [c.id for a in directory.audiences.values() for c in a.contacts]
            unknown_among([lead], known, label="Lead (a contact id)")
        root_cause = form.text("root_cause", label="Root cause", limit=limits.NOTE)
        cause = form.choice("cause_category", CauseCategory, label="Cause category")
        records.edit_incident(
            action_context(request),
            principal(user),
            incident_id,
            lead=lead or None,
            root_cause=root_cause or None,
            cause_category=cause,
            detail={
                "via": "console",
                "lead": lead,
                "root_cause": root_cause,
                "cause_category": cause or "",
            },
        )
    return _back(incident_id, "record")
