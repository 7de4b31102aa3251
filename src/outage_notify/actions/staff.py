"""What staff do to an incident — declare, update, resolve, reopen, retract — without an HTTP
request (notes: `actions.notes`).

The HTTP API, the Slack `/outage` command and SMS commands all act through these functions,
so a change made from a phone is the same change, with the same audit entry, as one made with
an API token. Each runs in one transaction with its audit entry and enqueues the update only
after the commit. Domain errors come out as `NoSuchIncident`, `AlreadyOpen` and
`TransitionError`; the HTTP layer maps them to 404/409, the command layers to sentences.
Results are domain values (`ActionResult`): the HTTP layer shapes its own responses, so this
module never imports the API package. The time of an action is read from the context's clock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from outage_notify.actions.staff_decisions import (
    Declaration,
    StaffChange,
    declare_decision,
    update_decision,
)
from outage_notify.config.api_tokens import Role
from outage_notify.config.settings import Settings
from outage_notify.contacts.directory import Directory
from outage_notify.core.clock import SYSTEM_CLOCK, Clock
from outage_notify.core.errors import AlreadyOpen, NoSuchIncident
from outage_notify.core.models import (
    IncidentState,
)
from outage_notify.incidents import corrections, lifecycle, security
from outage_notify.incidents.lifecycle import Decision
from outage_notify.store import audit as audit_store
from outage_notify.store import incidents as incident_store
from outage_notify.store.engine import transaction
from outage_notify.store.mappers import incident_state
from outage_notify.store.tables import IncidentRow

log = logging.getLogger(__name__)


class WorkQueue(Protocol):
    """Where saved events and updates go to be applied, planned and sent
    (`worker.enqueue.Enqueuer`); a protocol, so that actions never import the worker."""

    def event(self, event_id: int) -> None: ...

    def update(self, update_id: int) -> None: ...


@dataclass(frozen=True)
class Principal:
    """Who acts: an API token's, a Slack user's or a phone's name and role."""

    name: str
    role: Role


@dataclass(frozen=True)
class ActionResult:
    """What a declare, update or resolve did: the incident as saved, and the update it made."""

    # Detached, every column loaded: the sessions keep rows usable after the commit.
    incident: IncidentRow
    update_id: int | None
    # False when the broker was unreachable: the sweeper will pick the update up later.
    queued: bool


@dataclass(frozen=True)
class ActionContext:
    """What an action needs from the running service, and where the request came from."""

    sessions: sessionmaker[Session]
    enqueuer: WorkQueue
    settings: Settings
    directory: Directory
    # For the audit log: the client address (and, for commands, the channel it came over).
    client: str
    # The service's clock: when the action happened, for the incident and its audit entry.
    clock: Clock = SYSTEM_CLOCK


def audit(
    session: Session,
    ctx: ActionContext,
    principal: Principal,
    *,
    action: str,
    incident_id: int | None,
    detail: Mapping[str, Any],
) -> None:
    """Append the action to the audit log, in the transaction that performs it."""
    audit_store.record(
        session,
        at=ctx.clock.now(),
        actor=principal.name,
        role=principal.role.value,
        action=action,
        incident_id=incident_id,
        detail=dict(detail),
        client=ctx.client,
    )


def incident_or_error(
    session: Session, incident_id: int, *, for_update: bool = False
) -> IncidentRow:
    """The incident, or NoSuchIncident."""
    row = incident_store.get_incident(session, incident_id, for_update=for_update)
    if row is None:
        raise NoSuchIncident(incident_id)
    return row


def perform(
    ctx: ActionContext,
    principal: Principal,
    incident_id: int | None,
    decide: Callable[[IncidentState | None], Decision],
    *,
    action: str,
    detail: Mapping[str, Any],
) -> ActionResult:
    """Run a lifecycle decision under a row lock, commit with its audit entry, then enqueue."""
    now = ctx.clock.now()
    with transaction(ctx.sessions) as session:
        row = None
        if incident_id is not None:
            row = incident_or_error(session, incident_id, for_update=True)
        decision = decide(incident_state(row) if row is not None else None)
        saved, update = incident_store.save_decision(
            session, decision, row=row, now=now, actor=principal.name
        )
        assert saved is not None
        update_id = update.id if update is not None else None
        audit(
            session,
            ctx,
            principal,
            action=action,
            incident_id=saved.id,
            detail={**detail, "update_id": update_id},
        )
    queued = True
    if update_id is not None:
        try:
            ctx.enqueuer.update(update_id)
        except Exception:
            log.exception("broker unreachable; update %s waits for the sweeper", update_id)
            queued = False
    return ActionResult(incident=saved, update_id=update_id, queued=queued)


