"""The console's pages (GET): sign-in, incidents, one incident, its live coverage, its report,
and the two static assets. Each loads with the store queries the API uses and renders."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from importlib.resources import files
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from markupsafe import Markup

from outage_notify.console import drafts, identity, views
from outage_notify.console import session as sessions
from outage_notify.console.web import (
    HEADERS,
    Refused,
    directory_of,
    fragment,
    local_time,
    render,
    settings_of,
    signed_in,
)
from outage_notify.core.models import CauseCategory, Phase, Severity
from outage_notify.report.html import to_html
from outage_notify.report.render import to_markdown
from outage_notify.store import incidents as incident_store
from outage_notify.store import notification_clock as clock_store
from outage_notify.store.coverage import ack_deadlines
from outage_notify.store.notification_clock import notifications_part
from outage_notify.store.report import incident_report

router = APIRouter(prefix="/console", include_in_schema=False)
IncidentId = Annotated[int, Path(ge=1, le=2**63 - 1)]
ASSETS = {"console.css": "text/css; charset=utf-8", "console.js": "text/javascript; charset=utf-8"}
NOTE_KINDS = ("note", "finding", "containment", "credential_reset")


class ReportFormat(StrEnum):
    PAGE = "page"
    MD = "md"
    HTML = "html"
    JSON = "json"


@router.get("")
def home() -> RedirectResponse:
    return RedirectResponse("/console/incidents", status_code=303)


@router.get("/static/{name}")
def asset(name: str) -> Response:
    """The console's stylesheet and script: every asset comes from the app."""
    if name not in ASSETS:
        raise Refused(404, f"no asset {name[:40]!r}")
    body = files("outage_notify.console").joinpath("static", name).read_bytes()
    return Response(
        body,
        media_type=ASSETS[name],
        headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"},
    )


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request) -> Response:
    """The sign-in form, with its own CSRF token in a short-lived cookie."""
    settings = settings_of(request)
    user = identity.current(request, settings, now=request.app.state.clock.now())
    if user is not None:
        return render(request, "signed_in.html.j2", user=user)
    token = secrets.token_urlsafe(32)
    response = render(
        request,
        "sign_in.html.j2",
        csrf=token,
        error="",
        proxy=bool(settings.console.trusted_header),
    )
    response.set_cookie(
        sessions.SIGN_IN_COOKIE,
        token,
        max_age=900,
        path="/console",
        httponly=True,
        secure=request.url.scheme == "https",
        samesite="strict",
    )
    return response


@router.get("/incidents", response_class=HTMLResponse)
def incidents_page(
    request: Request,
    template: Annotated[str, Query(max_length=64)] = "",
    locale: Annotated[str, Query(max_length=35)] = "",
) -> Response:
    """Open incidents first, then recent ones; the declare form, from a template if picked."""
    user = signed_in(request)
    settings, directory = settings_of(request), directory_of(request)
    with request.app.state.sessions() as session:
        opened, recent = views.incident_lists(session)
    found, picker = drafts.templates_of(settings, directory)
    draft = drafts.draft_from(
        found, template, locale or settings.default_locale, now=request.app.state.clock.now()
    )
    return render(
        request,
        "incidents.html.j2",
        user=user,
        opened=opened,
        recent=recent,
        severities=[s.value for s in Severity],
        causes=[c.value for c in CauseCategory],
        components=directory.components.ids,
        picker=picker,
        draft=draft,
        draft_eta=local_time(settings, draft.eta, "%Y-%m-%dT%H:%M"),
        default_locale=locale or settings.default_locale,
        done=request.query_params.get("done", ""),
    )


