"""Which Apprise URLs the fallback channel can use: one target each, never e-mail.

The channel loads every address through `load_target` before it sends, and `outage-notify
doctor` asks `check_targets` about every configured one, so both refuse the same URLs.
"""

from __future__ import annotations

from collections.abc import Sequence

import apprise

from outage_notify.channels.provider import CredentialAnswer
from outage_notify.config.settings import Settings
from outage_notify.core.errors import PermanentError

# Apprise 2.3 schemes that deliver by e-mail (SMTP or an e-mail API).
EMAIL_SCHEMES = frozenset(
    {
        "mailto",
        "mailtos",
        "ses",
        "sendgrid",
        "mailgun",
        "sparkpost",
        "resend",
        "o365",
        "azure",
        "brevo",
        "mailersend",
        "postmark",
        "smtp2go",
        "sendpulse",
        "groundmail",
        "acs",
        "deltachat",
        "deltachats",
    }
)
# How many refused targets a doctor line names (the rest are counted).
NAMED = 3


def schemes(service: object) -> set[str]:
    """The URL schemes an Apprise plugin answers to."""
    found: set[str] = set()
    for attribute in ("protocol", "secure_protocol"):
        value = getattr(service, attribute, None)
        if isinstance(value, str):
            found.add(value.lower())
        elif isinstance(value, tuple | list):
            found.update(str(item).lower() for item in value)
    return found


def load_target(url: str) -> apprise.Apprise:
    """An Apprise object holding exactly the one target `url` names; PermanentError if none."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme in EMAIL_SCHEMES:
        raise PermanentError(
            f"e-mail ({scheme}://) is never a fallback while e-mail is down", code="email_url"
        )
    notifier = apprise.Apprise()
    if not notifier.add(url):
        raise PermanentError("Apprise does not accept this URL", code="invalid_url")
    services = list(notifier)
    # Apprise splits a string on spaces and commas; one address must be one target.
    if len(services) != 1:
        raise PermanentError("an address must hold exactly one Apprise URL", code="invalid_url")
    if schemes(services[0]) & EMAIL_SCHEMES:
        raise PermanentError("e-mail is never a fallback while e-mail is down", code="email_url")
    return notifier


def check_targets(settings: Settings, addresses: Sequence[str], timeout: float) -> CredentialAnswer:
    """`outage-notify doctor`: every FALLBACK_URLS entry and contact target, parsed offline.

    Nothing is sent: an Apprise target has no "who am I" call, so only the URL is judged.
    """
    targets = list(dict.fromkeys([*settings.fallback.urls, *addresses]))
    refused: list[str] = []
    for url in targets:
        try:
            load_target(url)
        except PermanentError as error:
            # The scheme only: Apprise URLs often carry tokens.
            scheme = url.split("://", 1)[0] if "://" in url else "(no scheme)"
            refused.append(f"{scheme}:// ({error})")
    if refused:
        named = "; ".join(refused[:NAMED])
        more = f" and {len(refused) - NAMED} more" if len(refused) > NAMED else ""
        return CredentialAnswer(
            "fail",
            f"{len(refused)} of {len(targets)} Apprise target(s) refused: {named}{more}.",
            "Fix the URL in OUTAGE_NOTIFY_FALLBACK_URLS or the contact files "
            "(`outage-notify contacts check` names each one); e-mail schemes are never allowed.",
        )
    return CredentialAnswer(
        "ok", f"{len(targets)} Apprise target(s) parsed; their scheme is valid (nothing was sent)."
    )
