"""The update preview's WhatsApp bodies as they go outside the 24-hour window.

Outside WhatsApp's customer-service window a message can only be its Content Template
(`templates/whatsapp/content.yaml`), chosen as the worker chooses it (`worker/whatsapp_window`:
the kind and locale's ContentSid, else the `en` one) with the body and organisation as its
variables. Whether a reader's window is open is only known at dispatch, so the preview shows
both: the free-form body and the template. Reads the file; sends nothing.
"""

from __future__ import annotations

import json
from dataclasses import replace

from outage_notify.config.settings import Settings
from outage_notify.core.models import ChannelName
from outage_notify.incidents.update_preview import (
    PreviewMessage,
    UpdatePreview,
    WhatsAppTemplate,
)
from outage_notify.integrations.twilio.whatsapp_content import (
    ContentError,
    ContentTemplates,
    load_content,
)

# The worker's stand-in for a locale without a template of its own.
FALLBACK_LOCALE = "en"


def with_whatsapp_templates(preview: UpdatePreview, settings: Settings) -> UpdatePreview:
    """`preview` with each WhatsApp body's Content Template, and a warning for a missing one."""
    if not any(m.channel is ChannelName.WHATSAPP for m in preview.messages):
        return preview
    try:
        content = load_content(settings.templates_dir)
    except ContentError as error:
        problem = f"whatsapp: {error}; outside the 24-hour window nothing can be sent"
        return replace(preview, warnings=(*preview.warnings, problem))
    messages = []
    warnings = list(preview.warnings)
    for message in preview.messages:
        if message.channel is ChannelName.WHATSAPP:
            template = _template(content, message, settings)
            message = replace(message, whatsapp=template)
            if not template.content_sid:
                warnings.append(
                    f"{message.audience} whatsapp ({message.locale}): {content.path} has no "
                    f"Content Template for {message.kind}; outside the 24-hour window it is "
                    "not sent (the next channel is tried)"
                )
        messages.append(message)
    return replace(preview, messages=tuple(messages), warnings=tuple(dict.fromkeys(warnings)))


def _template(
    content: ContentTemplates, message: PreviewMessage, settings: Settings
) -> WhatsAppTemplate:
    """The Content Template, its variables, and its approved text with them filled in."""
    kind, locale = message.kind, message.locale
    sid = content.sid(kind, locale) or content.sid(kind, FALLBACK_LOCALE) or ""
    variables: dict[str, str] = json.loads(
        content.content_variables(
            organisation=settings.organisation_name, body=message.body, title=message.title
        )
    )
    text = content.text.get(locale) or content.text.get(FALLBACK_LOCALE) or ""
    for key, value in variables.items():
        text = text.replace("{{" + key + "}}", value)
    return WhatsAppTemplate(sid, variables, text)
