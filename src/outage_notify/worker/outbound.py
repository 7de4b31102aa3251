"""What dispatch hands a channel for one claimed delivery, and when an SMS must wait instead.

The stored message is shared by every recipient of an (update, audience, channel, locale);
what differs per delivery is added here: the Slack Acknowledge button (its value names the
delivery) and, for an SMS asked to acknowledge after it was planned, the "Reply OK" line.
"""

from __future__ import annotations

from datetime import datetime

from outage_notify.core.models import ChannelName, OutboundMessage, RenderedMessage
from outage_notify.delivery.send import Outcome
from outage_notify.messages.rendering import Renderer
from outage_notify.store.tables import DeliveryRow, MessageRow


def route_channel(row: DeliveryRow) -> ChannelName:
    """The channel of the delivery's current route."""
    return ChannelName(row.routes[row.route_index]["channel"])


def outbound_message(
    renderer: Renderer, row: DeliveryRow, message: MessageRow | RenderedMessage
) -> OutboundMessage:
    """The message for `row`'s current route, with what it needs to ask for an answer.

    `message` is the planned body (a first attempt) or one rendered now from the incident's
    current state (a re-send, `worker.rerender`).
    """
    route = row.routes[row.route_index]
    channel = route_channel(row)
    # A digest of news held by the recipient cap replaces (or follows) the update's own text.
    body = row.digest_body or message.body
    if row.ack_required and channel in {ChannelName.SMS, ChannelName.WHATSAPP}:
        # The chase asks on the newest message whatever its kind asked when it was rendered
        # (an `update`, say); a body that already ends with the request is left as it is.
        body = renderer.with_ack_request(body, row.locale)
    button = row.ack_required and channel is ChannelName.SLACK
    return OutboundMessage(
        address=route["address"],
        body=body,
        title=message.title,
        reference=f"delivery-{row.id}",
        ack_value=f"delivery:{row.id}" if button else "",
        ack_label=renderer.ack_label(row.locale) if button else "",
    )


def sms_held(row: DeliveryRow, *, stopped: set[str], now: datetime) -> Outcome | None:
    """Why an SMS must not go out at all, as its outcome; None when it may be sent.

    (The per-recipient cap does not refuse: it holds the delivery for a digest; see
    `worker.recipient_cap`.)
    """
    address = row.routes[row.route_index]["address"]
    if address not in stopped:
        return None
    # Texting a number after STOP breaks carrier rules (Twilio refuses it with 21610); a
    # permanent outcome moves the delivery to the contact's next channel at once.
    return Outcome(
        row.id,
        ChannelName.SMS,
        address,
        now,
        now,
        "permanent",
        error_code="opted_out",
        error_text="the number texted STOP; not sent",
    )
