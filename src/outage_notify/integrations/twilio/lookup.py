"""`contacts check --online` for Twilio: is every phone number valid, by Lookup v2?

`phone_numbers(n).fetch()`, the free validation package, for every contact's number: its
`phone`, and its own `whatsapp` number when it has one.
"""

from __future__ import annotations

from outage_notify.config.settings import TwilioSettings
from outage_notify.contacts.check import Finding
from outage_notify.contacts.directory import Directory
from outage_notify.contacts.online import (
    Advance,
    cannot_check,
    contacts_of,
    finding_for,
    numbers_of,
)


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
        for field, phone in numbers_of(directory, contact):
            try:
                number = client.lookups.v2.phone_numbers(phone).fetch()
            except TwilioRestException as error:
                if error.status in (401, 403):
                    problem = "Twilio refused the credentials for Lookup; no number was checked."
                    refused = Finding("error", "settings", "TWILIO", "auth_token", problem)
                    return [*findings, refused]
                level = "error" if error.status == 404 else "warning"
                problem = f"Twilio Lookup answered {error.status} ({error.msg})."
                findings.append(finding_for(directory, contact, level, field, problem))
            except (TwilioException, OSError) as error:
                findings.append(
                    finding_for(directory, contact, "warning", field, cannot_check(error))
                )
            else:
                if not number.valid:
                    why = ", ".join(number.validation_errors or []) or "no reason given"
                    problem = f"Twilio Lookup says {phone} is not a valid number ({why})."
                    findings.append(finding_for(directory, contact, "error", field, problem))
            advance()
    return findings
