"""`outage-notify doctor` for Slack: is the bot token accepted (`auth.test`)?

`auth.test` is Slack's own "who am I" for a token: Tier special, free, and refused with
`invalid_auth`, `not_authed`, `token_revoked`, `token_expired` or `account_inactive`.
"""

from __future__ import annotations

from collections.abc import Sequence

from outage_notify.channels.provider import CredentialAnswer
from outage_notify.config.settings import Settings

BOT_SETUP_FIX = (
    "Set OUTAGE_NOTIFY_SLACK_BOT_TOKEN to the app's Bot User OAuth Token (xoxb-…) from "
    "api.slack.com/apps → OAuth & Permissions, and reinstall the app if it was revoked."
)


def check_token(settings: Settings, addresses: Sequence[str], timeout: float) -> CredentialAnswer:
    """Ask `auth.test` about the bot token; a missing signing secret is a warning."""
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    slack = settings.slack
    client = WebClient(
        token=slack.bot_token.get_secret_value(),
        base_url=slack.base_url or WebClient.BASE_URL,
        # slack_sdk's timeout is whole seconds.
        timeout=max(int(min(timeout, slack.timeout_seconds)), 1),
    )
    try:
        answer = client.auth_test()
    except SlackApiError as error:
        code = error.response.get("error", "error")
        refused = f"Slack refused the bot token (auth.test: {code})."
        return CredentialAnswer("fail", refused, BOT_SETUP_FIX)
    except OSError as error:
        return CredentialAnswer(
            "fail",
            f"Slack at {client.base_url} could not be reached: {type(error).__name__}.",
            "Check this machine's outbound HTTPS (proxy, firewall) and "
            "OUTAGE_NOTIFY_SLACK_BASE_URL.",
        )
    who = f"@{answer.get('user', '?')} in {answer.get('team', '?')}"
    if not answer.get("bot_id"):
        return CredentialAnswer(
            "warn",
            f"Slack accepted the token as {who}, but it is not a bot token.",
            BOT_SETUP_FIX,
        )
    if not slack.signing_secret.get_secret_value():
        return CredentialAnswer(
            "warn",
            f"Slack accepted the bot token as {who}; without a signing secret the Acknowledge "
            "button and /outage are refused (403).",
            "Set OUTAGE_NOTIFY_SLACK_SIGNING_SECRET to the app's Signing Secret.",
        )
    return CredentialAnswer("ok", f"Slack accepted the bot token as {who}.")
