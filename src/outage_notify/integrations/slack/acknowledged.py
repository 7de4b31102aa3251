"""Marking a Slack message acknowledged once its button was pressed.

An interaction carries a `response_url` that accepts a replacement of the message for about 30
minutes. The replacement keeps the message's text and blocks, drops the Acknowledge button (so
nobody presses it again) and adds a line "Acknowledged by <@U…> at 14:32". The URL comes from
a signed payload, but it is still only posted to when it is Slack's own
(https://hooks.slack.com) or on the configured `SLACK_BASE_URL` host (the development fake):
this process must never be made to post somewhere else.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx

from outage_notify.config.settings import Settings
from outage_notify.messages.catalogs import N_, Words

log = logging.getLogger(__name__)

SLACK_HOOKS = ("https", "hooks.slack.com", None)
# Worded in the message's locale from the catalogs.
ACKNOWLEDGED = N_("Acknowledged by %(user)s at %(time)s")


def allowed(response_url: str, settings: Settings) -> bool:
    """Whether `response_url` is Slack's, or on the configured Slack base URL's host."""
    url = urlsplit(response_url)
    try:
        target = (url.scheme, url.hostname, url.port)
        if target == SLACK_HOOKS:
            return True
        base = urlsplit(settings.slack.base_url) if settings.slack.base_url else None
        return base is not None and target == (base.scheme, base.hostname, base.port)
    except ValueError:  # a port that is not a number
        return False


def replacement(
    payload: dict[str, Any],
    *,
    user: str,
    at: datetime,
    timezone: str,
    locale: str,
    templates_dir: Path = Path("templates"),
) -> dict[str, Any]:
    """The message of `payload` without its buttons, saying who acknowledged it and when."""
    message = payload.get("message")
    message = message if isinstance(message, dict) else {}
    blocks = message.get("blocks")
    kept = [
        block
        for block in (blocks if isinstance(blocks, list) else [])
        # Our messages' only actions block is the Acknowledge button.
        if isinstance(block, dict) and block.get("type") != "actions"
    ]
    clock = at.astimezone(ZoneInfo(timezone)).strftime("%H:%M")
    line = Words.of(templates_dir, locale)(ACKNOWLEDGED, user=f"<@{user}>", time=clock)
    kept.append({"type": "context", "elements": [{"type": "mrkdwn", "text": line}]})
    text = message.get("text")
    return {
        "replace_original": True,
        "text": text if isinstance(text, str) and text else line,
        "blocks": kept,
    }


def replace_message(
    settings: Settings,
    payload: dict[str, Any],
    response_url: str,
    *,
    user: str,
    at: datetime,
    locale: str,
) -> None:
    """Post the acknowledged version of the message; failures are logged, never raised."""
    if not allowed(response_url, settings):
        log.warning("Slack response_url on an unexpected host: the message is left as it is")
        return
    body = replacement(
        payload,
        user=user,
        at=at,
        timezone=settings.timezone,
        locale=locale,
        templates_dir=settings.templates_dir,
    )
    try:
        response = httpx.post(response_url, json=body, timeout=settings.slack.timeout_seconds)
    except httpx.HTTPError as error:
        log.warning("could not replace the acknowledged Slack message: %s", type(error).__name__)
        return
    if response.status_code >= 300:
        log.warning(
            "Slack refused the replacement of the acknowledged message: HTTP %s",
            response.status_code,
        )
