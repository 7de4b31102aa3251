"""The registered providers: the one list of them, in the order channels are built.

Adding a channel is a new `integrations/<name>/` package exporting a `Provider` and one line
here (docs/developer/adding-a-channel.md). Everything that needs the providers gets this tuple
from an edge (worker runtime, CLI); the domain packages never import it.
"""

from __future__ import annotations

from outage_notify.channels.provider import Provider
from outage_notify.integrations.apprise.provider import FALLBACK
from outage_notify.integrations.slack.provider import SLACK
from outage_notify.integrations.twilio.provider import SMS
from outage_notify.integrations.twilio.whatsapp_provider import WHATSAPP

PROVIDERS: tuple[Provider, ...] = (SMS, SLACK, FALLBACK, WHATSAPP)
