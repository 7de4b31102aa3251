"""Slack through the Web API with a bot token (slack_sdk 3.x, AsyncWebClient).

A user id (U…/W…) is reached through a DM opened with `conversations.open`; a channel id
(C…/G…, or an already-open D…) is posted to directly. The body arrives as escaped mrkdwn
(rendering escapes untrusted text), so it is never re-parsed: no `link_names`, no `parse`.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from outage_notify.channels.base import Receipt
from outage_notify.channels.capacity import (
    LIMITS,
    SLACK_MAX_BLOCKS,
    SLACK_MAX_SECTION,
    split_sections,
)
from outage_notify.channels.transport import TRANSPORT_ERRORS, client_timeout, transport_error
from outage_notify.config.settings import SlackSettings
from outage_notify.core.errors import (
    ChannelError,
    PermanentError,
    TransientError,
    UnknownOutcomeError,
)
from outage_notify.core.models import ChannelName, OutboundMessage

PROVIDER = "Slack"
MAX_BLOCKS, MAX_SECTION_CHARS = SLACK_MAX_BLOCKS, SLACK_MAX_SECTION
HISTORY_LIMIT = 200
PERMANENT: dict[str, str] = {
    "channel_not_found": "the Slack channel does not exist or the bot cannot see it",
    "user_not_found": "no such Slack user",
    "users_not_found": "no such Slack user",
    "not_in_channel": "the bot is not a member of the Slack channel",
    "is_archived": "the Slack channel is archived",
    "invalid_auth": "Slack rejected the bot token",
    "not_authed": "no Slack bot token was sent",
    "account_inactive": "the Slack bot or workspace is deactivated",
    "token_revoked": "the Slack bot token was revoked",
    "no_permission": "the bot lacks permission for this Slack conversation",
    "missing_scope": "the Slack bot token lacks a required scope",
    "msg_too_long": "the message is longer than Slack accepts",
    "cannot_dm_bot": "the Slack user is a bot and cannot receive DMs",
}
TRANSIENT: dict[str, str] = {
    "ratelimited": "Slack is rate limiting us",
    "internal_error": "Slack had an internal error",
    "fatal_error": "Slack had a fatal error",
    "service_unavailable": "Slack is unavailable",
    "request_timeout": "Slack timed out handling the request",
}


def map_api_error(error: SlackApiError) -> ChannelError:
    """Translate a Slack error answer (HTTP status + `error` string) into our three kinds."""
    response = error.response
    # On an unparsable body the SDK attaches the raw aiohttp response, not a SlackResponse.
    status = int(getattr(response, "status_code", getattr(response, "status", 0)) or 0)
    data = getattr(response, "data", None)
    code = str(data.get("error", "")) if isinstance(data, dict) else ""
    if status == 429 or code == "ratelimited":
        retry_after = _retry_after(getattr(response, "headers", {}))
        return TransientError(TRANSIENT["ratelimited"], code="ratelimited", retry_after=retry_after)
    if code in PERMANENT:
        return PermanentError(PERMANENT[code], code=code)
    if code in TRANSIENT or status >= 500:
        return TransientError(
            TRANSIENT.get(code, f"Slack answered HTTP {status}"), code=code or str(status)
        )
    if status == 200 and not code:
        return UnknownOutcomeError("unreadable answer from Slack", code="bad_response")
    return PermanentError(f"Slack refused the message ({code or status})", code=code or str(status))


def map_error(error: BaseException) -> ChannelError:
    if isinstance(error, SlackApiError):
        return map_api_error(error)
    if isinstance(error, TRANSPORT_ERRORS):
        return transport_error(PROVIDER, error)
    return PermanentError(f"the Slack client refused the request: {error}", code="client_error")


def _retry_after(headers: Any) -> float:
    try:
        return max(float(headers.get("Retry-After", "1")), 0.0)
    except (AttributeError, TypeError, ValueError):
        return 1.0


# The interactivity endpoint recognises a press by this id; the value names the delivery.
ACK_ACTION_ID = "outage_notify_ack"
MAX_BUTTON_LABEL = 75


def build_blocks(
    title: str, body: str, *, ack_value: str = "", ack_label: str = ""
) -> list[dict[str, Any]]:
    """Title and body as mrkdwn sections; with `ack_value`, an Acknowledge button after them."""
    blocks: list[dict[str, Any]] = []
    if title:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"*{title}*"}})
    for piece in split_sections(body):
        if piece:
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": piece}})
    if ack_value:
        button = {
            "type": "button",
            "action_id": ACK_ACTION_ID,
            "text": {"type": "plain_text", "text": (ack_label or "Acknowledge")[:MAX_BUTTON_LABEL]},
            "value": ack_value,
            "style": "primary",
        }
        blocks.append({"type": "actions", "block_id": ACK_ACTION_ID, "elements": [button]})
    return blocks


SEND_ERRORS: tuple[type[BaseException], ...] = (SlackClientError, *TRANSPORT_ERRORS)


class SlackChannel:
    """Posts one message per send to a Slack user (as a DM) or a channel.

    Build it inside the running event loop that will use it: its aiohttp session binds there.
    """

    name = ChannelName.SLACK
    limits = LIMITS[ChannelName.SLACK]

    def __init__(self, settings: SlackSettings) -> None:
        # A shared session keeps connections pooled; the SDK applies `timeout` only to the
        # throwaway sessions it makes itself, so the session carries the timeout.
        self._session = aiohttp.ClientSession(timeout=client_timeout(settings.timeout_seconds))
        self._client = AsyncWebClient(
            token=settings.bot_token.get_secret_value(),
            base_url=settings.base_url or AsyncWebClient.BASE_URL,
            timeout=math.ceil(settings.timeout_seconds),
            session=self._session,
            # The default handlers retry a dropped connection once, which would post twice;
            # the delivery module, not the SDK, decides about retries.
            retry_handlers=[],
        )
        self._dm_channels: dict[str, str] = {}

    async def send(self, message: OutboundMessage) -> Receipt:
        if not (message.body or message.title):
            raise PermanentError("the message is empty", code="no_text")
        if len(message.body) > self.limits.max_body_chars:
            raise PermanentError(PERMANENT["msg_too_long"], code="msg_too_long")
        blocks = build_blocks(
            message.title, message.body, ack_value=message.ack_value, ack_label=message.ack_label
        )
        if len(blocks) > MAX_BLOCKS:
            raise PermanentError(
                "the message needs more than Slack's 50 blocks", code="too_many_blocks"
            )
        channel = await self._conversation(message.address)
        try:
            posted = await self._client.chat_postMessage(
                channel=channel, text=message.body or message.title, blocks=blocks
            )
        except SEND_ERRORS as error:
            raise map_error(error) from error
        return Receipt(provider_id=str(posted.get("ts", "")), status="sent")

    async def find_sent(self, message: OutboundMessage, since: datetime) -> Receipt | None:
        """The newest message in the conversation since `since` whose text matches, if any.

        Needs the `channels:history`, `groups:history` and `im:history` scopes.
        """
        channel = await self._conversation(message.address)
        try:
            history = await self._client.conversations_history(
                channel=channel, oldest=f"{since.timestamp():.6f}", limit=HISTORY_LIMIT
            )
        except SEND_ERRORS as error:
            raise _lookup_error(map_error(error)) from error
        wanted = message.body or message.title
        for sent in history.get("messages") or []:
            text = str(sent.get("text", ""))
            if text == wanted:
                return Receipt(provider_id=str(sent.get("ts", "")), status="sent")
        return None

    async def aclose(self) -> None:
        await self._session.close()

    async def _conversation(self, address: str) -> str:
        """The channel id to post to: channel ids as given, users through their DM."""
        if address[:1] in ("C", "G", "D"):
            return address
        if address[:1] not in ("U", "W"):
            raise PermanentError(
                f"{address!r} is not a Slack member ID (U…/W…) or channel ID (C…/G…)",
                code="invalid_address",
            )
        cached = self._dm_channels.get(address)
        if cached is not None:
            return cached
        try:
            opened = await self._client.conversations_open(users=address)
        except SEND_ERRORS as error:
            # Nothing was posted yet, so a lost answer here is safe to retry.
            raise _lookup_error(map_error(error)) from error
        channel = str(opened["channel"]["id"])
        self._dm_channels[address] = channel
        return channel


def _lookup_error(error: ChannelError) -> ChannelError:
    if isinstance(error, UnknownOutcomeError):
        return TransientError(error.reason, code=error.code)
    return error
