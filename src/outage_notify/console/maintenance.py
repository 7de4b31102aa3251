"""The console's maintenance page: upcoming, active and past windows, the form that schedules
one (local times in the organisation's zone), and the buttons that extend, complete or cancel.

The forms call the same actions as the API's routes (`actions/maintenance.py`), so the audit
entry is under the signed-in person's name and the announcements follow from the beat step.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from outage_notify.actions import maintenance as actions
from outage_notify.console.forms import Form, FormError
from outage_notify.console.session import ConsoleSession
from outage_notify.console.web import (
    Posted,
    RowId,
    action_context,
    directory_of,
    local_time,
    principal,
    refusals,
    render,
    settings_of,
    signed_in,
)
from outage_notify.core import field_limits as limits
from outage_notify.maintenance.windows import WindowState
from outage_notify.store import maintenances as store
from outage_notify.store.maintenance_tables import MaintenanceRow

router = APIRouter(prefix="/console", include_in_schema=False)
MaintenanceId = RowId
PAGE = "/console/maintenance"
ACTIVE = (WindowState.ACTIVE.value, WindowState.VERIFYING.value)
PAST = (WindowState.COMPLETED.value, WindowState.CANCELLED.value)


@router.get("/maintenance", response_class=HTMLResponse)
def maintenance_page(request: Request) -> Response:
    """Active windows first, then upcoming (soonest first) and past ones; the schedule form."""
    user = signed_in(request)
    settings, directory = settings_of(request), directory_of(request)
    with request.app.state.sessions() as session:
        windows = list(store.listed(session))
    upcoming = sorted(
        (w for w in windows if w.state == WindowState.SCHEDULED.value), key=lambda w: w.starts_at
    )
    # The next full hour: a start the form accepts as it is.
    now = request.app.state.clock.now()
    suggested = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return render(
        request,
        "maintenance.html.j2",
        user=user,
        active=[w for w in windows if w.state in ACTIVE],
        upcoming=upcoming,
        past=[w for w in windows if w.state in PAST][:50],
        components=directory.components.ids,
        audiences=sorted(directory.audiences),
        start_value=local_time(settings, suggested, "%Y-%m-%dT%H:%M"),
        end_value=local_time(settings, suggested + timedelta(hours=2), "%Y-%m-%dT%H:%M"),
        done=request.query_params.get("done", ""),
    )


def _back(done: str) -> RedirectResponse:
    return RedirectResponse(f"{PAGE}?done={done}", status_code=303)


@router.post("/maintenance")
def schedule(request: Request, checked: Posted) -> Response:
    """Schedule a window from the form; its audiences hear of it within a beat tick."""
    user, form = checked
    timezone = settings_of(request).timezone
    with refusals():
        start = form.local_time("start", label="Start", timezone=timezone)
        end = form.local_time("end", label="End", timezone=timezone)
        if start is None or end is None:
            raise FormError("Start and end: please give both, as local times")
        components = form.values(
            "components", label="Components", limit=limits.COMPONENT, most=limits.COMPONENTS
        )
        audiences = form.values("audiences", label="Audiences", limit=limits.AUDIENCE, most=20)
        text = form.text("text", label="Public text", limit=limits.MESSAGE, required=True)
        actions.schedule(
            action_context(request),
            principal(user),
            service="email",
            components=components,
            start=start,
            end=end,
            text=text,
            audiences=audiences or None,
            require_probes=form.checked("require_probes"),
        )
    return _back("scheduled")


@router.post("/maintenance/{maintenance_id}/extend")
def extend(request: Request, maintenance_id: MaintenanceId, checked: Posted) -> Response:
    user, form = checked
    with refusals():
        end = form.local_time("end", label="New end", timezone=settings_of(request).timezone)
        if end is None:
            raise FormError("New end: please give a date and time")
        actions.extend(
            action_context(request),
            principal(user),
            maintenance_id,
            end=end,
            reason=form.text("reason", label="Reason", limit=limits.MESSAGE),
        )
    return _back("extended")


@router.post("/maintenance/{maintenance_id}/complete")
def complete(request: Request, maintenance_id: MaintenanceId, checked: Posted) -> Response:
    return _with_reason(request, maintenance_id, checked, actions.complete, "completed")


@router.post("/maintenance/{maintenance_id}/cancel")
def cancel(request: Request, maintenance_id: MaintenanceId, checked: Posted) -> Response:
    return _with_reason(request, maintenance_id, checked, actions.cancel, "cancelled")


def _with_reason(
    request: Request,
    maintenance_id: int,
    checked: tuple[ConsoleSession, Form],
    act: Callable[..., MaintenanceRow],
    done: str,
) -> Response:
    """Complete or cancel: the action with the form's reason, then back to the page."""
    user, form = checked
    with refusals():
        act(
            action_context(request),
            principal(user),
            maintenance_id,
            reason=form.text("reason", label="Reason", limit=limits.MESSAGE),
        )
    return _back(done)
