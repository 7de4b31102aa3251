"""What production refuses to start with (pure): an empty broker or token list, placeholder or
short secrets, provider credentials left unset, voice calls without a public URL Twilio could
reach. `Settings` refuses with all of them in one sentence (config/settings.py)."""

from __future__ import annotations

from typing import Protocol

from pydantic import SecretStr

from outage_notify.config.api_tokens import ApiToken
from outage_notify.config.console import ConsoleSettings
from outage_notify.config.sections import SlackSettings, TwilioSettings, WebhookSettings
from outage_notify.config.subscribe import SubscribeSettings
from outage_notify.config.voice import VoiceSettings

PLACEHOLDER_SECRETS = frozenset({"", "changethis", "changeme", "secret", "token", "xxx"})


def reachable_by_twilio(url: str) -> bool:
    """Whether a base URL could be reached by Twilio (https, not this machine)."""
    return url.startswith("https://") and not any(
        host in url for host in ("://127.0.0.1", "://localhost", "://0.0.0.0")
    )


def is_placeholder(secret: str) -> bool:
    """Empty, short, or a word people leave in example configuration."""
    lowered = secret.lower()
    return (
        len(secret) < 16
        or lowered in PLACEHOLDER_SECRETS
        or any(word in lowered for word in ("change-me", "changeme", "changethis", "example"))
    )


def provider_secret_problems(twilio: TwilioSettings, slack: SlackSettings) -> list[str]:
    """Placeholder credentials of the providers the configuration means to use."""
    problems = []
    wants_twilio = twilio.account_sid or twilio.from_number or twilio.messaging_service_sid
    if wants_twilio and is_placeholder(twilio.auth_token.get_secret_value()):
        problems.append("TWILIO_AUTH_TOKEN is empty or a placeholder")
    if (slack.bot_token.get_secret_value() or slack.base_url) and is_placeholder(
        slack.bot_token.get_secret_value()
    ):
        problems.append("SLACK_BOT_TOKEN is empty or a placeholder")
    # Unset is allowed (Slack's buttons and commands are then refused); a weak one is not.
    signing_secret = slack.signing_secret.get_secret_value()
    if signing_secret and is_placeholder(signing_secret):
        problems.append("SLACK_SIGNING_SECRET is a placeholder or shorter than 16 characters")
    return problems


class ProductionSettings(Protocol):
    """What the refusal reads of `Settings` (which imports this module, so it is not named)."""

    broker_url: str
    api_tokens: list[ApiToken]
    webhooks: WebhookSettings
    twilio: TwilioSettings
    slack: SlackSettings
    console: ConsoleSettings
    metrics_token: SecretStr
    subscribe: SubscribeSettings
    voice: VoiceSettings
    public_base_url: str


def production_problems(settings: ProductionSettings) -> list[str]:
    """Each reason production would run badly or insecurely with `settings`, as a phrase."""
    problems = []
    if not settings.broker_url:
        problems.append("BROKER_URL is empty (embedded mode is not for production)")
    if not settings.api_tokens:
        problems.append("API_TOKENS is empty")
    for token in settings.api_tokens:
        if token.scheme == "plain" and is_placeholder(token.token.get_secret_value()):
            problems.append(
                f"API token {token.name!r} is a placeholder or shorter than 16 characters"
            )
    for name, secret in settings.webhooks.secrets().items():
        if secret and is_placeholder(secret):
            problems.append(
                f"WEBHOOKS_{name.upper()} is a placeholder or shorter than 16 characters"
            )
    problems += provider_secret_problems(settings.twilio, settings.slack)
    console_secret = settings.console.secret.get_secret_value()
    if console_secret and is_placeholder(console_secret):
        problems.append("CONSOLE_SECRET is a placeholder or shorter than 16 characters")
    metrics_token = settings.metrics_token.get_secret_value()
    if metrics_token and is_placeholder(metrics_token):
        problems.append("METRICS_TOKEN is a placeholder or shorter than 16 characters")
    if settings.subscribe.enabled and is_placeholder(settings.subscribe.secret.get_secret_value()):
        # It signs the unsubscribe links: a guessable key lets anyone unsubscribe anyone.
        problems.append("SUBSCRIBE_SECRET is empty, a placeholder or shorter than 16 characters")
    if settings.voice.enabled and not reachable_by_twilio(settings.public_base_url):
        # Twilio posts the keypress and the call's outcome there: unreachable, every call
        # would go unacknowledged and be repeated up to VOICE_MAX_CALLS times.
        problems.append(
            "VOICE_ENABLED needs PUBLIC_BASE_URL set to an https address Twilio reaches"
        )
    return problems
