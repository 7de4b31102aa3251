"""The per-recipient cap at send time: which claimed deliveries go out, which are held for a
digest, and which carry the held news with them.

A person gets at most RECIPIENT_MAX_PER_HOUR messages on the capped channels in any hour,
over all incidents. Dispatch decides in the claim transaction, under a per-person lock and
counting what other workers are sending at that moment, so two batches cannot both spend the
last slot. Held deliveries wait in the database (state `held`, never a long Celery countdown);
`flood_steps.release_digests` merges them into one message when the hour allows, and a
resolution or reopen sent meanwhile carries them instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from outage_notify.channels.capacity import TWILIO_MAX_BODY
from outage_notify.core.models import DeliveryState, UpdateKind
from outage_notify.incidents.flood_control import CAP_WINDOW, CAPPED_CHANNELS, NEVER_HELD_KINDS
from outage_notify.messages.fitting import shorten
from outage_notify.status.page import public_text
from outage_notify.store import recipient_cap as cap_store
from outage_notify.store.tables import DeliveryRow, MessageRow
from outage_notify.worker.outbound import route_channel
from outage_notify.worker.runtime import WorkerRuntime

# "..." rather than "…": one character outside GSM-7 would make the whole SMS UCS-2.
SMS_ELLIPSIS = "..."

CARRIER_KINDS = frozenset({UpdateKind.RESOLVED, UpdateKind.REOPENED, UpdateKind.RETRACTED})


def apply_cap(
    session: Session,
    runtime: WorkerRuntime,
    claimed: Sequence[DeliveryRow],
    messages: Mapping[tuple[int, str, str, str, str], MessageRow],
    *,
    now: datetime,
) -> set[int]:
    """Hold what is over the cap (the rows become `held`); return their ids."""
    cap = runtime.settings.recipient_max_per_hour
    capped = [r for r in claimed if route_channel(r) in CAPPED_CHANNELS]
    if not capped:
        return set()
    cap_store.mark_capped_channel(session, capped)
    if not cap:
        return set()
    keys = {r.recipient_key for r in capped}
    cap_store.lock_recipients(session, keys)
    since = now - CAP_WINDOW
    spent = cap_store.spent(session, keys, since=since, exclude={r.id for r in claimed})
    kinds = cap_store.update_kinds(session, capped)
    over: list[DeliveryRow] = []
    carriers: list[DeliveryRow] = []
    for row in capped:
        kind = kinds.get(row.update_id, "")
        if row.digest_body or kind in NEVER_HELD_KINDS or spent[row.recipient_key] < cap:
            # A released digest was checked against the cap when it was released.
            spent[row.recipient_key] += 1
            if kind in CARRIER_KINDS and not row.digest_body:
                carriers.append(row)
        else:
            over.append(row)
    opens = cap_store.window_starts(session, {r.recipient_key for r in over}, since=since)
    for row in over:
        # When a slot frees at the earliest (informational: the digest task decides).
        row.next_attempt_at = opens.get(row.recipient_key, now) + CAP_WINDOW
        row.state = DeliveryState.HELD.value
        row.updated_at = now
        row.error = f"held: {cap} messages in the last hour; the news goes in one digest"
    for row in carriers:
        message = messages.get(
            (row.update_id, row.audience, route_channel(row), row.locale, row.timezone)
        )
        if message is not None:
            _carry(session, runtime, row, message.body, now=now)
    return {row.id for row in over}


def _carry(
    session: Session, runtime: WorkerRuntime, row: DeliveryRow, body: str, *, now: datetime
) -> None:
    """A resolution or reopen takes the person's held news along, after its own text."""
    waiting = [r for r in cap_store.held(session, [row.recipient_key]) if r.id != row.id]
    if not waiting:
        return
    for other in waiting:
        other.state = DeliveryState.SUPERSEDED.value
        other.updated_at = now
        other.error = f"carried as a digest by delivery {row.id}"
    # Its own incident's news is what the resolution says; the digest names the others.
    others = [r for r in waiting if r.incident_id != row.incident_id]
    if others:
        room = TWILIO_MAX_BODY - len(body) - 1
        digest = digest_text(
            session, runtime, others, row.locale, now=now, limit=room, zone=row.timezone
        )
        row.digest_body = f"{body}\n{digest}"


def digest_text(
    session: Session,
    runtime: WorkerRuntime,
    rows: Sequence[DeliveryRow],
    locale: str,
    *,
    now: datetime,
    limit: int = TWILIO_MAX_BODY,
    zone: str = "",
) -> str:
    """One message for held deliveries: one entry per incident, at its newest news.

    Incidents are named by their public title (staff's, else the public words of their service
    and components): anyone may be capped, and alert text is not for users and partners. The
    text is cut to `limit` characters so Twilio never refuses it (21617)."""
    kinds = cap_store.update_kinds(session, rows)
    incidents = cap_store.incidents_of(session, rows)
    items: dict[int, dict[str, Any]] = {}
    for row in sorted(rows, key=lambda r: r.id):
        incident = incidents[row.incident_id]
        # Neutral words for an incident in security mode: no cause, no component.
        public = public_text(incident, runtime.renderer.public_words, locale)
        items[row.incident_id] = {
            "id": incident.id,
            "title": incident.public_title or public.title,
            "kind": kinds.get(row.update_id, ""),
        }
    settings = runtime.settings
    text = runtime.renderer.phrase(
        locale,
        "digest",
        {
            "held": list(items.values()),
            "held_since": min(r.created_at for r in rows),
            "status_page_url": settings.status_page_url,
            "organisation": settings.organisation_name,
            # The recipient's zone ("" the organisation's), as their own messages have it.
            "timezone": zone or settings.timezone,
            "organisation_timezone": settings.timezone,
            "now": now,
        },
    )
    return shorten(text, max(limit - len(SMS_ELLIPSIS), 0), SMS_ELLIPSIS)
