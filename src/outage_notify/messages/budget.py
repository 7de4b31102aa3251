"""The budget of every (audience, channel): what one rendered body may take.

SMS: `OUTAGE_NOTIFY_SMS_MAX_SEGMENTS` (default 3), or the audience's `sms_max_segments` in
routing.yaml, and never above Twilio's 1,600 characters. Slack: 40,000 characters of `text`, 50
blocks, 3,000 characters a section. Fallback: the smallest `body_maxlen` of the Apprise plugins
the audience's targets use (a Telegram target 4,096, Discord 2,000, an SMS gateway 160), so
each target gets a body its service accepts. A body is rendered once per (audience, channel,
locale), not per target, hence the smallest.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import apprise

from outage_notify.channels.capacity import FALLBACK_MAX_BODY, Budget, default_budget
from outage_notify.config.settings import Settings
from outage_notify.contacts.directory import Directory
from outage_notify.core.models import ChannelName
from outage_notify.messages.planning import EVERYONE, STAFF


@dataclass(frozen=True)
class FallbackLimit:
    """What one Apprise target carries: its body, and whether its title counts in it."""

    body: int = FALLBACK_MAX_BODY
    title_in_body: bool = False


# By URL scheme: a plugin's limits are class attributes, and 100,000 contacts with a fallback
# URL each must not mean 100,000 plugin instances at start.
_BY_SCHEME: dict[str, FallbackLimit] = {}


def fallback_limit(url: str) -> FallbackLimit:
    """The Apprise plugin's own `body_maxlen` for `url` (default when Apprise cannot load it)."""
    scheme = url.partition("://")[0].lower()
    if scheme in _BY_SCHEME:
        return _BY_SCHEME[scheme]
    plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
    if plugin is None:
        # Not cached: another URL of the scheme may load (the send reports this one).
        return FallbackLimit()
    body = int(getattr(plugin, "body_maxlen", FALLBACK_MAX_BODY) or FALLBACK_MAX_BODY)
    # A service without titles (title_maxlen 0) gets the title on the body's first line.
    title_in_body = not getattr(plugin, "title_maxlen", 1) or bool(
        getattr(plugin, "overflow_amalgamate_title", False)
    )
    _BY_SCHEME[scheme] = FallbackLimit(body, title_in_body)
    return _BY_SCHEME[scheme]


def smallest(urls: Iterable[str]) -> FallbackLimit:
    limits = [fallback_limit(url) for url in urls]
    if not limits:
        return FallbackLimit()
    return FallbackLimit(
        min(limit.body for limit in limits), any(limit.title_in_body for limit in limits)
    )


@dataclass(frozen=True)
class Budgets:
    """Budgets by audience and channel; build once per directory with `for_directory`."""

    sms_max_segments: int
    audience_sms_segments: Mapping[str, int] = field(default_factory=dict)
    fallback: Mapping[str, FallbackLimit] = field(default_factory=dict)
    # Audiences whose contacts may be asked to acknowledge (a chase adds "Reply OK…").
    acknowledging: frozenset[str] = frozenset()
    # Audiences with their own transliteration choice (routing.yaml `sms_transliterate`).
    audience_transliterate: Mapping[str, bool] = field(default_factory=dict)

    def budget(self, audience: str, channel: ChannelName) -> Budget:
        if channel is ChannelName.SMS:
            segments = self.audience_sms_segments.get(audience, self.sms_max_segments)
            return Budget(
                channel,
                default_budget(channel).max_chars,
                max_segments=segments,
                reserve_ack=audience in self.acknowledging,
                transliterate=self.audience_transliterate.get(audience),
            )
        if channel is ChannelName.FALLBACK:
            limit = self.fallback.get(audience, FallbackLimit())
            return Budget(channel, limit.body, title_in_body=limit.title_in_body)
        return default_budget(channel)


def for_directory(settings: Settings, directory: Directory) -> Budgets:
    """The budgets of every audience of `directory`, its staff and the organisation room."""
    fallback: dict[str, FallbackLimit] = {EVERYONE: smallest(settings.fallback.urls)}
    staff: list[str] = []
    for name, audience in directory.audiences.items():
        urls = [c.fallback for c in audience.contacts if c.fallback]
        staff += urls
        fallback[name] = smallest([*urls, *audience.broadcast.fallback_urls])
    # Reminders go to the lead, who may be in any audience.
    fallback[STAFF] = smallest(staff)
    routing = directory.routing
    return Budgets(
        sms_max_segments=settings.sms_max_segments,
        audience_sms_segments=dict(routing.sms_max_segments),
        fallback=fallback,
        acknowledging=frozenset(rule.audience for rule in routing.acknowledge),
        audience_transliterate=dict(routing.sms_transliterate),
    )


def deployment_values(settings: Settings) -> dict[str, object]:
    """The must-keep parts a deployment adds to every message, for the template check."""
    return {
        "organisation": settings.organisation_name,
        "alternatives": tuple(settings.alternatives),
        "status_page_url": settings.status_page_url,
        "timezone": settings.timezone,
    }
