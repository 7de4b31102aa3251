"""`contacts check --online` for Slack: is every contact's Slack id a live member?

`auth.test` once (is the bot token good?), then `users.info` for every contact's Slack id
(missing and deactivated members are errors).
"""

from __future__ import annotations

from outage_notify.config.settings import SlackSettings
from outage_notify.contacts.check import Finding
from outage_notify.contacts.directory import Directory
from outage_notify.contacts.online import (
    Advance,
    cannot_check,
    contacts_of,
    finding_for,
    unreachable,
)


def check_members(directory: Directory, settings: SlackSettings, advance: Advance) -> list[Finding]:
    """What Slack says about every contact's Slack id (one call each, `advance` after each)."""
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
        return [unreachable("Slack", error)]
    findings: list[Finding] = []
    for contact in contacts_of(directory):
        if not contact.slack:
            continue
        try:
            user = client.users_info(user=contact.slack).get("user") or {}
        except SlackApiError as error:
            code = str(error.response.get("error", "error"))
            level = "error" if code in ("user_not_found", "user_not_visible") else "warning"
            findings.append(finding_for(directory, contact, level, "slack", slack_says(code)))
        except OSError as error:
            findings.append(
                finding_for(directory, contact, "warning", "slack", cannot_check(error))
            )
        else:
            if user.get("deleted"):
                problem = f"{contact.slack} is a deactivated Slack account."
                findings.append(finding_for(directory, contact, "error", "slack", problem))
        advance()
    return findings


def slack_says(code: str) -> str:
    if code == "user_not_found":
        return "Slack has no member with this id (users.info: user_not_found)."
    return f"Slack users.info answered {code}; the id could not be confirmed."
