"""Re-sends are rendered anew from the incident's current state (issue 14, item 2).

A delivery's first attempt sends the body planned for its update: every recipient of an
(audience, channel, locale) shares it, rendered once. Anything after that is a re-send — a
retry on the same channel, the contact's next channel after a failure, the acknowledgement
chase asking again, news the recipient cap held and releases — and goes out rendered from the
incident as it is at that moment: its phase, ETA and next-update promise now, never an ETA the
staff have since moved or that a resolution or reopen closed. The update's own kind and staff
text stay: a re-send repeats its news, brought up to date.

A send whose outcome is unknown is reconciled with the provider and keeps its body: it may
already be on the person's phone.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from outage_notify.core.models import ChannelName, RenderedMessage, UpdateKind
from outage_notify.incidents.update_messages import renderer_for
from outage_notify.store.tables import DeliveryRow, IncidentRow, TimelineRow, UpdateRow
from outage_notify.worker.runtime import WorkerRuntime

Key = tuple[int, str, ChannelName, str, str]
_KINDS = frozenset(kind.value for kind in UpdateKind)


def is_resend(row: DeliveryRow, *, unknown: Collection[int]) -> bool:
    """Whether `row` was tried before (any channel) or is asked again by the chase."""
    if row.id in unknown:
        return False
    return row.route_index > 0 or row.attempts_on_route > 0 or row.renotified_at is not None


def current_messages(
    session: Session, runtime: WorkerRuntime, rows: Sequence[DeliveryRow], *, ask: bool = True
) -> dict[int, RenderedMessage]:
    """Each row's message on its current route, rendered from its incident's current state
    (without `ask`: no acknowledgement request at its end, for a body a digest follows)."""
    if not rows:
        return {}
    updates = {
        u.id: u
        for u in session.scalars(
            select(UpdateRow).where(UpdateRow.id.in_({r.update_id for r in rows}))
        )
    }
    incidents = {
        i.id: i
        for i in session.scalars(
            select(IncidentRow).where(IncidentRow.id.in_({r.incident_id for r in rows}))
        )
    }
    kinds = planned_kinds(session, incidents.keys())
    # Re-sends and channel moves say what the snapshot in force says, one for the batch.
    snapshot = runtime.snapshot()
    rendered: dict[Key, RenderedMessage] = {}
    found: dict[int, RenderedMessage] = {}
    for row in rows:
        update, incident = updates[row.update_id], incidents[row.incident_id]
        channel = ChannelName(row.routes[row.route_index]["channel"])
        key: Key = (row.update_id, row.audience, channel, row.locale, row.timezone)
        if key not in rendered:
            render = renderer_for(
                runtime.settings,
                snapshot.directory,
                snapshot.renderer,
                snapshot.budgets,
                incident,
                update,
                current=True,
                ask=ask,
            )
            kind = kinds.get((update.id, row.audience), UpdateKind(update.kind))
            rendered[key] = render(row.audience, kind, channel, row.locale, row.timezone)
        found[row.id] = rendered[key]
    return found


def planned_kinds(
    session: Session, incident_ids: Collection[int]
) -> dict[tuple[int, str], UpdateKind]:
    """(update, audience) → the kind planning gave that audience (an audience told for the
    first time gets `opened`, whatever the update), from the planner's timeline rows."""
    if not incident_ids:
        return {}
    entries = session.scalars(
        select(TimelineRow.data).where(
            TimelineRow.incident_id.in_(incident_ids), TimelineRow.kind == "planned"
        )
    )
    kinds: dict[tuple[int, str], UpdateKind] = {}
    for data in entries:
        update_id = data.get("update_id") if isinstance(data, dict) else None
        audiences = data.get("audiences") if isinstance(data, dict) else None
        if not isinstance(update_id, int) or not isinstance(audiences, dict):
            continue
        for audience, kind in audiences.items():
            if kind in _KINDS:
                kinds[(update_id, audience)] = UpdateKind(kind)
    return kinds
