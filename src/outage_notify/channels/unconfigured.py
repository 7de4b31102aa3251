"""Which channels would only pretend (a console dry run), and who depends on them.

A channel whose settings are not set is a dry run: its messages are logged and nobody is told.
That is how one tries the service out, and a silent trap on the day: with no Twilio settings in
production every SMS "went out" and nobody got one. So every process that sends (`serve`,
`outage-notify worker`) asks here at its start: production refuses a channel that some contact,
broadcast or the organisation-wide fallback room uses and that is not configured; development
says which channels are dry and how many contacts depend on them. `outage-notify doctor`
reads the same figures.

Pure: settings, the contacts' audiences and the provider descriptors in, findings out. It takes
the audiences (core models), not the contacts `Directory`, because channels sit below contacts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from outage_notify.channels.provider import Provider, by_channel
from outage_notify.config.settings import Settings
from outage_notify.core.errors import ConfigError
from outage_notify.core.models import Audience, ChannelName

# How many contacts a refusal names before "and N more".
NAMED_CONTACTS = 3
# The built-in channels as an operator names them; another provider's by its channel.
SPOKEN: dict[str, str] = {
    ChannelName.SMS: "SMS",
    ChannelName.SLACK: "Slack",
    ChannelName.FALLBACK: "The fallback channel (Apprise)",
    ChannelName.WHATSAPP: "WhatsApp",
}


@dataclass(frozen=True)
class DryChannel:
    """A channel that is not configured, and what would go to it."""

    channel: str
    # The settings that make it real (the provider's `missing_settings`).
    missing_settings: str
    # Ids of the contacts with an address on it among their channels, in file order.
    contacts: tuple[str, ...]
    # Broadcast targets on it (audiences' and the organisation-wide FALLBACK_URLS).
    broadcasts: int

    @property
    def used(self) -> bool:
        return bool(self.contacts or self.broadcasts)

    def who(self, *, named: int = NAMED_CONTACTS) -> str:
        """The contacts and broadcasts that need it, a few named: "ana, bruno and 4 more"."""
        parts = list(self.contacts[:named])
        more = len(self.contacts) - len(parts)
        if more:
            parts.append(f"{more:,} more contact{'s' if more > 1 else ''}")
        if self.broadcasts:
            plural = "s" if self.broadcasts > 1 else ""
            parts.append(f"{self.broadcasts} broadcast target{plural}")
        if len(parts) == 1:
            return parts[0]
        return ", ".join(parts[:-1]) + " and " + parts[-1]


def dry_channels(
    settings: Settings, audiences: Iterable[Audience], providers: Iterable[Provider]
) -> list[DryChannel]:
    """Every channel of `providers` that is not configured, with who would go to it."""
    dry = [p for p in by_channel(providers).values() if not p.configured(settings)]
    if not dry:
        return []
    contacts: dict[str, dict[str, None]] = {p.channel: {} for p in dry}
    broadcasts = dict.fromkeys(contacts, 0)
    for audience in audiences:
        for contact in audience.contacts:
            for channel in contact.channels:
                if channel in contacts and audience.address(contact, channel):
                    contacts[channel][contact.id] = None
        if ChannelName.SLACK in broadcasts:
            broadcasts[ChannelName.SLACK] += len(audience.broadcast.slack_channels)
        if ChannelName.FALLBACK in broadcasts:
            broadcasts[ChannelName.FALLBACK] += len(audience.broadcast.fallback_urls)
    if ChannelName.FALLBACK in broadcasts:
        broadcasts[ChannelName.FALLBACK] += len(settings.fallback.urls)
    return [
        DryChannel(p.channel, p.missing_settings, tuple(contacts[p.channel]), broadcasts[p.channel])
        for p in dry
    ]


def refusal(dry: Sequence[DryChannel]) -> str | None:
    """Why production must not start with these dry channels; None when none is used."""
    used = [d for d in dry if d.used]
    if not used:
        return None
    reasons = "; ".join(
        f"{SPOKEN.get(d.channel, d.channel)} is not configured (set {d.missing_settings}) but "
        f"{d.who()} "
        f"{'use' if len(d.contacts) + d.broadcasts > 1 else 'uses'} it"
        for d in used
    )
    return (
        f"refusing to run in production: {reasons}. Their messages would only be logged and "
        "nobody told; configure the channel or take it from those contacts"
    )


def notices(dry: Sequence[DryChannel]) -> list[str]:
    """One line per dry channel, for a development start: what is dry and who depends on it."""
    lines = []
    for d in dry:
        count = len(d.contacts)
        depends = f"{count} contact{'' if count == 1 else 's'}"
        if d.broadcasts:
            depends += f" and {d.broadcasts} broadcast target{'' if d.broadcasts == 1 else 's'}"
        lines.append(
            f"{d.channel} is not configured (set {d.missing_settings}): a dry run, its messages "
            f"are printed to the log, not sent, and recorded dry_run; {depends} depend on it"
        )
    return lines


def refuse_in_production(
    settings: Settings, audiences: Iterable[Audience], providers: Iterable[Provider]
) -> list[DryChannel]:
    """The dry channels; raises ConfigError in production when a used one is among them."""
    dry = dry_channels(settings, audiences, providers)
    if settings.environment == "production":
        reason = refusal(dry)
        if reason is not None:
            raise ConfigError(reason)
    return dry
