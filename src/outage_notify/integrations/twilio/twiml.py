"""The TwiML of a voice-escalation call, built with the twilio SDK's `VoiceResponse`.

The call reads the update out (`<Say>` in the person's language and configured voice) inside
a `<Gather numDigits="1">`, so a key pressed while it speaks counts; Twilio posts the digit to
`action` (our signed callback, `api/twilio_voice.py`). Without a key Twilio runs what follows
the Gather: the text once more, then goodbye. The action's answer is TwiML too: thanks, or
the prompt again for a wrong key.
"""

from __future__ import annotations

from dataclasses import dataclass

from twilio.twiml.voice_response import VoiceResponse

# Seconds Twilio waits for a key after the text has been read.
GATHER_TIMEOUT = 8
CONFIRM_DIGIT = "1"
# Twilio's <Say> reads at most 4,096 characters; an update is far shorter, but a long body
# must not make Twilio refuse the whole call.
MAX_SAY = 3000


@dataclass(frozen=True)
class CallWords:
    """What the call says around the update, in one language."""

    intro: str
    prompt: str
    thanks: str
    wrong_key: str
    goodbye: str


WORDS: dict[str, CallWords] = {
    "en": CallWords(
        intro="This is an outage notice from {organisation}.",
        prompt="Press 1 to confirm you have heard this message.",
        thanks="Thank you. Your confirmation is recorded. Goodbye.",
        wrong_key="That was not 1.",
        goodbye="No key was pressed. We will call again. Goodbye.",
    ),
    "pt-BR": CallWords(
        intro="Aviso de indisponibilidade de {organisation}.",
        prompt="Pressione 1 para confirmar que ouviu esta mensagem.",
        thanks="Obrigado. Sua confirmação foi registrada. Até logo.",
        wrong_key="Essa tecla não é o 1.",
        goodbye="Nenhuma tecla foi pressionada. Vamos ligar novamente. Até logo.",
    ),
    "es": CallWords(
        intro="Este es un aviso de interrupción de {organisation}.",
        prompt="Pulse 1 para confirmar que ha escuchado este mensaje.",
        thanks="Gracias. Su confirmación quedó registrada. Adiós.",
        wrong_key="Esa tecla no es el 1.",
        goodbye="No se pulsó ninguna tecla. Volveremos a llamar. Adiós.",
    ),
}


def words_for(locale: str) -> CallWords:
    """The call's words in a locale, its language's, or English."""
    return WORDS.get(locale) or WORDS.get(locale.split("-")[0]) or WORDS["en"]


@dataclass(frozen=True)
class Speech:
    """How the call speaks: the `<Say>` voice and language, and its words."""

    voice: str
    language: str
    words: CallWords


def _gather(response: VoiceResponse, speech: Speech, action_url: str, *texts: str) -> None:
    gather = response.gather(num_digits=1, action=action_url, method="POST", timeout=GATHER_TIMEOUT)
    for text in texts:
        gather.say(text[:MAX_SAY], voice=speech.voice, language=speech.language)


def call_twiml(*, text: str, organisation: str, speech: Speech, action_url: str) -> str:
    """The whole call: intro, the update, the prompt; once more; goodbye."""
    words = speech.words
    response = VoiceResponse()
    intro = words.intro.format(organisation=organisation)
    _gather(response, speech, action_url, intro, text, words.prompt)
    _gather(response, speech, action_url, text, words.prompt)
    response.say(words.goodbye, voice=speech.voice, language=speech.language)
    return str(response)


def gather_answer_twiml(*, confirmed: bool, speech: Speech, action_url: str) -> str:
    """The answer to a keypress: thanks for a 1; otherwise the prompt once more."""
    response = VoiceResponse()
    if confirmed:
        response.say(speech.words.thanks, voice=speech.voice, language=speech.language)
        response.hangup()
        return str(response)
    _gather(response, speech, action_url, speech.words.wrong_key, speech.words.prompt)
    response.say(speech.words.goodbye, voice=speech.voice, language=speech.language)
    return str(response)
