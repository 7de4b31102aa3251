"""WhatsApp through Twilio's Messages API: the SMS endpoint with `whatsapp:+E164` addresses.

A message outside the contact's 24-hour customer-service window arrives here with a Content
Template (`OutboundMessage.content_sid` and `content_variables`, chosen by the worker from
`templates/whatsapp/content.yaml` and the contact's last inbound WhatsApp message); inside
the window it is the free-form body. Twilio has no idempotency key, so as for SMS a timeout
is `UnknownOutcomeError` and `find_sent` lists the recipient's recent messages first.
"""

from __future__ import annotations

from datetime import datetime

from outage_notify.channels.base import Receipt
from outage_notify.channels.capacity import LIMITS
from outage_notify.config.settings import TwilioSettings
from outage_notify.core.digits import ascii_digits
from outage_notify.core.errors import (
    ChannelError,
    PermanentError,
    TransientError,
)
from outage_notify.core.models import ChannelName, OutboundMessage
from outage_notify.integrations.twilio import sms
from outage_notify.integrations.twilio.whatsapp_address import whatsapp_address

# WhatsApp's own Twilio error codes (63xxx), at create time or in a status callback, on top of
# the SMS table (`sms.ERRORS`). docs/operator/whatsapp.md says where each was checked.
ERRORS: dict[int, tuple[type[ChannelError], str]] = {
    63001: (PermanentError, "Twilio could not authenticate with WhatsApp for our sender"),
    63003: (PermanentError, "the number has no WhatsApp account"),
    63005: (PermanentError, "WhatsApp did not accept the message's content"),
    63007: (PermanentError, "our WhatsApp sender (TWILIO_WHATSAPP_FROM) is not set up on Twilio"),
    63013: (PermanentError, "WhatsApp refused the message under its policies"),
    63016: (
        PermanentError,
        "outside WhatsApp's 24-hour window and not sent as an approved Content Template",
    ),
    63018: (TransientError, "WhatsApp is rate limiting our sender"),
    63021: (PermanentError, "WhatsApp refused a template variable (invalid parameter)"),
    63024: (PermanentError, "the number is not a valid WhatsApp recipient"),
    63027: (
        PermanentError,
        "the Content Template does not exist or is not approved for this language "
        "(templates/whatsapp/content.yaml)",
    ),
    63028: (PermanentError, "the Content Template's variables do not match its placeholders"),
    63032: (PermanentError, "WhatsApp will not deliver to this user (a WhatsApp limitation)"),
    63038: (TransientError, "our Twilio account reached its daily message limit"),
    63049: (PermanentError, "Meta chose not to deliver this message"),
    63112: (PermanentError, "our Meta Business account is disabled"),
}
# Codes by which WhatsApp says "slow down": the sender's rate (63018).
RATE_LIMITED_CODES = frozenset({"20429", "63018"})


def map_error(error: BaseException) -> ChannelError:
    """As `sms.map_error`, with WhatsApp's codes read first."""
    mapped = sms.map_error(error)
    code = int(mapped.code) if ascii_digits(mapped.code) else 0
    known = ERRORS.get(code)
    if known is None:
        return mapped
    kind, reason = known
    if kind is TransientError:
        wait = mapped.retry_after if isinstance(mapped, TransientError) else 1.0
        return TransientError(reason, code=mapped.code, retry_after=wait)
    return kind(reason, code=mapped.code)


class WhatsAppChannel:
    """Sends one WhatsApp message per send through Twilio.

    Build it inside the running event loop that will use it: its aiohttp session binds there.
    """

    name = ChannelName.WHATSAPP
    limits = LIMITS[ChannelName.WHATSAPP]

    def __init__(self, settings: TwilioSettings, *, status_callback_url: str | None = None) -> None:
        self._settings = settings
        self._status_callback_url = status_callback_url
        self._transport, self._client = sms.twilio_client(settings)

    async def send(self, message: OutboundMessage) -> Receipt:
        # Twilio: with ContentSid, Body is left out (the template supersedes it).
        content = (
            {"content_sid": message.content_sid, "content_variables": message.content_variables}
            if message.content_sid
            else {"body": message.body}
        )
        return await sms.create_message(
            self._client,
            map_error,
            to=whatsapp_address(message.address),
            from_=whatsapp_address(self._settings.whatsapp_from),
            status_callback=self._status_callback_url,
            **content,
        )

    async def find_sent(self, message: OutboundMessage, since: datetime) -> Receipt | None:
        """The newest WhatsApp message to this number since `since` with this content, if any.

        A template's sent body is Twilio's rendering of it, so a template send is recognised
        by the recipient and time alone: one delivery sends one message per window.
        """
        listed = await sms.list_sent(
            self._client, map_error, to=whatsapp_address(message.address), since=since
        )
        for sent in listed:
            body = str(sent.body or "").strip()
            if message.content_sid or body.startswith(message.body.strip()):
                return Receipt(provider_id=str(sent.sid), status=str(sent.status or "sent"))
        return None

    async def aclose(self) -> None:
        await self._transport.close()
