"""Texts people send to our Twilio number: acknowledgements, STOP/START, staff commands.

Twilio posts each incoming SMS to the number's "A message comes in" webhook, signed like a
status callback (so `signed_form` checks it against the public URL), and sends our TwiML answer
back to the sender as a reply. What a text does depends on the whole trimmed body and who sent
it, in this order:

1. An opt-out/opt-in/help keyword: Twilio itself blocks or unblocks the number and sends the
   carrier-required reply, so we only record it (no more texts to a STOP number, from dispatch)
   and answer an empty `<Response/>`: a reply of ours would be a second text. A START word
   ("YES" above all, the natural answer to "Reply OK") also acknowledges, as any reply does.
2. From a staff number (`COMMANDS_SMS_STAFF`), a command (`STATUS`, `ETA 14:30`, ...): it runs
   with that person's role and the reply says what was done or why not. `From` is trusted as
   Twilio reports it; see SECURITY.md on sender spoofing.
3. Anyone else we texted: any reply acknowledges the delivery it answers (the newest one to
   that number still waiting for an acknowledgement); the reply confirms it. A number we never
   texted gets an empty answer and changes nothing, and text that looks like a command from a
   non-staff number is refused, never run.

Every text is kept (`inbound_messages`) with what it did, committed before the answer. It is
kept *before* it is acted on, under Twilio's MessageSid: the same MessageSid again (Twilio
retrying, or a replayed request) is answered with an empty `<Response/>` and does nothing, so
an `UPDATE` cannot reach stakeholders twice. A number that texted STOP gets no reply text from
us (Twilio would refuse it), though its message is still acted on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import Response
from sqlalchemy.orm import Session

from outage_notify.actions.commands import run_command
from outage_notify.api.deps import action_context, clock_of
from outage_notify.api.twilio_callbacks import Form, signed_form
from outage_notify.commands.parsing import VERBS
from outage_notify.config.sections import StaffIdentity
from outage_notify.config.settings import Settings
from outage_notify.core import field_limits as limits
from outage_notify.core.models import ChannelName
from outage_notify.core.redaction import mask_phone
from outage_notify.integrations.twilio.inbound import TWIML, opt_keyword, twiml
from outage_notify.integrations.twilio.whatsapp_address import PREFIX as WHATSAPP_PREFIX
from outage_notify.messages.catalogs import N_, Words
from outage_notify.store import acknowledgements, subscribers
from outage_notify.store.engine import transaction
from outage_notify.store.tables import DeliveryRow

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/webhooks/twilio", tags=["webhooks"])

# The staff commands' verbs (HELP is Twilio's keyword): from anyone else such a text is
# refused, not taken as an acknowledgement, so "ETA 14:30" from another phone changes nothing.
COMMAND_VERBS = frozenset(VERBS) - {"help"}
# The confirmation of an acknowledgement, in the delivery's locale from the catalogs (every
# translation in GSM-7 only: one segment).
THANKS = N_("Thanks, noted that you got this. We will keep you posted.")


@dataclass(frozen=True)
class Inbound:
    """One text as Twilio reported it."""

    sender: str
    body: str
    sid: str
    at: datetime
    # "whatsapp" for a WhatsApp message (From `whatsapp:+E164`; `sender` is the number).
    channel: str = "sms"

    @property
    def word(self) -> str:
        return self.body.strip().upper()

    def claim(self, session: Session) -> int | None:
        """Keep the text before acting on it: its row id, or None if this MessageSid was seen."""
        row = acknowledgements.claim_inbound(
            session,
            at=self.at,
            channel=self.channel,
            sender=self.sender,
            body=self.body,
            provider_id=self.sid,
        )
        if row is None:
            log.info("SMS %s from %s seen before: ignored", self.sid, mask_phone(self.sender))
            return None
        return row.id

    def quiet(self, session: Session) -> bool:
        """True when we must not text the sender back: the number texted STOP."""
        return bool(acknowledgements.opted_out(session, [self.sender]))


@router.post(
    "/inbound",
    response_class=Response,
    responses={
        200: {
            "description": "TwiML: the reply Twilio texts back, or an empty <Response/>.",
            "content": {TWIML: {"example": "<Response><Message>...</Message></Response>"}},
        }
    },
)
def twilio_inbound(request: Request, form: Annotated[Form, Depends(signed_form)]) -> Response:
    """An SMS sent to our number: opt-out, staff command or acknowledgement."""
    sid = (form.get("MessageSid") or form.get("SmsSid") or "").strip()
    sender = form.get("From", "").strip()
    if not sid or len(sid) > limits.PROVIDER_ID or len(sender) > limits.SENDER:
        # Without its id a text cannot be kept once: every resend would run its command
        # again. Twilio always sends one (34 characters) and an E.164 number.
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            f"MessageSid (at most {limits.PROVIDER_ID} characters) and From (at most "
            f"{limits.SENDER}) are required",
        )
    # WhatsApp comes on the same webhook as `whatsapp:+E164`: kept as the number, so its
    # time opens the 24-hour window (worker/whatsapp_window.py) and "OK" acknowledges.
    whatsapp = sender.startswith(WHATSAPP_PREFIX)
    text = Inbound(
        # Twilio sends From in E.164 already; it is compared exactly, never reformatted.
        sender=sender.removeprefix(WHATSAPP_PREFIX),
        body=form.get("Body", ""),
        sid=sid,
        at=clock_of(request).now(),
        channel=ChannelName.WHATSAPP.value if whatsapp else ChannelName.SMS.value,
    )
    settings: Settings = request.app.state.settings
    sessions = request.app.state.sessions
    # STOP/START and staff commands are SMS's (Twilio's opt-out handling is per SMS sender);
    # over WhatsApp every message is an answer.
    staff = None if whatsapp else settings.commands.sms_staff.get(text.sender)
    keyword = None if whatsapp else opt_keyword(text.word)
    command = not whatsapp and keyword is None and _looks_like_command(text.word)
    with transaction(sessions) as session:
        kept = text.claim(session)
        if kept is None:
            return _twiml("")
        quiet = text.quiet(session)
        # A command commits its own work: the claim above commits first (at the end of this
        # block), so a second copy of the text finds it and does nothing.
        if not (command and staff is not None):
            reply = _handle(
                session,
                text,
                kept,
                keyword=keyword,
                command=command,
                staff=staff,
                templates_dir=settings.templates_dir,
            )
            if reply is not None:
                return _twiml("" if quiet else reply)
    # A staff command; or, from a staff number we never texted, something that is not a
    # command word: the command layer answers with what it understands.
    assert staff is not None
    reply_text = _command(request, text, kept, staff)
    return _twiml("" if quiet else reply_text)


def _handle(
    session: Session,
    text: Inbound,
    kept: int,
    *,
    keyword: str | None,
    command: bool,
    staff: StaffIdentity | None,
    templates_dir: Path,
) -> str | None:
    """Act on a text that is no staff command; the reply, or None to run it as a command."""
    if keyword is not None:
        return _opt(session, text, kept, keyword)
    if command:
        acknowledgements.settle_inbound(
            session, kept, handled_as="refused", result="not a staff number"
        )
        log.warning("SMS command refused: %s is not a staff number", mask_phone(text.sender))
        return ""
    via = "whatsapp" if text.channel == ChannelName.WHATSAPP.value else acknowledgements.VIA_SMS
    acked = acknowledgements.acknowledge_by_phone(session, text.sender, at=text.at, via=via)
    if acked is not None:
        return _acknowledged(session, text, kept, acked, templates_dir)
    if staff is not None:
        return None
    acknowledgements.settle_inbound(
        session,
        kept,
        handled_as=acknowledgements.IGNORED,
        result="no text was sent to this number",
    )
    log.info("SMS from %s, a number we never texted: ignored", mask_phone(text.sender))
    return ""


def _looks_like_command(word: str) -> bool:
    words = word.split()
    if words and words[0].startswith("#"):
        # "#12 STATUS": a command about incident 12 (alone, "#12" asks for its status).
        return len(words) == 1 or words[1].lower() in COMMAND_VERBS
    return bool(words) and words[0].lower() in COMMAND_VERBS


def _opt(session: Session, text: Inbound, kept: int, keyword: str) -> str:
    """Record STOP/START/HELP; Twilio sends the reply itself, so ours is empty."""
    acked = None
    if keyword == "opt_out":
        acknowledgements.opt_out(session, text.sender, keyword=text.word, at=text.at)
        # A subscriber who texts STOP is unsubscribed, not only silenced.
        subscribers.remove_phone(session, text.sender)
    elif keyword == "opt_in":
        acknowledgements.opt_in(session, text.sender)
        # "YES" is a START word to Twilio, and also how most people answer "Reply OK".
        acked = acknowledgements.acknowledge_by_phone(session, text.sender, at=text.at)
    acknowledgements.settle_inbound(
        session,
        kept,
        handled_as=keyword,
        identity=acked.recipient_key if acked is not None else "",
        delivery_id=acked.delivery_id if acked is not None else None,
        incident_id=acked.incident_id if acked is not None else None,
        result="acknowledged" if acked is not None and acked.newly_acked else "",
    )
    log.info(
        "SMS %s from %s%s",
        keyword,
        mask_phone(text.sender),
        f", acknowledged delivery {acked.delivery_id}" if acked and acked.newly_acked else "",
    )
    return ""


def _acknowledged(
    session: Session,
    text: Inbound,
    kept: int,
    acked: acknowledgements.Acknowledged,
    templates_dir: Path,
) -> str:
    """Keep the acknowledgement; the confirmation to text back (none if it was already)."""
    row = session.get(DeliveryRow, acked.delivery_id)
    locale = row.locale if row is not None else "en"
    reply = Words.of(templates_dir, locale)(THANKS) if acked.newly_acked else ""
    acknowledgements.settle_inbound(
        session,
        kept,
        handled_as="ack" if acked.newly_acked else "reply",
        identity=acked.recipient_key,
        delivery_id=acked.delivery_id,
        incident_id=acked.incident_id,
        result=reply or "already acknowledged",
    )
    log.info(
        "SMS from %s acknowledged delivery %s of incident %s%s",
        mask_phone(text.sender),
        acked.delivery_id,
        acked.incident_id,
        "" if acked.newly_acked else " (already acknowledged)",
    )
    return reply


def _command(request: Request, text: Inbound, kept: int, staff: StaffIdentity) -> str:
    """Run a staff command as `staff`; the reply saying what was done or why not."""
    # The audit log's "client" says where the command came from (masked like in our logs).
    ctx = replace(action_context(request), client=f"sms {mask_phone(text.sender)}")
    reply = run_command(ctx, staff, text.body, channel="sms", now=text.at)
    with transaction(request.app.state.sessions) as session:
        acknowledgements.settle_inbound(
            session,
            kept,
            handled_as="refused" if reply.outcome == "refused" else "command",
            identity=staff.name,
            incident_id=reply.incident_id,
            result=f"{reply.outcome}: {reply.headline or reply.text}",
        )
    log.info(
        "SMS command %s from %s (%s): %s",
        reply.verb or "?",
        staff.name,
        mask_phone(text.sender),
        reply.outcome,
    )
    return reply.text


def _twiml(reply: str) -> Response:
    return Response(twiml(reply), media_type=TWIML)
