"""What a declaration or a staff update would send, without sending or storing anything.

For the preview endpoints (`POST /api/v1/incidents/preview`, `POST
/api/v1/incidents/{id}/updates/preview`), the web console and `outage-notify incident …
--preview`. The lifecycle decides exactly as `actions.staff` would (`actions.staff_decisions`),
the stored incident is read without a lock, and `incidents.update_preview` plans the decision
as the worker would. Nothing is written: no incident, update, timeline entry, audit entry or
delivery, and nothing is enqueued.

Call with the action context and the snapshot in force, e.g. from a FastAPI route:

    from outage_notify.actions.preview import preview_declaration, preview_staff_update
    result = preview_staff_update(
        action_context(request), snapshot_of(request), 7,
        StaffChange(message="Disk replaced; mail is flowing again"), actor=principal.name,
    )
    for message in result.messages: print(message.audience, message.channel, message.body)

Refusals are the staff actions' own: `NoSuchIncident`, `AlreadyOpen`, `TransitionError`,
`EtaError` (`api.deps.domain_errors` turns them into 404, 409 and 422).
"""

from __future__ import annotations

from datetime import datetime

from outage_notify.actions.preview_whatsapp import with_whatsapp_templates
from outage_notify.actions.staff import ActionContext
from outage_notify.actions.staff_decisions import (
    Declaration,
    StaffChange,
    declare_decision,
    update_decision,
)
from outage_notify.core.errors import AlreadyOpen, NoSuchIncident
from outage_notify.incidents.lifecycle import Decision
from outage_notify.incidents.update_fields import draft_update
from outage_notify.incidents.update_preview import (
    UpdatePreview,
    draft_incident,
    preview_update,
)
from outage_notify.messages.snapshot import Snapshot
from outage_notify.store import incidents as incident_store
from outage_notify.store.mappers import incident_state
from outage_notify.store.tables import IncidentRow


def preview_declaration(
    ctx: ActionContext, snapshot: Snapshot, declaration: Declaration, *, actor: str
) -> UpdatePreview:
    """The `opened` messages a declaration with these fields would send, and to whom."""
    with ctx.sessions() as session:
        existing = incident_store.open_incident(session, declaration.service)
    if existing is not None:
        raise AlreadyOpen(existing.id, declaration.service)
    now = ctx.clock.now()
    decision = declare_decision(ctx.settings, declaration, actor=actor, now=now)
    return _preview(ctx, snapshot, decision, before=None, actor=actor, now=now)


def preview_staff_update(
    ctx: ActionContext,
    snapshot: Snapshot,
    incident_id: int,
    change: StaffChange,
    *,
    actor: str,
) -> UpdatePreview:
    """The messages a staff update of incident `incident_id` would send, and to whom."""
    with ctx.sessions() as session:
        row = incident_store.get_incident(session, incident_id)
        if row is None:
            raise NoSuchIncident(incident_id)
        session.expunge(row)
    now = ctx.clock.now()
    decision = update_decision(ctx.settings, incident_state(row), change, actor=actor, now=now)
    return _preview(ctx, snapshot, decision, before=row, actor=actor, now=now)


def _preview(
    ctx: ActionContext,
    snapshot: Snapshot,
    decision: Decision,
    *,
    before: IncidentRow | None,
    actor: str,
    now: datetime,
) -> UpdatePreview:
    if decision.incident is None or decision.update is None:
        # The lifecycle decided to send nothing (e.g. an unchanged update).
        return UpdatePreview(
            kind="", audiences=(), messages=(), recipients=0, sms_cost=0.0,
            warnings=("this would send no message",),
        )  # fmt: skip
    incident = draft_incident(decision.incident, before=before, actor=actor)
    update = draft_update(incident, decision.update, now=now)
    preview = preview_update(
        ctx.settings, snapshot.directory, snapshot.renderer, snapshot.budgets, incident, update
    )
    return with_whatsapp_templates(preview, ctx.settings)
