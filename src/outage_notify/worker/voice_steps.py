"""Voice escalation's edge: decide during the chase, then claim, place and record each call.

The chase (`chase_steps.py`) asks `escalate` about someone it would list unreached; inside the
chase's transaction (the incident row locked) only the decision is taken. The calls are placed
after that commit by `place_calls`: for each, a token from the account's calls-per-second
bucket, then a claim committed on its own (`store/voice_calls.claim`), then Twilio, then what
it said. A worker that dies between the claim and Twilio's answer leaves a claim no one
places again; the next attempt follows after VOICE_RETRY_MINUTES, so a crash costs one slot,
never a doubled call.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from outage_notify.contacts.quiet_hours import is_quiet
from outage_notify.core.clock import SYSTEM_CLOCK
from outage_notify.core.models import Severity
from outage_notify.incidents.voice_escalation import CallState, Voice, decide, outcome_words
from outage_notify.integrations.twilio.twiml import Speech, call_twiml
from outage_notify.integrations.twilio.voice import place_call
from outage_notify.messages.call_script import call_words
from outage_notify.messages.planning import find_contact
from outage_notify.ratelimit.limiter import Bucket
from outage_notify.store import incidents as incident_store
from outage_notify.store import voice_calls
from outage_notify.store.engine import transaction
from outage_notify.store.tables import DeliveryRow, IncidentRow, MessageRow
from outage_notify.worker.runtime import WorkerRuntime

log = logging.getLogger(__name__)
ACTOR = "voice"
CALLBACK_PATH = "/api/v1/webhooks/twilio/voice"
# A call waits this long at most for its calls-per-second token (1/s: a few calls a tick);
# longer, and it is left to the next chase tick rather than holding the worker.
MAX_WAIT_SECONDS = 5.0


@dataclass(frozen=True)
class CallPlan:
    """A call the chase decided on, placed once its transaction has committed."""

    incident_id: int
    delivery_id: int
    recipient_key: str
    attempt: int
    phone: str


def phone_of(runtime: WorkerRuntime, row: DeliveryRow) -> str:
    """The number to call: the contact's phone; "" when they have none."""
    contact = find_contact(runtime.directory, row.recipient_key.split(":", 1)[-1])
    return (contact.phone or "") if contact is not None else ""


def applies(runtime: WorkerRuntime, row: DeliveryRow) -> bool:
    """Whether this person is phoned rather than listed unreached at once."""
    voice, twilio = runtime.settings.voice, runtime.settings.twilio
    return (
        voice.enabled
        and bool(twilio.account_sid and twilio.auth_token.get_secret_value())
        and row.recipient_kind == "contact"
        and row.ack_required
        and bool(phone_of(runtime, row))
    )


def escalate(
    runtime: WorkerRuntime,
    session: Session,
    incident: IncidentRow,
    row: DeliveryRow,
    plans: list[CallPlan],
    *,
    now: datetime,
) -> str | None:
    """Decide about one person the chase has no message channel left for.

    None: the calls go on (one may be added to `plans`); a text: they are unreached, and the
    text is the calls' outcome for the timeline and the lead.
    """
    voice = runtime.settings.voice
    contact_id = row.recipient_key.split(":", 1)[-1]
    lead = incident.lead or runtime.settings.default_lead or ""
    if contact_id == lead:
        return None  # never called about their own incident (the chase skips them too)
    rows = voice_calls.calls_for(session, incident.id, row.recipient_key)
    calls = voice_calls.as_calls(rows)
    zone = runtime.directory.contact_zone(contact_id) or runtime.settings.timezone
    quiet = is_quiet(runtime.directory.contact_quiet_hours(contact_id), now=now, zone=zone)
    verdict = decide(
        calls,
        now=now,
        retry_after=timedelta(minutes=voice.retry_minutes),
        max_calls=voice.max_calls,
        quiet=quiet,
        critical=incident.severity == Severity.CRITICAL.value,
    )
    if verdict is Voice.UNREACHED:
        return outcome_words(calls)
    if verdict is Voice.CALL:
        phone = phone_of(runtime, row)
        plans.append(CallPlan(incident.id, row.id, row.recipient_key, len(calls) + 1, phone))
    return None


