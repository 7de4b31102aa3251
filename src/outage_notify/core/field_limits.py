"""The length of every text field the API or a webhook stores: defined once, used everywhere.

`store/tables.py` sizes its `String(n)` columns with these, the staff API's and the generic
webhook's pydantic models take their `max_length` from them, and ingest cuts monitoring text to
them; a test compares the models with the tables so the two cannot drift apart. PostgreSQL
enforces `varchar(n)` (SQLite never does), so a limit that differed from its column was a 500
that no SQLite test saw.

Staff input over a limit is refused (422 naming the field and the limit): a person can shorten
it. Monitoring input is never refused for length (a monitor cannot fix its payload and would
retry forever): `fit` cuts it, and the cut is recorded on the incident's timeline.
"""

from __future__ import annotations

import hashlib

# --- columns (varchar(n) on PostgreSQL) ---------------------------------------------------
# incidents.title: an alert's summary, or the staff-declared title.
TITLE = 300
# events.service, incidents.service.
SERVICE = 100
# events.dedup_key (unique): longer keys are replaced by a digest, never cut.
DEDUP_KEY = 200
# events.source: our own ingest path names (alertmanager, grafana, ...).
SOURCE = 40
# Who acted: events.actor, timeline.actor, incidents.created_by, updates.created_by,
# eta_history.set_by, action_items.created_by, audit_log.actor.
ACTOR = 100
# incidents.lead: a contact id.
LEAD = 200
# action_items.owner.
OWNER = 200
# messages.audience, deliveries.audience.
AUDIENCE = 100
# audit_log.client: the client address.
CLIENT = 100
# A provider's message id: deliveries.provider_id, inbound_messages.provider_id (MessageSid).
PROVIDER_ID = 100
# Who sent an inbound message (inbound_messages.sender): a phone number or Slack user id.
SENDER = 200
# messages.timezone, deliveries.timezone: an IANA zone name (the longest is 32 characters),
# checked against the zone database when contacts are loaded.
TIMEZONE = 64
# notification_clock_notices.obligation, notification_clock_reminders.obligation: lgpd, gdpr...
OBLIGATION = 40
# notification_clock_notices.reference: the protocol number or case id an authority gave.
NOTICE_REFERENCE = 500

# --- text and JSON columns (unbounded in the database; bounded here for people) -----------
# A component name (incidents.components is JSON); it is shown in messages and lists.
COMPONENT = 50
# Components one event or declaration may name.
COMPONENTS = 20
# An alert's description, which becomes incidents.summary; a staff summary.
DESCRIPTION = 5000
# An alert's link to its dashboard or rule.
URL = 2000
# A staff update's or resolution's message.
MESSAGE = 2000
# A staff note or finding; an incident's root cause.
NOTE = 10_000
# An action item.
ACTION_ITEM = 2000
# The group key an incident keeps while an alert group fires (incidents.active_groups, JSON):
# longer ones (an Alertmanager group of many labels) become a digest. Generous, so that
# ordinary keys stay readable on the timeline.
GROUP_KEY = 500

ELLIPSIS = "…"


def fit(text: str, limit: int) -> str:
    """`text`, or its first characters and `…` so that the whole is `limit` characters."""
    if len(text) <= limit:
        return text
    return text[: limit - len(ELLIPSIS)].rstrip() + ELLIPSIS


def fit_key(key: str, limit: int) -> str:
    """`key`, or (when longer than `limit`) a fixed-length digest of it that keeps its prefix.

    Keys must stay distinct when long, so they are never cut: two alerts whose keys differ
    only after the limit would be taken for one. The prefix (`source:`) keeps logs readable.
    """
    if len(key) <= limit:
        return key
    prefix = key.split(":", 1)[0][:40]
    return f"{prefix}:sha256:{hashlib.sha256(key.encode('utf-8', 'surrogatepass')).hexdigest()}"
