"""Internal notes and findings on an incident: on the timeline, never sent to anyone but, for
a note marked `for_security`, the security audience (docs/concepts/security-mode.md).

Like every staff action (`actions.staff`), one transaction with its audit entry; the update
of a note for the security audience is enqueued after the commit.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from outage_notify.actions.staff import ActionContext, Principal, audit, incident_or_error
from outage_notify.core.models import SECURITY_AUDIENCE, UpdateDraft, UpdateKind
from outage_notify.store import incidents as incident_store
from outage_notify.store.engine import transaction

log = logging.getLogger(__name__)


def add_note(
    ctx: ActionContext,
    principal: Principal,
    incident_id: int,
    *,
    text: str,
    kind: str = "note",
    for_security: bool = False,
    detail: Mapping[str, Any] | None = None,
) -> int:
    """An internal note or finding on the timeline; its timeline id.

    Never sent to anyone, except a note `for_security`: the security audience gets it as an
    update (never public, never to another audience).
    """
    update_id = None
    with transaction(ctx.sessions) as session:
        incident = incident_or_error(session, incident_id, for_update=for_security)
        row = incident_store.add_timeline(
            session,
            incident_id,
            at=ctx.clock.now(),
            actor=principal.name,
            kind=kind,
            text=text,
            data={"for_security": True} if for_security else {},
        )
        session.flush()
        if for_security:
            draft = UpdateDraft(
                kind=UpdateKind.UPDATE,
                message=text,
                audiences=(SECURITY_AUDIENCE,),
                actor=principal.name,
                staff_text=True,
                public=False,
            )
            update_id = incident_store.add_update(session, incident, draft, now=ctx.clock.now()).id
        audit(
            session,
            ctx,
            principal,
            action=kind,
            incident_id=incident_id,
            detail={
                "timeline_id": row.id,
                "text": text,
                "for_security": for_security,
                "update_id": update_id,
                **(detail or {}),
            },
        )
        timeline_id = row.id
    if update_id is not None:
        try:
            ctx.enqueuer.update(update_id)
        except Exception:
            log.exception("broker unreachable; update %s waits for the sweeper", update_id)
    return timeline_id
