"""The rules of flood control that span modules (issue 13, item 4), in one place.

A monitor token must not be able to text people without limit: a person gets at most
RECIPIENT_MAX_PER_HOUR messages on the capped channels in any hour, over all incidents (news
beyond it is held and merged into one digest), and one webhook source opens at most
MAX_NEW_INCIDENTS_PER_HOUR incidents (further new alerts join one "many alerts" incident).
"""

from __future__ import annotations

from datetime import timedelta

from outage_notify.core.models import STAFF_KINDS, ChannelName, UpdateKind

# Channels a person's hourly cap counts together. Slack is apart (uncapped): a DM costs
# nothing and does not wake anyone. WhatsApp rings the same phone, so it counts with SMS.
CAPPED_CHANNELS = frozenset({ChannelName.SMS, ChannelName.WHATSAPP})
# The cap's window.
CAP_WINDOW = timedelta(hours=1)
# Never held: the end of the outage, its return (and a retraction, when there is one) must
# reach people at once; they still count toward the cap and carry any held news. Notes to
# the incident lead are never held either: they are how staff learn of a flood.
NEVER_HELD_KINDS = (
    frozenset({UpdateKind.RESOLVED, UpdateKind.REOPENED, UpdateKind.RETRACTED}) | STAFF_KINDS
)

# The service of a source's "many alerts" incident: one per webhook source while open.
MANY_ALERTS_PREFIX = "many-alerts:"
# The new-incident cap's window.
NEW_INCIDENT_WINDOW = timedelta(hours=1)


def many_alerts_service(source: str) -> str:
    return f"{MANY_ALERTS_PREFIX}{source}"


def is_many_alerts(service: str) -> bool:
    return service.startswith(MANY_ALERTS_PREFIX)
