"""`contacts check --online`: ask Slack and Twilio whether each address really exists.

Slack: `auth.test` once (is the bot token good?), then `users.info` for every contact's Slack
id (missing and deactivated members are errors). Twilio: Lookup v2 (`phone_numbers(n).fetch()`,
the free validation package) for every phone number. A provider without credentials is
skipped with a note. Vendor exceptions stay in this module: each becomes a Finding, and an
answer that proves nothing (timeout, 5xx, rate limit after retries) is a warning, not an error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from outage_notify.config.settings import SlackSettings, TwilioSettings
from outage_notify.contacts.check import Finding
from outage_notify.contacts.directory import Directory
from outage_notify.core.models import Contact

Advance = Callable[[], None]


@dataclass(frozen=True)
class OnlineResult:
    """What the providers said, and which providers were not asked (and why)."""

    findings: tuple[Finding, ...]
    skipped: tuple[str, ...]


def lookups_needed(directory: Directory, *, slack: bool, twilio: bool) -> int:
    """How many provider calls a check will make (for a progress bar)."""
    contacts = list(_contacts(directory))
    calls = sum(bool(c.slack) for c in contacts) if slack else 0
    return calls + (sum(bool(c.phone) for c in contacts) if twilio else 0)


def check_online(
    directory: Directory,
    *,
    slack: SlackSettings,
    twilio: TwilioSettings,
    advance: Advance = lambda: None,
) -> OnlineResult:
    """Look every Slack id and phone number up at the providers that have credentials."""
    findings: list[Finding] = []
    skipped: list[str] = []
    if slack.configured:
        findings += _check_slack(directory, slack, advance)
    else:
        skipped.append("Slack (OUTAGE_NOTIFY_SLACK_BOT_TOKEN is not set)")
    if twilio.account_sid and twilio.auth_token.get_secret_value():
        findings += _check_twilio(directory, twilio, advance)
    else:
        skipped.append("Twilio Lookup (OUTAGE_NOTIFY_TWILIO_ACCOUNT_SID/AUTH_TOKEN are not set)")
    return OnlineResult(tuple(findings), tuple(skipped))


def _check_slack(directory: Directory, settings: SlackSettings, advance: Advance) -> list[Finding]:
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError
    from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

    client = WebClient(
        token=settings.bot_token.get_secret_value(),
        base_url=settings.base_url or WebClient.BASE_URL,
        timeout=int(settings.timeout_seconds),
    )
    # users.info is Tier 4 (100+ a minute): a large list meets 429s; wait as Slack says.
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=3))
    try:
        client.auth_test()
    except SlackApiError as error:
        code = error.response.get("error", "error")
        problem = f"auth.test failed ({code}): the bot token is not accepted; no id was checked."
        return [Finding("error", "settings", "OUTAGE_NOTIFY_SLACK_BOT_TOKEN", "slack", problem)]
    except OSError as error:
        return [_unreachable("Slack", error)]
    findings: list[Finding] = []
    for contact in _contacts(directory):
        if not contact.slack:
            continue
        try:
            user = client.users_info(user=contact.slack).get("user") or {}
        except SlackApiError as error:
            code = str(error.response.get("error", "error"))
            level = "error" if code in ("user_not_found", "user_not_visible") else "warning"
            findings.append(_finding(directory, contact, level, "slack", _slack_says(code)))
        except OSError as error:
            findings.append(_finding(directory, contact, "warning", "slack", _cannot(error)))
        else:
            if user.get("deleted"):
                problem = f"{contact.slack} is a deactivated Slack account."
                findings.append(_finding(directory, contact, "error", "slack", problem))
        advance()
    return findings


def _check_twilio(
    directory: Directory, settings: TwilioSettings, advance: Advance
) -> list[Finding]:
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
    for contact in _contacts(directory):
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
            findings.append(_finding(directory, contact, level, "phone", problem))
        except (TwilioException, OSError) as error:
            findings.append(_finding(directory, contact, "warning", "phone", _cannot(error)))
        else:
            if not number.valid:
                why = ", ".join(number.validation_errors or []) or "no reason given"
                problem = f"Twilio Lookup says {contact.phone} is not a valid number ({why})."
                findings.append(_finding(directory, contact, "error", "phone", problem))
        advance()
    return findings


def _contacts(directory: Directory) -> Iterable[Contact]:
    for name in sorted(directory.audiences):
        yield from directory.audiences[name].contacts


def _finding(
    directory: Directory, contact: Contact, level: str, field: str, problem: str
) -> Finding:
    file, entry = directory.origins.get(contact.id, ("", contact.id))
    return Finding("error" if level == "error" else "warning", file, entry, field, problem)


def _slack_says(code: str) -> str:
    if code == "user_not_found":
        return "Slack has no member with this id (users.info: user_not_found)."
    return f"Slack users.info answered {code}; the id could not be confirmed."


def _cannot(error: Exception) -> str:
    return f"could not be checked: {type(error).__name__}: {error}"


def _unreachable(provider: str, error: Exception) -> Finding:
    problem = f"{provider} could not be reached ({type(error).__name__}); nothing was checked."
    return Finding("warning", "settings", provider, "base_url", problem)
