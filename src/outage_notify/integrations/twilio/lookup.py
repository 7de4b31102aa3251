"""`contacts check --online` for Twilio: is every phone number valid, by Lookup v2?

`phone_numbers(n).fetch()`, the free validation package, for every contact's number.
"""

from __future__ import annotations

from outage_notify.config.settings import TwilioSettings
from outage_notify.contacts.check import Finding
from outage_notify.contacts.directory import Directory
from outage_notify.contacts.online import Advance, cannot_check, contacts_of, finding_for


def check_numbers(
    directory: Directory, settings: TwilioSettings, advance: Advance
) -> list[Finding]:
    """What Twilio Lookup says about every contact's number (`advance` after each call)."""
    from twilio.base.exceptions import TwilioException, TwilioRestException
    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    client = Client(
        settings.account_sid,
        settings.auth_token.get_secret_value(),
        http_client=TwilioHttpClient(timeout=settings.timeout_seconds),
    )
    if settings.base_url:
        # Lookup lives on lookups.twilio.com; the fakes serve it on the same base as Messages.
        client.lookups.base_url = settings.base_url.rstrip("/")
    findings: list[Finding] = []
    for contact in contacts_of(directory):
        if not contact.phone:
            continue
        try:
            number = client.lookups.v2.phone_numbers(contact.phone).fetch()
        except TwilioRestException as error:
            if error.status in (401, 403):
                problem = "Twilio refused the credentials for Lookup; no number was checked."
                return [*findings, Finding("error", "settings", "TWILIO", "auth_token", problem)]
            level = "error" if error.status == 404 else "warning"
            problem = f"Twilio Lookup answered {error.status} ({error.msg})."
            findings.append(finding_for(directory, contact, level, "phone", problem))
        except (TwilioException, OSError) as error:
            findings.append(
                finding_for(directory, contact, "warning", "phone", cannot_check(error))
            )
        else:
            if not number.valid:
                why = ", ".join(number.validation_errors or []) or "no reason given"
                problem = f"Twilio Lookup says {contact.phone} is not a valid number ({why})."
                findings.append(finding_for(directory, contact, "error", "phone", problem))
        advance()
    return findings
