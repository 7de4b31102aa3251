"""The TwiML of a voice-escalation call, built with the twilio SDK's `VoiceResponse`.

The call reads the update out (`<Say>` in the person's language and configured voice) inside
a `<Gather numDigits="1">`, so a key pressed while it speaks counts; Twilio posts the digit to
`action` (our signed callback, `api/twilio_voice.py`). Without a key Twilio runs what follows
the Gather: the text once more, then goodbye. The action's answer is TwiML too: thanks, or
the prompt again for a wrong key. What is said is `messages.call_script`'s script, whose words
come from the gettext catalogs.
"""

from __future__ import annotations

from dataclasses import dataclass

from twilio.twiml.voice_response import VoiceResponse

from outage_notify.messages.call_script import CallWords, ScriptPart, call_script

# Seconds Twilio waits for a key after the text has been read.
GATHER_TIMEOUT = 8
CONFIRM_DIGIT = "1"


@dataclass(frozen=True)
class Speech:
    """How the call speaks: the `<Say>` voice and language, and its words."""

    voice: str
    language: str
    words: CallWords


def _gather(response: VoiceResponse, speech: Speech, action_url: str, part: ScriptPart) -> None:
    gather = response.gather(num_digits=1, action=action_url, method="POST", timeout=GATHER_TIMEOUT)
    for text in part.says:
        gather.say(text, voice=speech.voice, language=speech.language)


def _say(response: VoiceResponse, speech: Speech, part: ScriptPart) -> None:
    for text in part.says:
        response.say(text, voice=speech.voice, language=speech.language)


def call_twiml(*, text: str, speech: Speech, action_url: str) -> str:
    """The whole call: intro, the update, the prompt; once more; goodbye."""
    answered, again, goodbye, _, _ = call_script(speech.words, text)
    response = VoiceResponse()
    _gather(response, speech, action_url, answered)
    _gather(response, speech, action_url, again)
    _say(response, speech, goodbye)
    return str(response)


def gather_answer_twiml(*, confirmed: bool, speech: Speech, action_url: str) -> str:
    """The answer to a keypress: thanks for a 1; otherwise the prompt once more."""
    *_, thanks, wrong = call_script(speech.words, "")
    response = VoiceResponse()
    if confirmed:
        _say(response, speech, thanks)
        response.hangup()
        return str(response)
    *asked, goodbye = wrong.says
    _gather(response, speech, action_url, ScriptPart(wrong.when, tuple(asked)))
    response.say(goodbye, voice=speech.voice, language=speech.language)
    return str(response)
