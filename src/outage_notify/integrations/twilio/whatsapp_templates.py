"""`outage-notify templates whatsapp`: the Content Templates to submit to Meta for approval.

For each locale of content.yaml's `text`: the body to paste into Twilio's Content Template
Builder (type twilio/text, category utility), what each {{n}} carries, and sample values
rendered from our own templates (Meta asks for a sample per variable), then the kinds whose
ContentSid content.yaml holds for it.
"""

from __future__ import annotations

from outage_notify.config.settings import Settings
from outage_notify.contacts.loading import load_contacts
from outage_notify.core.models import ChannelName, UpdateKind
from outage_notify.integrations.twilio.whatsapp_content import ContentError, load_content
from outage_notify.messages.preview import sample_context
from outage_notify.messages.rendering import DEFAULT_AUDIENCE, Renderer

MEANING = {
    "organisation": "the organisation's name (OUTAGE_NOTIFY_ORGANISATION_NAME)",
    "body": "the update as our templates word it (templates/<locale>/sms/<kind>.*.j2), on one line",
    "title": "the incident's title",
}


def approval_text(settings: Settings) -> str:
    """The whole printout; raises ConfigError (ContentError) on a broken content.yaml."""
    content = load_content(settings.templates_dir)
    if not content.text:
        raise ContentError(content.path, "text", "no template body to submit; see the docs.")
    directory = load_contacts(settings)
    renderer = Renderer(
        settings.templates_dir,
        components=directory.components,
        worded_like=directory.routing.worded_like,
    )
    lines = [
        f"# WhatsApp Content Templates to submit for approval ({content.path})",
        "# One template per update kind and locale: the same body for every kind of a locale.",
        "# Variables:",
        *(f"#   {{{{{key}}}}} = {MEANING[source]}" for key, source in content.variables.items()),
    ]
    for locale, body in content.text.items():
        lines += ["", f"## {locale}", "", body, ""]
        for kind in UpdateKind:
            context = sample_context(
                kind=kind, audience=DEFAULT_AUDIENCE, locale=locale, settings=settings
            )
            message = renderer.render(channel=ChannelName.WHATSAPP, context=context)
            sid = content.sid(kind.value, locale) or "(no ContentSid in content.yaml)"
            values = content.content_variables(
                organisation=settings.organisation_name, body=message.body, title=message.title
            )
            lines.append(f"- {kind.value}: {sid}; sample variables {values}")
    return "\n".join(lines)