def declare(
    ctx: ActionContext,
    principal: Principal,
    declaration: Declaration,
    *,
    detail: Mapping[str, Any],
) -> ActionResult:
    """Open an incident; the `opened` message goes to the audiences routing selects.

    With `security_mode` (or the category `security`) it is in security mode from the start.
    """
    service = declaration.service
    with transaction(ctx.sessions) as session:
        existing = incident_store.open_incident(session, service)
        if existing is not None:
            raise AlreadyOpen(existing.id, service)

    def decide(_: IncidentState | None) -> Decision:
        return declare_decision(
            ctx.settings, declaration, actor=principal.name, now=ctx.clock.now()
        )

    return perform(ctx, principal, None, decide, action="declare", detail=detail)


def update(
    ctx: ActionContext,
    principal: Principal,
    incident_id: int,
    change: StaffChange,
    *,
    detail: Mapping[str, Any],
) -> ActionResult:
    """Send progress to stakeholders; a new ETA makes it an `eta_changed` message.

    The message is shown on the status page unless `public` is false or `audiences` narrows
    who is told (text for chosen audiences is not for everyone); `public` None means true,
    except in security mode.
    """

    def decide(state: IncidentState | None) -> Decision:
        assert state is not None
        return update_decision(
            ctx.settings, state, change, actor=principal.name, now=ctx.clock.now()
        )

    return perform(ctx, principal, incident_id, decide, action="update", detail=detail)


def resolve(
    ctx: ActionContext,
    principal: Principal,
    incident_id: int,
    *,
    message: str = "",
    override_reason: str = "",
    public: bool | None = None,
    detail: Mapping[str, Any] | None = None,
) -> ActionResult:
    """Resolve the incident; everyone who was told about it hears that it is fixed.

    The message is shown on the status page unless `public` is false.
    """
    passes = ctx.settings.verification

    def decide(state: IncidentState | None) -> Decision:
        assert state is not None
        return lifecycle.resolve(
            state,
            message=message,
            actor=principal.name,
            now=ctx.clock.now(),
            passes_required=passes,
            override_reason=override_reason,
            public=security.staff_public(state, public),
        )

    return perform(
        ctx,
        principal,
        incident_id,
        decide,
        action="resolve",
        detail={"message": message, "override_reason": override_reason, **(detail or {})},
    )


def reopen(
    ctx: ActionContext,
    principal: Principal,
    incident_id: int,
    *,
    message: str,
    public: bool | None = None,
    eta: datetime | None = None,
    detail: Mapping[str, Any] | None = None,
) -> ActionResult:
    """Reopen a resolved incident (back to investigating); whoever was told hears `reopened`.

    Staff reopened it, so staff resolve it again: an alert that joins and clears must not.
    """
    settings = ctx.settings

    def decide(state: IncidentState | None) -> Decision:
        assert state is not None
        return lifecycle.reopen(
            state,
            actor=principal.name,
            reason=f"reopened by staff: {message}",
            now=ctx.clock.now(),
            cadence_minutes=settings.update_cadence_minutes,
            groups=[lifecycle.STAFF_GROUP],
            message=message,
            public=security.staff_public(state, public),
            staff_text=True,
            eta=eta,
        )

    return perform(
        ctx,
        principal,
        incident_id,
        decide,
        action="reopen",
        detail={"message": message, "public": public, **(detail or {})},
    )


def retract(
    ctx: ActionContext,
    principal: Principal,
    incident_id: int,
    *,
    message: str,
    detail: Mapping[str, Any] | None = None,
) -> ActionResult:
    """Withdraw a mistaken incident: those told get "please disregard"; off the public page."""

    def decide(state: IncidentState | None) -> Decision:
        assert state is not None
        return corrections.retract(
            state, message=message, actor=principal.name, now=ctx.clock.now()
        )

    return perform(
        ctx,
        principal,
        incident_id,
        decide,
        action="retract",
        detail={"message": message, **(detail or {})},
    )


def record_refusal(
    ctx: ActionContext,
    *,
    actor: str,
    role: str,
    incident_id: int | None,
    detail: Mapping[str, Any],
) -> None:
    """Put a refused command in the audit log; `role` is "none" for a sender we do not know."""
    with transaction(ctx.sessions) as session:
        audit_store.record(
            session,
            at=ctx.clock.now(),
            actor=actor,
            role=role,
            action="refused",
            incident_id=incident_id,
            detail=dict(detail),
            client=ctx.client,
        )
