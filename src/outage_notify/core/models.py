"""Typed domain models shared by the pure core and the edges.

Events come in (ingest), incidents and updates are what the lifecycle decides, contacts and
recipients are who is told, rendered messages and deliveries are what goes out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from outage_notify.core import field_limits

# A surrogate code point can only be alone in a Python str decoded from JSON ("\ud800"): a
# valid pair is decoded into one character. UTF-8 cannot encode it, so PostgreSQL and every
# provider refuse it.
LONE_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT_CHARACTER = "\ufffd"


def has_lone_surrogate(text: str) -> bool:
    return LONE_SURROGATE.search(text) is not None


def storable(value: Any) -> Any:
    """`value` with NULs dropped and lone surrogates replaced by U+FFFD, in every string.

    For text from monitoring, which must never be refused: a label a monitor cannot fix
    would otherwise keep a real outage from being stored and announced.
    """
    if isinstance(value, str):
        if value.isascii():  # O(1) in CPython; ASCII holds no surrogate (webhooks' hot path)
            return value.replace("\x00", "") if "\x00" in value else value
        return LONE_SURROGATE.sub(REPLACEMENT_CHARACTER, value.replace("\x00", ""))
    if isinstance(value, dict):
        return {storable(key): storable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(storable(item) for item in value)
    return value


def without_nul(value: Any) -> Any:
    """`value` with NUL characters removed from every string in it (dicts and lists too).

    PostgreSQL text cannot hold NUL; one in an alert label would fail every attempt to store
    the incident, so a hostile label could keep a real outage from being announced.
    """
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {without_nul(key): without_nul(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(without_nul(item) for item in value)
    return value


class Severity(StrEnum):
    CRITICAL = "critical"
    MAJOR = "major"
    MINOR = "minor"

    @property
    def rank(self) -> int:
        return {"critical": 3, "major": 2, "minor": 1}[self.value]


class Phase(StrEnum):
    DETECTED = "detected"
    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    FIXING = "fixing"
    VERIFYING = "verifying"
    RESOLVED = "resolved"


class CauseCategory(StrEnum):
    """What kind of cause an incident has (the SOP's troubleshooting step); `unknown` until
    staff say. `security` puts the incident in security mode (docs/concepts/security-mode.md)."""

    HARDWARE = "hardware"
    SOFTWARE = "software"
    NETWORK = "network"
    SECURITY = "security"
    # The hosting or mail provider.
    PROVIDER = "provider"
    UNKNOWN = "unknown"


# The audience that hears everything of an incident in security mode (security team, legal,
# DPO), internal notes marked for it included; every other audience gets the security
# templates, without alert text or notes.
SECURITY_AUDIENCE = "security"


class UpdateKind(StrEnum):
    OPENED = "opened"
    UPDATE = "update"
    ETA_CHANGED = "eta_changed"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    # To the incident lead only, never to stakeholders: an ETA or promised update slipped.
    REMINDER = "reminder"
    # To the incident lead only: people who never acknowledged on any channel; call them.
    UNREACHED = "unreached"
    # To the incident lead only: an accepted alert could not be applied (GET /api/v1/events).
    EVENT_FAILED = "event_failed"
    # To the incident lead only: a webhook source opened more new incidents in an hour than
    # MAX_NEW_INCIDENTS_PER_HOUR; its further new alerts join one "many alerts" incident.
    MANY_ALERTS = "many_alerts"
    # To the incident lead only: people whose news the per-recipient cap is holding (who is
    # behind, and why); their next message carries it.
    BEHIND = "behind"
    # To the incident lead and the `security` audience only: a legal notice (LGPD, GDPR) is
    # due since staff marked that personal data may be affected (the notification clock).
    NOTIFICATION_DUE = "notification_due"
    # Scheduled maintenance (maintenance/): announced when scheduled, reminded before, at
    # its start, and at its end or a new end. Planned under the window's carrier incident.
    MAINTENANCE_SCHEDULED = "maintenance_scheduled"
    MAINTENANCE_REMINDER = "maintenance_reminder"
    MAINTENANCE_STARTED = "maintenance_started"
    MAINTENANCE_COMPLETED = "maintenance_completed"
    MAINTENANCE_EXTENDED = "maintenance_extended"
    # Staff withdrew a mistaken incident: whoever was told gets "please disregard".
    RETRACTED = "retracted"


# Scheduled maintenance's announcements: planned under a window's carrier incident, which is
# never in security mode.
MAINTENANCE_KINDS = frozenset(
    {
        UpdateKind.MAINTENANCE_SCHEDULED,
        UpdateKind.MAINTENANCE_REMINDER,
        UpdateKind.MAINTENANCE_STARTED,
        UpdateKind.MAINTENANCE_COMPLETED,
        UpdateKind.MAINTENANCE_EXTENDED,
    }
)


# Kinds told to staff alone (the incident lead; a notification clock reminder also the `security`
# audience): no stakeholder audience, no status page, no stakeholder promise.
STAFF_KINDS = frozenset(
    {
        UpdateKind.REMINDER,
        UpdateKind.UNREACHED,
        UpdateKind.EVENT_FAILED,
        UpdateKind.MANY_ALERTS,
        UpdateKind.BEHIND,
        UpdateKind.NOTIFICATION_DUE,
    }
)


class EventState(StrEnum):
    """An accepted event: waiting to be applied, applied, or failed (kept for a retry)."""

    PENDING = "pending"
    APPLIED = "applied"
    FAILED = "failed"


class AlertStatus(StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"


class ChannelName(StrEnum):
    SMS = "sms"
    SLACK = "slack"
    FALLBACK = "fallback"
    # Through Twilio's Messages API too, to the contact's phone (`whatsapp:+E164`).
    WHATSAPP = "whatsapp"


class DeliveryState(StrEnum):
    PLANNED = "planned"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    UNKNOWN = "unknown"
    SUPERSEDED = "superseded"
    # Over the recipient's hourly cap (RECIPIENT_MAX_PER_HOUR): waits for the digest that
    # carries it, or for a resolution that does.
    HELD = "held"
    # Went through a channel that is not configured: printed to the log, nobody was told.
    # Final, and never counted as sent or reached.
    DRY_RUN = "dry_run"


FINAL_DELIVERY_STATES = frozenset(
    {
        DeliveryState.SENT,
        DeliveryState.DELIVERED,
        DeliveryState.FAILED,
        DeliveryState.SUPERSEDED,
        DeliveryState.DRY_RUN,
    }
)


# --- events -------------------------------------------------------------------------------


class AlertEvent(BaseModel):
    """One monitoring or staff signal, normalised from whatever shape it arrived in."""

    model_config = ConfigDict(frozen=True)

    source: str
    # Identical deliveries of the same signal share it; the store refuses the second copy.
    dedup_key: str
    # The alert group this signal belongs to; an incident stays open while any group fires.
    group_key: str
    status: AlertStatus
    severity: Severity
    summary: str
    description: str = ""
    components: tuple[str, ...] = ()
    service: str = "email"
    started_at: datetime | None = None
    url: str = ""
    labels: dict[str, str] = Field(default_factory=dict)
    # Fields monitoring sent longer than we store, and their original lengths: they were cut
    # (`field_limits.fit`) rather than refused, and the cut goes on the incident's timeline.
    truncated: dict[str, int] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = storable(data)
        truncated = dict(data.get("truncated") or {})
        for name, limit in CUT_AT.items():
            value = data.get(name)
            if isinstance(value, str) and len(value) > limit:
                truncated[name] = len(value)
                data[name] = field_limits.fit(value, limit)
        components = data.get("components")
        if isinstance(components, list | tuple):
            data["components"] = tuple(_components(components, truncated))
        for name in ("dedup_key", "group_key"):
            value = data.get(name)
            if isinstance(value, str):
                data[name] = field_limits.fit_key(value, _KEY_LIMITS[name])
        data["truncated"] = truncated
        return data


# Monitoring text is cut to what is stored and shown (see `field_limits`), never refused.
CUT_AT = {
    "summary": field_limits.TITLE,
    "service": field_limits.SERVICE,
    "description": field_limits.DESCRIPTION,
    "url": field_limits.URL,
}
# Component names are cut each to this; `truncated["component name"]` is the longest sent.
COMPONENT_NAME = "component name"
_KEY_LIMITS = {"dedup_key": field_limits.DEDUP_KEY, "group_key": field_limits.GROUP_KEY}


def _components(names: list[Any] | tuple[Any, ...], truncated: dict[str, int]) -> list[Any]:
    """Component names of at most COMPONENT characters each; the cut is recorded.

    How many there are is not capped here: every affected component stays on the incident,
    and messages shorten long lists themselves.
    """
    longest = max((len(name) for name in names if isinstance(name, str)), default=0)
    if longest <= field_limits.COMPONENT:
        return list(names)
    truncated[COMPONENT_NAME] = longest
    cut = [
        field_limits.fit(name, field_limits.COMPONENT) if isinstance(name, str) else name
        for name in names
    ]
    return list(dict.fromkeys(cut))


# --- incidents ----------------------------------------------------------------------------


@dataclass
class IncidentState:
    """What the lifecycle needs to know about one incident, free of any database."""

    service: str
    title: str
    severity: Severity
    phase: Phase
    components: list[str]
    opened_at: datetime
    summary: str = ""
    eta: datetime | None = None
    next_update_at: datetime | None = None
    resolved_at: datetime | None = None
    active_groups: list[str] = field(default_factory=list)
    # audience -> the tag filters it was told under ({} = the whole audience).
    notified_audiences: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    id: int | None = None
    # Contact id of the incident lead (reminders go there).
    lead: str = ""
    # Consecutive passing mail round trips while verifying.
    verify_passes: int = 0
    # The deadline the lead was last reminded of, so each slip is reminded once.
    reminded_for: datetime | None = None
    # Every alert group cleared at this time; resolved once RESOLVE_HOLD_SECONDS pass without
    # one firing again (None: not waiting).
    alerts_clear_since: datetime | None = None
    # Staff retracted it as a mistake: off the public page; never reopened.
    retracted_at: datetime | None = None
    cause_category: CauseCategory = CauseCategory.UNKNOWN
    # When the category was first set to something other than unknown (time to identify).
    cause_identified_at: datetime | None = None
    # In security mode since then (None: not); never left once entered.
    security_since: datetime | None = None


@dataclass(frozen=True)
class UpdateDraft:
    """A communication the lifecycle decided to send; planning turns it into deliveries."""

    kind: UpdateKind
    message: str = ""
    phase: Phase | None = None
    eta: datetime | None = None
    # The ETA in force before this update (None: this is the first, or a reopen cleared it).
    eta_previous: datetime | None = None
    # Staff may name the audiences; otherwise routing decides.
    audiences: tuple[str, ...] | None = None
    actor: str = "system"
    # A new phase (opened, resolved, reopened, or a staff phase change): always worth an SMS.
    phase_change: bool = False
    # Contact ids told directly instead of audiences (a reminder to the lead).
    recipients: tuple[str, ...] | None = None
    # The message was written by staff: every audience's template shows it (partners too).
    staff_text: bool = False
    # The message is staff text meant for everyone: the status page and feed may show it.
    # Only staff actions set it; automatic text is built from alert labels.
    public: bool = False
    # Components staff added to the incident with this update, and those that work again.
    added: tuple[str, ...] = ()
    restored: tuple[str, ...] = ()


# --- contacts -----------------------------------------------------------------------------


class Contact(BaseModel):
    """A person and the channels to reach them, in preference order."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    audience: str
    phone: str | None = None
    slack: str | None = None
    fallback: str | None = None
    # Used once mail works again (the catch-up summary), never as a channel while it is down.
    email: str | None = None
    locale: str = "en"
    channels: tuple[ChannelName, ...] = (ChannelName.SMS, ChannelName.SLACK, ChannelName.FALLBACK)
    # The contact's time zone is kept in `Audience.zones`, not here: an eleventh field would
    # double the size of every contact's __dict__ (CPython's 10-key step), 190 bytes each.
    tags: dict[str, str] = Field(default_factory=dict)

    def address(self, channel: ChannelName) -> str | None:
        """The contact's address on one channel, if it has one."""
        # Called for every route of every recipient a plan streams: no dict built per call.
        if channel == ChannelName.SMS:
            return self.phone
        if channel == ChannelName.SLACK:
            return self.slack
        if channel == ChannelName.FALLBACK:
            return self.fallback
        if channel == ChannelName.WHATSAPP:
            # A separate `whatsapp` number lives in `Audience.whatsapp` (an eleventh field would
            # cost what `timezone` would, see above): `Audience.address` reads it.
            return self.phone
        raise KeyError(channel)


class Broadcast(BaseModel):
    """Audience-wide targets: each receives one message per update."""

    model_config = ConfigDict(frozen=True)

    slack_channels: tuple[str, ...] = ()
    fallback_urls: tuple[str, ...] = ()


class Audience(BaseModel):
    """A named group of contacts, plus its broadcast targets."""

    name: str
    deliver: Literal["first", "all"] = "first"
    broadcast: Broadcast = Field(default_factory=Broadcast)
    # The audience file's `timezone`: for its contacts without a zone of their own, and its
    # broadcasts; None means the organisation's (OUTAGE_NOTIFY_TIMEZONE).
    timezone: str | None = None
    # Contact id -> the IANA zone the contact reads times in: its own `timezone`, else its
    # phone number's (`outage_notify.contacts.zones`); a contact without one is not listed.
    zones: dict[str, str] = Field(default_factory=dict)
    # Contact id -> their `quiet_hours` (`22:00-07:00`, in their zone): no phone call then,
    # unless critical (voice escalation). Kept here for the reason `zones` is.
    quiet_hours: dict[str, str] = Field(default_factory=dict)
    # Contact id -> their own `whatsapp` number (E.164), for those whose WhatsApp is not their
    # phone. Kept here for the reason `zones` is.
    whatsapp: dict[str, str] = Field(default_factory=dict)
    contacts: list[Contact] = Field(default_factory=list)

    def address(self, contact: Contact, channel: ChannelName) -> str | None:
        """A contact's address on one channel: their `whatsapp` number first for WhatsApp."""
        if channel == ChannelName.WHATSAPP:
            return self.whatsapp.get(contact.id) or contact.phone
        return contact.address(channel)


# --- planning and delivery ----------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    channel: ChannelName
    address: str


@dataclass(frozen=True)
class Recipient:
    """Who one delivery goes to: a contact, or a broadcast target, with ordered routes."""

    key: str
    name: str
    audience: str
    locale: str
    routes: tuple[Route, ...]
    kind: Literal["contact", "broadcast"] = "contact"
    # The IANA zone the recipient reads times in; "" means the organisation's.
    timezone: str = ""


@dataclass(frozen=True)
class RenderedMessage:
    """One body for one (audience, channel, locale, time zone) of an update."""

    audience: str
    channel: ChannelName
    locale: str
    body: str
    title: str = ""
    encoding: str = ""
    segments: int = 0
    # The readers' zone, "" for the organisation's; set by planning (`Renderings`).
    timezone: str = ""


@dataclass(frozen=True)
class OutboundMessage:
    """What a channel sends: one body to one address."""

    address: str
    body: str
    title: str = ""
    # Our id for the message (the delivery), for logs; providers never see it.
    reference: str = ""
    # Slack only: an Acknowledge button carrying this value (`delivery:<id>`) and label.
    ack_value: str = ""
    ack_label: str = ""
    # WhatsApp outside the 24-hour window only: the approved Content Template to send instead
    # of `body`, and its variables as Twilio's `ContentVariables` JSON.
    content_sid: str = ""
    content_variables: str = ""
