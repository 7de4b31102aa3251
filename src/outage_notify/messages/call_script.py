"""What a voice-escalation call says, in the reader's language (pure).

The words around the update (intro, "press 1", thanks, goodbye) are msgids of the gettext
catalogs (`templates/<locale>/LC_MESSAGES/messages.po`, `messages.catalogs`), so translators
work where every other sentence of the service lives; a locale without them hears English.
`call_script` lays the call out as a person hears it, branch by branch: the TwiML
(`integrations/twilio/twiml.py`) says exactly these parts, and the update preview and the
golden files (`tests/golden/*/<audience>.voice.<locale>.txt`) show them for review.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from outage_notify.messages.catalogs import Words

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


def call_words(templates_dir: Path, locale: str, *, organisation: str) -> CallWords:
    """The call's words for a reader of `locale`, from the catalogs (English where missing)."""
    words = Words.of(templates_dir, locale)
    return CallWords(
        intro=words("This is an outage notice from %(organisation)s.", organisation=organisation),
        prompt=words("Press 1 to confirm you have heard this message."),
        thanks=words("Thank you. Your confirmation is recorded. Goodbye."),
        wrong_key=words("That was not 1."),
        goodbye=words("No key was pressed. We will call again. Goodbye."),
    )


@dataclass(frozen=True)
class ScriptPart:
    """What the call says at one point: `when` for a reviewer (staff text, not translated)."""

    when: str
    says: tuple[str, ...]


ANSWERED = "answered"
NO_KEY = "no key pressed: once more"
STILL_NO_KEY = "still no key"
CONFIRMED = "1 pressed"
WRONG_KEY = "another key pressed"


def call_script(words: CallWords, text: str) -> tuple[ScriptPart, ...]:
    """The whole call in the order a person can hear it; `text` is the update read out."""
    said = text[:MAX_SAY]
    return (
        ScriptPart(ANSWERED, (words.intro, said, words.prompt)),
        ScriptPart(NO_KEY, (said, words.prompt)),
        ScriptPart(STILL_NO_KEY, (words.goodbye,)),
        ScriptPart(CONFIRMED, (words.thanks,)),
        ScriptPart(WRONG_KEY, (words.wrong_key, words.prompt, words.goodbye)),
    )


def script_text(script: tuple[ScriptPart, ...]) -> str:
    """The script as plain text: `[answered]` then each sentence said, one per line."""
    lines: list[str] = []
    for part in script:
        lines += [f"[{part.when}]", *part.says]
    return "\n".join(lines)
