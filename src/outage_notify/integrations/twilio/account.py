"""`outage-notify doctor` for Twilio: are the account SID and auth token accepted?

One `client.api.accounts(sid).fetch()` (GET /2010-04-01/Accounts/{Sid}.json), the cheapest call
that needs both; the account's status and type say whether it can send at all.
"""

from __future__ import annotations

from collections.abc import Sequence

from outage_notify.channels.provider import CredentialAnswer
from outage_notify.config.settings import Settings

CONSOLE_FIX = (
    "Copy the Account SID and Auth Token from the Twilio console into "
    "OUTAGE_NOTIFY_TWILIO_ACCOUNT_SID and OUTAGE_NOTIFY_TWILIO_AUTH_TOKEN."
)


def check_account(settings: Settings, addresses: Sequence[str], timeout: float) -> CredentialAnswer:
    """Fetch the configured account; refused credentials, a closed or a trial account say so."""
    from twilio.base.exceptions import TwilioException, TwilioRestException
    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    twilio = settings.twilio
    client = Client(
        twilio.account_sid,
        twilio.auth_token.get_secret_value(),
        http_client=TwilioHttpClient(timeout=min(timeout, twilio.timeout_seconds)),
    )
    if twilio.base_url:
        client.api.base_url = twilio.base_url.rstrip("/")
    where = twilio.base_url or "api.twilio.com"
    try:
        account = client.api.accounts(twilio.account_sid).fetch()
    except TwilioRestException as error:
        if error.status in (401, 403):
            refused = f"Twilio refused the credentials ({error.status}, {error.msg})."
            return CredentialAnswer("fail", refused, CONSOLE_FIX)
        if error.status == 404:
            return CredentialAnswer(
                "fail", f"Twilio has no account {twilio.account_sid}.", CONSOLE_FIX
            )
        return CredentialAnswer(
            "fail",
            f"Twilio answered {error.status} ({error.msg}) to the account fetch.",
            "Try again in a minute; if it persists, check status.twilio.com.",
        )
    except (TwilioException, OSError) as error:
        return CredentialAnswer(
            "fail",
            f"Twilio at {where} could not be reached: {type(error).__name__}.",
            "Check this machine's outbound HTTPS (proxy, firewall) and "
            "OUTAGE_NOTIFY_TWILIO_BASE_URL.",
        )
    name = f"account {account.sid} ({account.friendly_name or 'unnamed'})"
    if account.status != "active":
        return CredentialAnswer(
            "fail",
            f"Twilio accepted the credentials but the {name} is {account.status}.",
            "Reactivate the account in the Twilio console, or configure an active one.",
        )
    if account.type == "Trial":
        return CredentialAnswer(
            "warn",
            f"Twilio accepted the credentials; the {name} is a trial account, which texts "
            "only verified numbers.",
            "Upgrade the Twilio account before the day, or every unverified number fails.",
        )
    return CredentialAnswer("ok", f"Twilio accepted the credentials: {name} is active.")
