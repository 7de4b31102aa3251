"""What an incoming text means to Twilio: its opt-out keywords, and the TwiML we answer with.

The route that receives incoming texts (and decides what they do for us: acknowledgement,
staff command) is `api/twilio_inbound.py`; this module holds what is Twilio's alone.
"""

from __future__ import annotations

from twilio.twiml.messaging_response import MessagingResponse

# Twilio's default Advanced Opt-Out keywords (matched on the whole body, case-insensitive).
STOP_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
)
START_WORDS = frozenset({"START", "YES", "UNSTOP"})
HELP_WORDS = frozenset({"HELP", "INFO"})
TWIML = "text/xml"


def opt_keyword(word: str) -> str | None:
    """The opt-out/opt-in/help keyword a whole, trimmed, upper-cased body is, if any."""
    if word in STOP_WORDS:
        return "opt_out"
    if word in START_WORDS:
        return "opt_in"
    if word in HELP_WORDS:
        return "help"
    return None


def twiml(reply: str) -> str:
    """The TwiML that has Twilio text `reply` back; an empty `<Response/>` for no reply."""
    answer = MessagingResponse()
    if reply:
        answer.message(reply)
    return str(answer)
