"""Phone calls through Twilio's Calls API (`client.calls.create`, twilio-python 9.x, sync).

One operation: place one call with inline TwiML, answering-machine detection on (so a
voicemail greeting comes back as `AnsweredBy=machine_*` in the status callback, and is
retried like no answer) and a status callback for the outcome. No retry here: a call that
may have been placed (a timeout after the request left) is never placed again, the caller
records the attempt either way (`worker/voice_steps.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from outage_notify.config.settings import Settings

# Final statuses only: `initiated`/`ringing`/`answered` would be three more requests per call
# for nothing the escalation acts on.
STATUS_EVENTS = ["completed"]
# Seconds to let the phone ring before Twilio reports no-answer (Twilio's default is 60,
# long enough for a voicemail to pick up first).
RING_SECONDS = 30
# Twilio error codes for a call request, and what a person should read.
CALL_ERRORS: dict[int, str] = {
    20003: "Twilio rejected our credentials (account SID / auth token)",
    21210: "the caller number is not a verified Twilio voice number",
    21211: "the number is not a valid phone number",
    21215: "calls to this country are not enabled on our Twilio account (geo permissions)",
    21216: "the number is blocked for calls",
    21217: "the number is not a valid phone number",
}


@dataclass(frozen=True)
class Placed:
    """What asking Twilio for a call came to: its sid, or why not."""

    sid: str = ""
    error: str = ""
    # True when the call may have gone out anyway (no answer from Twilio): never re-placed.
    unknown: bool = False


def caller_number(settings: Settings) -> str:
    """The number calls come from: VOICE_FROM_NUMBER, else TWILIO_FROM_NUMBER."""
    return settings.voice.from_number or settings.twilio.from_number


def place_call(settings: Settings, *, to: str, twiml: str, status_callback: str) -> Placed:
    """Ask Twilio to call `to` with `twiml`; never raises for a vendor or network error."""
    twilio = settings.twilio
    client = Client(
        twilio.account_sid,
        twilio.auth_token.get_secret_value(),
        http_client=TwilioHttpClient(timeout=twilio.timeout_seconds),
        environment={},
    )
    if twilio.base_url:
        client.api.base_url = twilio.base_url.rstrip("/")
    try:
        call = client.calls.create(
            to=to,
            from_=caller_number(settings),
            twiml=twiml,
            machine_detection="Enable",
            status_callback=status_callback,
            status_callback_event=STATUS_EVENTS,
            status_callback_method="POST",
            timeout=RING_SECONDS,
        )
    except TwilioRestException as error:
        reason = CALL_ERRORS.get(error.code or 0, f"Twilio refused the call: {error.msg}")
        return Placed(error=f"{reason} ({error.code or error.status})")
    except (TwilioException, OSError) as error:
        return Placed(error=f"no answer from Twilio ({type(error).__name__})", unknown=True)
    return Placed(sid=str(call.sid))
