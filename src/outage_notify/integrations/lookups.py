"""`contacts check --online`: ask Slack and Twilio whether each address really exists."""

from __future__ import annotations

from outage_notify.config.settings import SlackSettings, TwilioSettings
from outage_notify.contacts.check import Finding
from outage_notify.contacts.directory import Directory
from outage_notify.contacts.online import Advance, OnlineResult
from outage_notify.integrations.slack.lookup import check_members
from outage_notify.integrations.twilio.lookup import check_numbers


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
        findings += check_members(directory, slack, advance)
    else:
        skipped.append("Slack (OUTAGE_NOTIFY_SLACK_BOT_TOKEN is not set)")
    if twilio.account_sid and twilio.auth_token.get_secret_value():
        findings += check_numbers(directory, twilio, advance)
    else:
        skipped.append("Twilio Lookup (OUTAGE_NOTIFY_TWILIO_ACCOUNT_SID/AUTH_TOKEN are not set)")
    return OnlineResult(tuple(findings), tuple(skipped))
