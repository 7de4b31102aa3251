"""Voice escalation's settings (`OUTAGE_NOTIFY_VOICE_*`): when the acknowledgement chase has run
out of message channels, phone the person (see `incidents/voice_escalation.py`).

A voice per locale: Twilio's `<Say voice=...>` takes Amazon Polly voices (`Polly.Camila`) or
the basic `man`/`woman`/`alice`; `language` tells it how to pronounce the text. The defaults
below are Polly voices Twilio lists for each of our shipped locales.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from outage_notify.config.sections import DOCUMENTED

# Locale -> (voice, language). A locale not listed uses its own tag as the language and the
# English voice's default; Twilio refuses a voice that does not speak the language.
DEFAULT_VOICES: dict[str, str] = {
    "en": "Polly.Joanna",
    "pt-BR": "Polly.Camila",
    "es": "Polly.Lupe",
}
DEFAULT_LANGUAGES: dict[str, str] = {"en": "en-US", "pt-BR": "pt-BR", "es": "es-US"}


class VoiceSettings(BaseModel):
    """`OUTAGE_NOTIFY_VOICE_*`."""

    model_config = DOCUMENTED

    enabled: bool = False
    """Phone people who must acknowledge once the chase has no message channel left. Off by
    default: calls cost money and wake people. Production refuses it without a public base URL
    Twilio can reach (the keypress and status callbacks)."""
    retry_minutes: float = Field(default=10.0, gt=0, le=24 * 60)
    """Minutes between calls to someone who did not answer, was busy, or whose voicemail
    answered."""
    max_calls: int = Field(default=3, ge=1, le=20)
    """Calls per person and incident before they are listed as unreached."""
    calls_per_second: float = Field(default=1.0, gt=0, le=100)
    """Twilio's calls-per-second limit for the account (1 unless Twilio raised it)."""
    voices: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_VOICES))
    """Locale to `<Say>` voice, as JSON (`{"pt-BR": "Polly.Vitoria"}`); replaces the
    defaults (en Polly.Joanna, pt-BR Polly.Camila, es Polly.Lupe)."""
    from_number: str = ""
    """The number calls come from (a Twilio voice number); empty: `TWILIO_FROM_NUMBER`."""

    def voice_for(self, locale: str) -> tuple[str, str]:
        """The `<Say>` voice and language for a locale."""
        language = DEFAULT_LANGUAGES.get(locale, locale)
        voice = self.voices.get(locale) or self.voices.get(locale.split("-")[0])
        return voice or DEFAULT_VOICES["en"], language
