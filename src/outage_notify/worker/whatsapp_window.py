"""WhatsApp's 24-hour customer-service window, decided for each claimed delivery at dispatch.

Inside the window (the contact wrote to us over WhatsApp within the last 24 hours, as kept in
`inbound_messages`) the message goes as its free-form body; outside, Twilio refuses a body
(63016), so it goes as the Content Template configured for its update kind and locale in
`templates/whatsapp/content.yaml`, with the body and organisation as its variables. A kind
and locale without a template cannot be sent outside the window: the delivery moves to the
contact's next channel (`contacts check` reports the gap before the day).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from outage_notify.core.models import ChannelName, OutboundMessage
from outage_notify.delivery.send import Outcome
from outage_notify.integrations.twilio.whatsapp_content import ContentTemplates, load_content
from outage_notify.store.tables import DeliveryRow, InboundMessageRow, UpdateRow

WINDOW = timedelta(hours=24)
# The fallback locale's template stands in for a locale without one of its own.
FALLBACK_LOCALE = "en"


@cache
def content_of(templates_dir: Path) -> ContentTemplates:
    """content.yaml, read once per process (like the templates, pinned at start)."""
    return load_content(templates_dir)


def whatsapp_rows(rows: Sequence[DeliveryRow]) -> list[DeliveryRow]:
    return [r for r in rows if r.routes[r.route_index]["channel"] == ChannelName.WHATSAPP]


def windows(session: Session, rows: Sequence[DeliveryRow], *, now: datetime) -> dict[int, str]:
    """For each WhatsApp delivery outside its window, its update's kind (id -> kind)."""
    if not rows:
        return {}
    phones = {r.routes[r.route_index]["address"] for r in rows}
    open_ = set(
        session.scalars(
            select(InboundMessageRow.sender)
            .where(
                InboundMessageRow.channel == ChannelName.WHATSAPP.value,
                InboundMessageRow.sender.in_(sorted(phones)),
                InboundMessageRow.at > now - WINDOW,
            )
            .distinct()
        )
    )
    closed = [r for r in rows if r.routes[r.route_index]["address"] not in open_]
    kinds: dict[int, str] = {
        update_id: kind
        for update_id, kind in session.execute(
            select(UpdateRow.id, UpdateRow.kind).where(
                UpdateRow.id.in_(sorted({r.update_id for r in closed}))
            )
        )
    }
    return {r.id: kinds[r.update_id] for r in closed}


def as_template(
    message: OutboundMessage,
    row: DeliveryRow,
    kind: str,
    *,
    templates_dir: Path,
    organisation: str,
    now: datetime,
) -> OutboundMessage | Outcome:
    """The message as its Content Template; without one, the outcome that skips the route."""
    content = content_of(templates_dir)
    sid = content.sid(kind, row.locale) or content.sid(kind, FALLBACK_LOCALE)
    if sid is None:
        return Outcome(
            row.id,
            ChannelName.WHATSAPP,
            message.address,
            now,
            now,
            "permanent",
            error_code="no_content_template",
            error_text=(
                f"outside WhatsApp's 24-hour window and {content.path} has no template "
                f"for templates.{kind}.{row.locale}; not sent"
            ),
        )
    variables = content.content_variables(
        organisation=organisation, body=message.body, title=message.title
    )
    return replace(message, content_sid=sid, content_variables=variables)
