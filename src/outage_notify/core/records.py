"""What the domain reads of stored rows: read-only protocols, and the JSON columns' shapes.

The pure packages (report, status, messages, commands) compute from stored incidents, updates,
deliveries and so on, but must not import the store (SQLAlchemy, sessions). Each row type of
`store.tables` that they read has a protocol here naming its columns as read-only properties;
the row classes satisfy them structurally (mypy checks that), so the store hands its rows over
unchanged and tests may build them directly. The JSON columns whose shape is fixed have a
TypedDict here, used by the table's annotation, so mypy checks every reader of them.

Imports nothing of ours, like the rest of `core`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol, TypedDict


class StoredRoute(TypedDict):
    """One step of a delivery's route (`DeliveryRow.routes`): a channel and its address."""

    # A `ChannelName` value.
    channel: str
    address: str


class UpdateScope(TypedDict, total=False):
    """What staff changed in the affected components with an update (`UpdateRow.scope`)."""

    added: list[str]
    restored: list[str]


class IncidentRecord(Protocol):
    """One outage: phase, severity, components, ETA, who leads it."""

    @property
    def id(self) -> int: ...

    @property
    def service(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def public_title(self) -> str: ...

    @property
    def summary(self) -> str: ...

    @property
    def severity(self) -> str: ...

    @property
    def phase(self) -> str: ...

    @property
    def components(self) -> list[str]: ...

    @property
    def active_groups(self) -> list[str]: ...

    @property
    def notified_audiences(self) -> dict[str, list[dict[str, str]]]: ...

    @property
    def eta(self) -> datetime | None: ...

    @property
    def next_update_at(self) -> datetime | None: ...

    @property
    def opened_at(self) -> datetime: ...

    @property
    def resolved_at(self) -> datetime | None: ...

    @property
    def created_by(self) -> str: ...

    @property
    def lead(self) -> str: ...

    @property
    def root_cause(self) -> str: ...

    @property
    def reminded_for(self) -> datetime | None: ...

    @property
    def verify_passes(self) -> int: ...

    @property
    def alerts_clear_since(self) -> datetime | None: ...

    @property
    def retracted_at(self) -> datetime | None: ...

    @property
    def cause_category(self) -> str: ...

    @property
    def cause_identified_at(self) -> datetime | None: ...

    @property
    def security_since(self) -> datetime | None: ...


class TimelineRecord(Protocol):
    """Everything that happened to an incident, in order, with who did it."""

    @property
    def id(self) -> int: ...

    @property
    def incident_id(self) -> int: ...

    @property
    def at(self) -> datetime: ...

    @property
    def actor(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def text(self) -> str: ...

    @property
    def data(self) -> dict[str, Any]: ...


class PhaseTransitionRecord(Protocol):
    """One change of an incident's phase (the report's phase stretches come from these)."""

    @property
    def id(self) -> int: ...

    @property
    def incident_id(self) -> int: ...

    @property
    def from_phase(self) -> str | None: ...

    @property
    def to_phase(self) -> str: ...

    @property
    def at(self) -> datetime: ...

    @property
    def actor(self) -> str: ...


class UpdateRecord(Protocol):
    """One communication to stakeholders."""

    @property
    def id(self) -> int: ...

    @property
    def incident_id(self) -> int: ...

    @property
    def kind(self) -> str: ...

    @property
    def message(self) -> str: ...

    @property
    def phase(self) -> str: ...

    @property
    def severity(self) -> str: ...

    @property
    def components(self) -> list[str]: ...

    @property
    def eta(self) -> datetime | None: ...

    @property
    def eta_previous(self) -> datetime | None: ...

    @property
    def next_update_at(self) -> datetime | None: ...

    @property
    def audiences(self) -> list[str] | None: ...

    @property
    def created_at(self) -> datetime: ...

    @property
    def created_by(self) -> str: ...

    @property
    def planned_at(self) -> datetime | None: ...

    @property
    def recipients(self) -> list[str] | None: ...

    @property
    def phase_change(self) -> bool: ...

    @property
    def public(self) -> bool: ...

    @property
    def staff_text(self) -> bool: ...

    @property
    def scope(self) -> UpdateScope | None: ...


class DeliveryRecord(Protocol):
    """One update to one recipient; the unique key makes 'one message per update' hold."""

    @property
    def id(self) -> int: ...

    @property
    def update_id(self) -> int: ...

    @property
    def incident_id(self) -> int: ...

    @property
    def audience(self) -> str: ...

    @property
    def recipient_key(self) -> str: ...

    @property
    def recipient_name(self) -> str: ...

    @property
    def recipient_kind(self) -> str: ...

    @property
    def locale(self) -> str: ...

    @property
    def timezone(self) -> str: ...

    @property
    def routes(self) -> list[StoredRoute]: ...

    @property
    def route_index(self) -> int: ...

    @property
    def state(self) -> str: ...

    @property
    def attempts_on_route(self) -> int: ...

    @property
    def next_attempt_at(self) -> datetime | None: ...

    @property
    def route_started_at(self) -> datetime | None: ...

    @property
    def unknown_since(self) -> datetime | None: ...

    @property
    def claimed_at(self) -> datetime | None: ...

    @property
    def claimed_by(self) -> str: ...

    @property
    def channel(self) -> str: ...

    @property
    def provider_id(self) -> str: ...

    @property
    def error(self) -> str: ...

    @property
    def created_at(self) -> datetime: ...

    @property
    def updated_at(self) -> datetime: ...

    @property
    def sent_at(self) -> datetime | None: ...

    @property
    def ack_required(self) -> bool: ...

    @property
    def acked_at(self) -> datetime | None: ...

    @property
    def acked_via(self) -> str: ...

    @property
    def acked_by(self) -> str: ...

    @property
    def renotified_at(self) -> datetime | None: ...

    @property
    def unreached_at(self) -> datetime | None: ...

    @property
    def digest_body(self) -> str: ...


class AttemptRecord(Protocol):
    """One try of one delivery on one channel."""

    @property
    def id(self) -> int: ...

    @property
    def delivery_id(self) -> int: ...

    @property
    def channel(self) -> str: ...

    @property
    def address(self) -> str: ...

    @property
    def started_at(self) -> datetime: ...

    @property
    def finished_at(self) -> datetime | None: ...

    @property
    def outcome(self) -> str: ...

    @property
    def provider_id(self) -> str: ...

    @property
    def error_code(self) -> str: ...

    @property
    def error_text(self) -> str: ...


class EtaRecord(Protocol):
    """Every ETA an incident was given: when, by whom, and for when."""

    @property
    def id(self) -> int: ...

    @property
    def incident_id(self) -> int: ...

    @property
    def eta(self) -> datetime | None: ...

    @property
    def set_at(self) -> datetime: ...

    @property
    def set_by(self) -> str: ...

    @property
    def announced(self) -> bool: ...


class ActionItemRecord(Protocol):
    """A follow-up from the post-incident analysis."""

    @property
    def id(self) -> int: ...

    @property
    def incident_id(self) -> int: ...

    @property
    def text(self) -> str: ...

    @property
    def owner(self) -> str: ...

    @property
    def created_at(self) -> datetime: ...

    @property
    def created_by(self) -> str: ...

    @property
    def status(self) -> str: ...


class ProbeRecord(Protocol):
    """One mail round trip (SMTP send, IMAP receive)."""

    @property
    def id(self) -> int: ...

    @property
    def at(self) -> datetime: ...

    @property
    def ok(self) -> bool: ...

    @property
    def stage(self) -> str: ...

    @property
    def error(self) -> str: ...

    @property
    def smtp_seconds(self) -> float | None: ...

    @property
    def imap_seconds(self) -> float | None: ...

    @property
    def total_seconds(self) -> float: ...

    @property
    def incident_id(self) -> int | None: ...
