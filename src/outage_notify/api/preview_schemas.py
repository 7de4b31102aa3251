"""The answer of the preview endpoints (`api/preview.py`)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from outage_notify.incidents.update_preview import CallPreview, UpdatePreview


class SmsOut(BaseModel):
    encoding: str = Field(description="GSM-7 or UCS-2 (70 characters a segment).")
    length: int = Field(description="Septets (GSM-7) or UTF-16 units (UCS-2).")
    segments: int
    cost_per_message: float = Field(description="Segments times SMS_PRICE_PER_SEGMENT.")
    cost_total: float = Field(description="For every reader whose first channel is SMS.")


class CutOut(BaseModel):
    field: str = Field(description='"message" (an update) or "summary" (a declaration).')
    kept: int
    of: int


class WhatsAppTemplateOut(BaseModel):
    content_sid: str = Field(
        description='The ContentSid sent outside the 24-hour window; "" when none is configured.'
    )
    variables: dict[str, str] = Field(description="ContentVariables: each placeholder's value.")
    text: str = Field(description="The approved template body with the variables filled in.")


class CallPartOut(BaseModel):
    when: str = Field(description='"answered", "1 pressed", … (what leads to these words).')
    says: list[str]


class CallOut(BaseModel):
    condition: str = Field(description='"if not acknowledged": only then is anyone called.')
    voice: str
    language: str
    script: list[CallPartOut]


class PreviewMessageOut(BaseModel):
    audience: str
    kind: str = Field(description="opened for an audience told for the first time.")
    channel: str
    locale: str
    timezone: str = Field(description="The readers' zone; \"\" for the organisation's.")
    title: str
    body: str = Field(description="The exact text these readers would get.")
    recipients: int = Field(description="Readers for whom this channel comes first.")
    names: list[str] = Field(description="Their names (the first 50).")
    fallback_recipients: int = Field(description="Readers who get it if earlier channels fail.")
    sms: SmsOut | None = None
    truncated: CutOut | None = Field(
        default=None, description="The staff text is shortened to fit this body."
    )
    whatsapp: WhatsAppTemplateOut | None = Field(
        default=None, description="WhatsApp: what is sent instead outside the 24-hour window."
    )
    call: CallOut | None = Field(
        default=None,
        description="The voice-escalation call reading this body out, for readers who must "
        "acknowledge (when voice is enabled).",
    )


class PreviewOut(BaseModel):
    kind: str = Field(description='The update\'s kind; "" when nothing would be sent.')
    audiences: list[str]
    recipients: int = Field(description="Everyone who would be told, once each.")
    sms_cost: float = Field(description="Of every SMS body for its first-channel readers.")
    warnings: list[str] = Field(description="Truncations, nobody selected, …")
    messages: list[PreviewMessageOut]


def preview_out(preview: UpdatePreview) -> PreviewOut:
    return PreviewOut(
        kind=preview.kind,
        audiences=list(preview.audiences),
        recipients=preview.recipients,
        sms_cost=preview.sms_cost,
        warnings=list(preview.warnings),
        messages=[
            PreviewMessageOut(
                audience=m.audience,
                kind=m.kind,
                channel=m.channel.value,
                locale=m.locale,
                timezone=m.timezone,
                title=m.title,
                body=m.body,
                recipients=m.recipients,
                names=list(m.names),
                fallback_recipients=m.fallback_recipients,
                sms=SmsOut(**vars(m.sms)) if m.sms is not None else None,
                truncated=CutOut(**vars(m.truncated)) if m.truncated is not None else None,
                whatsapp=WhatsAppTemplateOut(**vars(m.whatsapp)) if m.whatsapp else None,
                call=_call(m.call) if m.call is not None else None,
            )
            for m in preview.messages
        ],
    )


def _call(call: CallPreview) -> CallOut:
    parts = [CallPartOut(when=part.when, says=list(part.says)) for part in call.script]
    return CallOut(condition=call.condition, voice=call.voice, language=call.language, script=parts)