@router.get("/incidents/{incident_id}", response_class=HTMLResponse)
def incident_page(request: Request, incident_id: IncidentId) -> Response:
    """Phase, ETA and its history, clocks, live coverage, the timeline, and every form."""
    user = signed_in(request)
    settings, directory = settings_of(request), directory_of(request)
    with request.app.state.sessions() as session:
        row = incident_store.get_incident(session, incident_id)
        if row is None:
            raise Refused(404, f"There is no incident {incident_id}.")
        page = views.incident_page(
            session, row, directory=directory, settings=settings, now=request.app.state.clock.now()
        )
    return render(
        request,
        "incident.html.j2",
        user=user,
        page=page,
        i=page.incident,
        coverage=fragment("coverage.html.j2", c=page.coverage, local=_local(request)),
        phases=[p.value for p in Phase if p != Phase.RESOLVED],
        causes=[c.value for c in CauseCategory],
        audiences=sorted(directory.audiences),
        note_kinds=NOTE_KINDS,
        eta_value=local_time(settings, row.eta, "%Y-%m-%dT%H:%M"),
        done=request.query_params.get("done", ""),
    )


def _local(request: Request) -> Callable[..., str]:
    """The fragment's time filter: a time in the organisation's zone, seconds shown."""
    settings = settings_of(request)

    def local(value: datetime | None, pattern: str = "%H:%M:%S %Z") -> str:
        return local_time(settings, value, pattern)

    return local


@router.get("/incidents/{incident_id}/live", response_class=HTMLResponse)
def live_coverage(request: Request, incident_id: IncidentId) -> Response:
    """The coverage part of the incident page, polled by console.js."""
    signed_in(request)
    with request.app.state.sessions() as session:
        found = views.coverage(
            session,
            incident_id,
            directory=directory_of(request),
            now=request.app.state.clock.now(),
        )
    return HTMLResponse(
        fragment("coverage.html.j2", c=found, local=_local(request)), headers=HEADERS
    )


@router.get("/incidents/{incident_id}/report", response_class=HTMLResponse)
def report_page(
    request: Request,
    incident_id: IncidentId,
    format: Annotated[ReportFormat, Query()] = ReportFormat.PAGE,
) -> Response:
    """The post-incident report in the page, or as a Markdown, HTML or JSON download."""
    user = signed_in(request)
    settings, now = settings_of(request), request.app.state.clock.now()
    with request.app.state.sessions() as session:
        report = incident_report(
            session,
            incident_id,
            now=now,
            cadence_minutes=settings.update_cadence_minutes,
            deadlines=ack_deadlines(directory_of(request).routing),
            timezone=settings.timezone,
            locale=settings.default_locale,
        )
        if report is None:
            raise Refused(404, f"There is no incident {incident_id}.")
        marked, clocks = clock_store.incident_clocks(
            session, incident_id, settings=settings, now=now
        )
    if marked is not None:
        report.notifications = notifications_part(
            marked_at=marked.marked_at, marked_by=marked.marked_by, clocks=clocks
        )
    name = f"incident-{incident_id}-report"
    if format == ReportFormat.MD:
        return _download(
            to_markdown(report, templates_dir=settings.templates_dir), "text/markdown", f"{name}.md"
        )
    html = to_html(report, templates_dir=settings.templates_dir)
    if format == ReportFormat.HTML:
        return _download(html, "text/html", f"{name}.html")
    if format == ReportFormat.JSON:
        return _download(
            json.dumps(report.model_dump(mode="json"), indent=2), "application/json", f"{name}.json"
        )
    return render(
        request,
        "report.html.j2",
        user=user,
        incident_id=incident_id,
        body=Markup(_body(html)),  # noqa: S704 - the report's own autoescaped HTML
    )


def _body(html: str) -> str:
    # The standalone page's body: its styles are the console's own (console.css).
    start = html.index("<body>") + len("<body>")
    return html[start : html.rindex("</body>")]


def _download(text: str, media_type: str, filename: str) -> Response:
    return Response(
        text,
        media_type=f"{media_type}; charset=utf-8",
        headers={**HEADERS, "Content-Disposition": f'attachment; filename="{filename}"'},
    )
