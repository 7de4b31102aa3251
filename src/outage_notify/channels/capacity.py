"""What each channel can carry, in one table shared by the real and the dry-run channels.

`Budget` is what one rendered message may take on its channel; the renderer shortens free
text until the body fits it (`outage_notify.messages.fitting`), so no provider refuses a message
for its length (Twilio 21617, Slack `msg_too_long` / `invalid_blocks`).
"""

from __future__ import annotations

from dataclasses import dataclass

from outage_notify.channels.base import ChannelLimits
from outage_notify.core.models import ChannelName

# Twilio refuses bodies over 1,600 characters (error 21617), whatever the segments.
TWILIO_MAX_BODY = 1_600
# Slack: `text` over 40,000 characters is refused (`msg_too_long`); a message carries at most
# 50 blocks and a section's text at most 3,000 characters (`invalid_blocks`).
SLACK_MAX_TEXT, SLACK_MAX_BLOCKS, SLACK_MAX_SECTION = 40_000, 50, 3_000
# A fallback target whose Apprise plugin states no limit (and the default for an audience
# without fallback targets): Apprise's own default `body_maxlen`.
FALLBACK_MAX_BODY = 32_768
# An SMS of this many segments is the default budget (OUTAGE_NOTIFY_SMS_MAX_SEGMENTS); ten is
# the most a GSM-7 body can take within Twilio's 1,600 characters (10 x 153 = 1,530).
DEFAULT_SMS_SEGMENTS, MAX_SMS_SEGMENTS = 3, 10

LIMITS: dict[ChannelName, ChannelLimits] = {
    ChannelName.SMS: ChannelLimits(max_body_chars=TWILIO_MAX_BODY, has_title=False),
    # The title becomes a bold first block.
    ChannelName.SLACK: ChannelLimits(max_body_chars=SLACK_MAX_TEXT, has_title=True),
    # Each target's own limit is applied when rendering (`Budget`); this is the most any takes.
    ChannelName.FALLBACK: ChannelLimits(max_body_chars=FALLBACK_MAX_BODY, has_title=True),
    # Twilio's 1,600 characters hold for a WhatsApp body too; no segments, no title.
    ChannelName.WHATSAPP: ChannelLimits(max_body_chars=TWILIO_MAX_BODY, has_title=False),
}


@dataclass(frozen=True)
class Budget:
    """How much one rendered message may take on one channel for one audience."""

    channel: ChannelName
    max_chars: int
    # SMS: segments as carriers bill them (GSM-7 160/153, UCS-2 70/67; `sms_encoding`).
    max_segments: int = 0
    # SMS: the audience may be asked to acknowledge later (a chase re-sends the newest body
    # with "Reply OK…" added), so the body must leave room for that line.
    reserve_ack: bool = False
    # Fallback: the target's service has no title, so Apprise puts it on the body's first line.
    title_in_body: bool = False
    # SMS: the audience's own GSM-7 transliteration choice (routing.yaml `sms_transliterate`);
    # None follows the renderer's (OUTAGE_NOTIFY_SMS_TRANSLITERATE).
    transliterate: bool | None = None

    def overflow(self, *, title: str, body: str, segments: int = 0) -> str:
        """Why a message does not fit, in a few words; "" when it does."""
        length = len(body) + (len(title) + 2 if self.title_in_body and title else 0)
        if length > self.max_chars:
            return f"{length:,} characters (> {self.max_chars:,})"
        if self.max_segments and segments > self.max_segments:
            return f"{segments} SMS segments (> {self.max_segments})"
        if self.channel is ChannelName.SLACK:
            if len(title) + 2 > SLACK_MAX_SECTION:
                return f"a title of {len(title):,} characters (> {SLACK_MAX_SECTION - 2:,})"
            # The title block, the body's sections and room for the Acknowledge button.
            blocks = (1 if title else 0) + len([p for p in split_sections(body) if p]) + 1
            if blocks > SLACK_MAX_BLOCKS:
                return f"{blocks} Slack blocks (> {SLACK_MAX_BLOCKS})"
        return ""


def default_budget(channel: ChannelName, *, sms_max_segments: int = DEFAULT_SMS_SEGMENTS) -> Budget:
    """The budget of a channel with default settings and no per-audience override."""
    if channel is ChannelName.SMS:
        return Budget(channel, TWILIO_MAX_BODY, max_segments=sms_max_segments)
    return Budget(channel, LIMITS[channel].max_body_chars)


def split_sections(body: str, limit: int = SLACK_MAX_SECTION) -> list[str]:
    """Cut the body into pieces of at most `limit` chars, at line breaks, else at spaces.

    Slack's blocks are these pieces; here (not in the Slack channel) so a budget can count
    them without the Slack SDK.
    """
    pieces: list[str] = []
    rest = body
    while len(rest) > limit:
        window = rest[:limit]
        cut = window.rfind("\n")
        if cut < limit // 2:
            cut = max(cut, window.rfind(" "))
        if cut <= 0:
            cut = limit
            # Never split an escape such as `&amp;`; Slack would show the halves literally.
            amp = window.rfind("&", limit - 6)
            if amp > 0 and ";" not in window[amp:]:
                cut = amp
        pieces.append(rest[:cut].rstrip("\n"))
        rest = rest[cut:].lstrip("\n ")
    if rest or not pieces:
        pieces.append(rest)
    return pieces
