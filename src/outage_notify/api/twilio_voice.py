"""Twilio's requests about voice-escalation calls: the keypress and the call's outcome.

Both URLs carry our call id (`?call=17`) and are signed by Twilio like every callback
(`signed_form`: `X-Twilio-Signature` over `PUBLIC_BASE_URL` + path + query). A keypress of 1
records the same acknowledgement an SMS "OK" does (`store/acknowledgements.acknowledge`,
`acked_via` = `voice`); the answer is TwiML (thanks, or the prompt again). A status callback
records the call's outcome (`no-answer`, `busy`, `failed`, `completed` with `AnsweredBy`
machine_* = voicemail); the chase (`worker/voice_steps.py`) calls again or gives up.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import Response
from sqlalchemy.orm import Session

from outage_notify.api.deps import clock_of
from outage_notify.api.twilio_callbacks import Form, signed_form
from outage_notify.config.settings import Settings
from outage_notify.incidents.voice_escalation import call_outcome
from outage_notify.integrations.twilio.inbound import TWIML
from outage_notify.integrations.twilio.twiml import CONFIRM_DIGIT, Speech, gather_answer_twiml
from outage_notify.messages.call_script import call_words
from outage_notify.store import acknowledgements, voice_calls
from outage_notify.store.engine import transaction
from outage_notify.store.tables import DeliveryRow, VoiceCallRow

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/webhooks/twilio/voice", tags=["webhooks"])
VIA_VOICE = "voice"
# Our call ids are BIGINT; a larger number is not one of ours.
MAX_CALL_ID = 2**63 - 1
CallId = Annotated[int, Query(alias="call", ge=1, le=MAX_CALL_ID)]


def _call(session: Session, call_id: int, form: Form) -> VoiceCallRow:
    """The call the request is about; 404 when unknown or the CallSid is another call's."""
    row = voice_calls.get(session, call_id)
    sid = form.get("CallSid", "")
    if row is None or (row.call_sid and sid != row.call_sid):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such call")
    return row


@router.post("/gather", response_class=Response)
def voice_gather(
    request: Request, call_id: CallId, form: Annotated[Form, Depends(signed_form)]
) -> Response:
    """A key pressed during a call: 1 acknowledges the news the call read out."""
    settings: Settings = request.app.state.settings
    digits = form.get("Digits", "")
    if len(digits) > 20:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "Digits is longer than a keypress")
    now = clock_of(request).now()
    confirmed = digits == CONFIRM_DIGIT
    with transaction(request.app.state.sessions) as session:
        call = _call(session, call_id, form)
        delivery = session.get(DeliveryRow, call.delivery_id)
        locale = delivery.locale if delivery is not None else "en"
        if confirmed and delivery is not None:
            acknowledgements.acknowledge(session, delivery, via=VIA_VOICE, by=call.phone, at=now)
            voice_calls.acknowledged(session, call.id, now=now)
    log.info("voice call %s: key %r pressed", call_id, digits[:1])
    voice, language = settings.voice.voice_for(locale)
    words = call_words(settings.templates_dir, locale, organisation=settings.organisation_name)
    speech = Speech(voice=voice, language=language, words=words)
    action = f"{settings.public_base_url.rstrip('/')}{request.url.path}?call={call_id}"
    body = gather_answer_twiml(confirmed=confirmed, speech=speech, action_url=action)
    return Response(body, media_type=TWIML)


@router.post("/status", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
def voice_status(
    request: Request, call_id: CallId, form: Annotated[Form, Depends(signed_form)]
) -> Response:
    """A call's final status: recorded once; the chase decides what follows."""
    reported = form.get("CallStatus", "")
    if not reported:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "CallStatus required")
    answered_by = form.get("AnsweredBy", "")
    outcome = call_outcome(reported, answered_by)
    if outcome is not None:
        with transaction(request.app.state.sessions) as session:
            call = _call(session, call_id, form)
            voice_calls.ended(
                session,
                call.id,
                state=outcome,
                now=clock_of(request).now(),
                answered_by=answered_by,
                error=form.get("ErrorCode", ""),
            )
    log.info("voice call %s: %s %s", call_id, reported[:20], answered_by[:20])
    return Response(status_code=status.HTTP_204_NO_CONTENT)
