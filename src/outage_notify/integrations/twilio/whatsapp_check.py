"""`contacts check` for WhatsApp: every locale a WhatsApp contact reads has a Content Template
for every update kind (outside the 24-hour window nothing else can be sent)."""

from __future__ import annotations

from pathlib import Path

from outage_notify.contacts.check import Finding
from outage_notify.contacts.directory import Directory
from outage_notify.core.models import ChannelName, UpdateKind
from outage_notify.integrations.twilio.whatsapp_content import ContentError, load_content


def whatsapp_findings(directory: Directory, templates_dir: Path) -> list[Finding]:
    """An error per (kind, locale) without a template, naming content.yaml and the field."""
    readers: dict[str, str] = {}
    for audience in directory.audiences.values():
        for contact in audience.contacts:
            if ChannelName.WHATSAPP in contact.channels and contact.locale not in readers:
                # Where to find the contact, so the fix can also be their locale or channels.
                origin = " ".join(directory.origins.get(contact.id, ()))
                readers[contact.locale] = f"{contact.id}, {origin}" if origin else contact.id
    if not readers:
        return []
    try:
        content = load_content(templates_dir)
    except ContentError as error:
        return [Finding("error", str(error.path), "-", error.where, error.problem)]
    kinds = [kind.value for kind in UpdateKind]
    return [
        Finding(
            "error",
            str(content.path),
            f"templates.{kind}",
            locale,
            f"no WhatsApp Content Template for {kind} in {locale} (read by {readers[locale]}, "
            "whose channels include whatsapp); outside the 24-hour window it cannot be sent: "
            f"add its ContentSid, or take whatsapp off the channels of {locale} readers.",
        )
        for kind, locale in content.missing(kinds, sorted(readers))
    ]
