"""What each channel can carry, in one table shared by the real and the dry-run channels."""

from __future__ import annotations

from outage_notify.channels.base import ChannelLimits
from outage_notify.models import ChannelName

LIMITS: dict[ChannelName, ChannelLimits] = {
    # Twilio refuses bodies over 1,600 characters (error 21617); SMS has no subject line.
    ChannelName.SMS: ChannelLimits(max_body_chars=1_600, has_title=False),
    # Slack truncates `text` past 40,000 characters; the title becomes a bold first block.
    ChannelName.SLACK: ChannelLimits(max_body_chars=40_000, has_title=True),
    # Apprise splits or truncates per target service, so the fallback takes long bodies.
    ChannelName.FALLBACK: ChannelLimits(max_body_chars=32_000, has_title=True),
}
