"""The post-incident report endpoint (SOP step 6): Markdown, HTML or JSON."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request, Response, status

from outage_notify.api.deps import DB, Staff, clock_of, directory_of, staff_router
from outage_notify.api.read_audit import audit_read
from outage_notify.api.schemas import IncidentId
from outage_notify.report.html import to_html
from outage_notify.report.model import Report
from outage_notify.report.render import to_markdown
from outage_notify.store import notification_clock as clock_store
from outage_notify.store.coverage import ack_deadlines
from outage_notify.store.notification_clock import notifications_part
from outage_notify.store.report import incident_report

router = staff_router("/api/v1/incidents", "reports")


class ReportFormat(StrEnum):
    MD = "md"
    HTML = "html"
    JSON = "json"


@router.get(
    "/{incident_id}/report",
    response_model=Report,
    responses={
        200: {
            "content": {
                "text/markdown": {"schema": {"type": "string"}},
                "text/html": {"schema": {"type": "string"}},
            },
            "description": "The report: JSON (this schema), Markdown or a standalone HTML page.",
        },
        404: {"description": "No such incident."},
    },
    dependencies=[Depends(audit_read)],
)
def get_report(
    request: Request,
    db: DB,
    principal: Staff,
    incident_id: IncidentId,
    format: Annotated[ReportFormat, Query(description="md, html or json.")] = ReportFormat.JSON,
) -> Report | Response:
    """The post-incident report: timeline, phases, who was told what and when, figures."""
    report = incident_report(
        db,
        incident_id,
        now=clock_of(request).now(),
        cadence_minutes=request.app.state.settings.update_cadence_minutes,
        deadlines=ack_deadlines(directory_of(request).routing),
        timezone=request.app.state.settings.timezone,
        locale=request.app.state.settings.default_locale,
    )
    if report is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no incident {incident_id}")
    marked, clocks = clock_store.incident_clocks(
        db, incident_id, settings=request.app.state.settings, now=clock_of(request).now()
    )
    if marked is not None:
        report.notifications = notifications_part(
            marked_at=marked.marked_at, marked_by=marked.marked_by, clocks=clocks
        )
    # Words and dates in the organisation's locale (report.locale), from the catalogs.
    templates = request.app.state.settings.templates_dir
    if format == ReportFormat.MD:
        text = to_markdown(report, templates_dir=templates)
        return Response(text, media_type="text/markdown; charset=utf-8")
    if format == ReportFormat.HTML:
        page = to_html(report, templates_dir=templates)
        return Response(page, media_type="text/html; charset=utf-8")
    return report
