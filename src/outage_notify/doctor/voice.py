"""Voice escalation and WhatsApp: what each needs beyond the Twilio credentials line.

Voice: a caller number, a `<Say>` voice for every locale of the people it may phone (Twilio
refuses a voice that does not speak the call's language, so such a call fails), the
calls-per-second setting, and a public https base URL for the keypress and status callbacks,
which Twilio signs with the account's auth token. WhatsApp: a sender, and an approved Content
Template for every update kind x locale its readers use (outside the 24-hour window nothing
else can be sent). Nothing is sent and no network call is made.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from outage_notify.contacts.directory import Directory
from outage_notify.core.models import ChannelName
from outage_notify.doctor.channels import private_host
from outage_notify.doctor.check import Context, Result, fail, ok, warn
from outage_notify.integrations.twilio.voice import caller_number
from outage_notify.integrations.twilio.whatsapp_check import whatsapp_findings

# How many findings a line quotes (the command that lists them all is in the fix).
QUOTED = 2


def phoned_locales(directory: Directory) -> dict[str, str]:
    """Locale -> one contact who may be phoned in it (a phone, in an audience that acknowledges)."""
    asked = {rule.audience for rule in directory.routing.acknowledge}
    found: dict[str, str] = {}
    for name in sorted(asked):
        audience = directory.audience(name)
        for contact in audience.contacts if audience else ():
            if contact.phone:
                found.setdefault(contact.locale, contact.id)
    return found


def voice(context: Context) -> Result:
    """Voice escalation configured or off, and if on, whether its calls can work."""
    settings = context.settings
    config, twilio = settings.voice, settings.twilio
    if not config.enabled:
        return ok("voice escalation is off (VOICE_ENABLED=false): nobody is phoned.")
    cps = f"{config.calls_per_second:g} call(s) a second (VOICE_CALLS_PER_SECOND)"
    if not (twilio.account_sid and twilio.auth_token.get_secret_value()):
        return fail(
            "VOICE_ENABLED is on but no Twilio account SID and auth token are set: nobody can "
            "be phoned, and callbacks cannot be signed.",
            "Set OUTAGE_NOTIFY_TWILIO_ACCOUNT_SID and _AUTH_TOKEN, or turn VOICE_ENABLED off.",
        )
    if not caller_number(settings):
        return fail(
            "VOICE_ENABLED is on but there is no number to call from.",
            "Set OUTAGE_NOTIFY_VOICE_FROM_NUMBER (or TWILIO_FROM_NUMBER) to a Twilio voice number.",
        )
    base = settings.public_base_url.rstrip("/")
    host = urlsplit(base).hostname or ""
    if not twilio.base_url and (not base.startswith("https://") or private_host(host)):
        return fail(
            f"PUBLIC_BASE_URL {base} is not an https address Twilio can reach: the keypress and "
            "the call's outcome would never arrive, and every call would be repeated.",
            "Set OUTAGE_NOTIFY_PUBLIC_BASE_URL to this service's public https address.",
        )
    directory = context.directory()
    if directory is None:
        return warn(
            f"voice is configured ({cps}); the voices per locale were not checked: the "
            "contacts do not load.",
            "Fix the contacts (see the contacts line), then run doctor again.",
        )
    locales = phoned_locales(directory)
    if not locales:
        return warn(
            f"voice is configured ({cps}) but no contact with a phone number is in an audience "
            "with an acknowledge rule: nobody would be phoned.",
            "Add an acknowledge rule to routing.yaml, or turn VOICE_ENABLED off.",
        )
    unvoiced = [
        f"{locale} (e.g. {contact})"
        for locale, contact in sorted(locales.items())
        if not (config.voices.get(locale) or config.voices.get(locale.split("-")[0]))
    ]
    if unvoiced:
        return fail(
            f"no <Say> voice for {', '.join(unvoiced)}: Twilio refuses a voice that does not "
            "speak the call's language, so their calls would fail.",
            'Add each locale to OUTAGE_NOTIFY_VOICE_VOICES (JSON: {"de": "Polly.Vicki"}).',
        )
    spoken = ", ".join(f"{locale} {config.voice_for(locale)[0]}" for locale in sorted(locales))
    return ok(
        f"voice is configured: {spoken}; {cps}; callbacks to {base}, signed with the auth token."
    )


def _whatsapp_readers(directory: Directory) -> int:
    return sum(
        ChannelName.WHATSAPP in contact.channels
        for audience in directory.audiences.values()
        for contact in audience.contacts
    )


def whatsapp(context: Context) -> Result:
    """WhatsApp's sender and Content Templates, for the contacts who read WhatsApp."""
    settings = context.settings
    directory = context.directory()
    if directory is None:
        return warn(
            "WhatsApp's templates were not checked: the contacts do not load.",
            "Fix the contacts (see the contacts line), then run doctor again.",
        )
    readers = _whatsapp_readers(directory)
    if not readers:
        return ok("no contact uses WhatsApp.")
    if not settings.twilio.whatsapp_from:
        return Result(
            context.dry_run_status(),
            f"{readers} contact(s) use WhatsApp but no WhatsApp sender is set.",
            "Set OUTAGE_NOTIFY_TWILIO_WHATSAPP_FROM to the WhatsApp-enabled sender.",
        )
    findings = whatsapp_findings(directory, settings.templates_dir)
    if findings:
        quoted = "; ".join(f"{f.entry} {f.field}" for f in findings[:QUOTED])
        more = "; …" if len(findings) > QUOTED else ""
        return fail(
            f"{len(findings)} update kind x locale in use without a WhatsApp Content Template "
            f"in {findings[0].file}: {quoted}{more}.",
            "Run `outage-notify contacts check` for each, and add the approved ContentSid.",
        )
    return ok(
        f"{readers} contact(s) use WhatsApp; the sender is set and content.yaml has a template "
        "for every update kind in every locale they read."
    )