def _text(session: Session, row: DeliveryRow) -> str:
    """What the call reads out: the person's message of that update (its SMS body first)."""
    bodies = session.execute(
        select(MessageRow.channel, MessageRow.body).where(
            MessageRow.update_id == row.update_id,
            MessageRow.audience == row.audience,
            MessageRow.locale == row.locale,
            MessageRow.timezone == row.timezone,
        )
    ).all()
    by_channel = {channel: body for channel, body in bodies}
    return row.digest_body or by_channel.get("sms") or next(iter(by_channel.values()), "")


def _bucket(runtime: WorkerRuntime) -> Bucket:
    account = runtime.settings.twilio.account_sid
    return Bucket(f"twilio:calls:{account}", runtime.settings.voice.calls_per_second)


def place_calls(runtime: WorkerRuntime, plans: list[CallPlan]) -> int:
    """Claim and place each planned call; how many were placed."""
    return sum(_place(runtime, plan) for plan in plans)


def _token(runtime: WorkerRuntime) -> bool:
    """A token from the account's calls-per-second bucket, waiting a few seconds at most.

    The buckets keep Redis's own TIME, so the wait is real time whatever clock the worker
    reads (a test's manual clock included).
    """
    limiter = runtime.throttle().limiter
    wait = runtime.run_io(limiter.try_acquire(_bucket(runtime)))
    waited = 0.0
    while wait > 0 and waited + wait <= MAX_WAIT_SECONDS:
        SYSTEM_CLOCK.wait(wait)
        waited += wait
        wait = runtime.run_io(limiter.try_acquire(_bucket(runtime)))
    return wait == 0


def _place(runtime: WorkerRuntime, plan: CallPlan) -> int:
    settings = runtime.settings
    now = runtime.clock.now()
    with transaction(runtime.sessions) as session:
        row = session.get(DeliveryRow, plan.delivery_id)
        if row is None or row.acked_at is not None or row.unreached_at is not None:
            return 0
        claimed = voice_calls.claim(
            session,
            incident_id=plan.incident_id,
            delivery_id=plan.delivery_id,
            recipient_key=plan.recipient_key,
            attempt=plan.attempt,
            phone=plan.phone,
            now=now,
        )
        if claimed is None:
            return 0
        call_id, text, locale, name = (
            claimed.id,
            _text(session, row),
            row.locale,
            row.recipient_name,
        )
    # Claimed first, so the token goes to the one check that places the call.
    if not _token(runtime):
        with transaction(runtime.sessions) as session:
            voice_calls.release(session, call_id)
        log.info("voice: calls-per-second limit reached; call %s waits for the next check", call_id)
        return 0
    voice, language = settings.voice.voice_for(locale)
    base = settings.public_base_url.rstrip("/") + CALLBACK_PATH
    words = call_words(settings.templates_dir, locale, organisation=settings.organisation_name)
    twiml = call_twiml(
        text=text,
        speech=Speech(voice=voice, language=language, words=words),
        action_url=f"{base}/gather?call={call_id}",
    )
    answer = place_call(
        settings, to=plan.phone, twiml=twiml, status_callback=f"{base}/status?call={call_id}"
    )
    with transaction(runtime.sessions) as session:
        if answer.sid or answer.unknown:
            voice_calls.placed(session, call_id, sid=answer.sid, error=answer.error)
            what = f"called (call {plan.attempt} of {settings.voice.max_calls})"
        else:
            voice_calls.ended(session, call_id, state=CallState.FAILED, now=now, error=answer.error)
            what = f"call {plan.attempt} could not be placed: {answer.error}"
        incident_store.add_timeline(
            session,
            plan.incident_id,
            at=now,
            actor=ACTOR,
            kind="voice_call",
            text=f"{name}: {what}",
            data={"call_id": call_id, "recipient_key": plan.recipient_key},
        )
    log.info("voice call %s (attempt %s): %s", call_id, plan.attempt, answer.sid or answer.error)
    return 1
