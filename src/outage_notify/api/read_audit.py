"""Staff reads of an incident in security mode go into the audit log (who looked, when, what).

Every GET of the incident and its sub-resources (deliveries, action items, report) is one
audit entry `read`, except a request carrying `X-Outage-Notify-Refresh: 1`: a console's
live-refresh poll would bury the reads people make under thousands of identical rows. An
incident outside security mode is not audited on read (docs/concepts/security-mode.md).
"""

from __future__ import annotations

from fastapi import Request

from outage_notify.actions import staff as staff_actions
from outage_notify.api.deps import Staff, action_context
from outage_notify.api.schemas import IncidentId
from outage_notify.store import incidents as incident_store
from outage_notify.store.engine import transaction

REFRESH_HEADER = "X-Outage-Notify-Refresh"


def audit_read(request: Request, principal: Staff, incident_id: IncidentId) -> None:
    """A dependency: records the read in its own transaction, before the route answers."""
    if request.headers.get(REFRESH_HEADER, "").strip() == "1":
        return
    with transaction(request.app.state.sessions) as session:
        row = incident_store.get_incident(session, incident_id)
        if row is None or row.security_since is None:
            return
        query = request.url.query
        staff_actions.audit(
            session,
            action_context(request),
            principal,
            action="read",
            incident_id=incident_id,
            detail={"path": request.url.path + (f"?{query}" if query else "")},
        )
