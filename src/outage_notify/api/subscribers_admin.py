"""Admin reads and removals of self-subscribed people: `/api/v1/admin/subscribers`.

Numbers are personal data: listing them needs the admin role, and every removal is audited.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import HTTPException, Query, Request, status
from pydantic import BaseModel

from outage_notify.actions.staff import audit
from outage_notify.api.deps import Admin, action_context, staff_router
from outage_notify.store import subscribers as subscriber_store
from outage_notify.store.engine import transaction
from outage_notify.store.subscriber_tables import SubscriberRow

router = staff_router("/api/v1/admin/subscribers", "admin")


class SubscriberOut(BaseModel):
    """One subscriber: number (E.164), language, components followed (empty: all)."""

    id: int
    phone: str
    locale: str
    components: list[str]
    subscribed_at: datetime


class SubscriberPage(BaseModel):
    total: int
    subscribers: list[SubscriberOut]


def _out(row: SubscriberRow) -> SubscriberOut:
    return SubscriberOut(
        id=row.id,
        phone=row.phone,
        locale=row.locale,
        components=list(row.components or ()),
        subscribed_at=row.subscribed_at,
    )


@router.get("", response_model=SubscriberPage)
def list_subscribers(
    request: Request,
    principal: Admin,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> SubscriberPage:
    """Subscribers, oldest first."""
    with transaction(request.app.state.sessions) as session:
        rows = subscriber_store.listed(session, limit=limit, offset=offset)
        return SubscriberPage(
            total=subscriber_store.count(session), subscribers=[_out(row) for row in rows]
        )


@router.get("/{subscriber_id}", response_model=SubscriberOut)
def get_subscriber(request: Request, principal: Admin, subscriber_id: int) -> SubscriberOut:
    """One subscriber."""
    with transaction(request.app.state.sessions) as session:
        row = subscriber_store.get(session, subscriber_id)
        if row is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no subscriber {subscriber_id}")
        return _out(row)


@router.delete("/{subscriber_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_subscriber(request: Request, principal: Admin, subscriber_id: int) -> None:
    """Unsubscribe one subscriber (they get no text about it)."""
    ctx = action_context(request)
    with transaction(ctx.sessions) as session:
        if not subscriber_store.remove(session, subscriber_id):
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no subscriber {subscriber_id}")
        audit(
            session,
            ctx,
            principal,
            action="remove_subscriber",
            incident_id=None,
            detail={"subscriber_id": subscriber_id},
        )
