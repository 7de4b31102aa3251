"""What a staff declaration or update decides, without saving it (pure lifecycle calls with
the service's settings): `actions.staff` saves the decision, `actions.preview` shows what it
would send.

`Declaration` and `StaffChange` hold what staff asked for, once: the API, the console and the
commands build one and hand it through, so the declare and update fields are listed here
rather than in every layer that passes them on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from outage_notify.config.settings import Settings
from outage_notify.core.models import CauseCategory, IncidentState, Phase, Severity
from outage_notify.incidents import lifecycle, security
from outage_notify.incidents.lifecycle import Decision


@dataclass(frozen=True)
class Declaration:
    """What staff declare: the new incident's fields."""

    title: str
    summary: str = ""
    severity: Severity = Severity.MAJOR
    components: list[str] = field(default_factory=list)
    eta: datetime | None = None
    service: str = "email"
    # A contact id; None means the configured default lead.
    lead: str | None = None
    cause_category: CauseCategory = CauseCategory.UNKNOWN
    security_mode: bool = False


@dataclass(frozen=True)
class StaffChange:
    """What a staff update asks for: the message and what it changes."""

    message: str
    phase: Phase | None = None
    eta: datetime | None = None
    # Only these audiences; None lets routing decide.
    audiences: list[str] | None = None
    announce_eta: bool = False
    # None: public, except in security mode.
    public: bool | None = None
    # The affected components from now on; None leaves them as they are.
    components: list[str] | None = None


def declare_decision(
    settings: Settings, declaration: Declaration, *, actor: str, now: datetime
) -> Decision:
    """What declaring decides (pure): `staff.declare` saves it, `actions.preview` shows it."""
    decision = lifecycle.declare(
        title=declaration.title,
        summary=declaration.summary,
        severity=declaration.severity,
        components=list(declaration.components),
        eta=declaration.eta,
        actor=actor,
        now=now,
        cadence_minutes=settings.update_cadence_minutes,
        service=declaration.service,
    )
    assert decision.incident is not None
    decision.incident.lead = declaration.lead or settings.default_lead
    category = declaration.cause_category
    return security.declared(
        decision,
        category=category,
        security=declaration.security_mode or category == CauseCategory.SECURITY,
        actor=actor,
        now=now,
    )


def update_decision(
    settings: Settings, state: IncidentState, change: StaffChange, *, actor: str, now: datetime
) -> Decision:
    """What a staff update decides (pure): `staff.update` saves it, `actions.preview` shows it."""
    return lifecycle.staff_update(
        state,
        message=change.message,
        phase=change.phase,
        eta=change.eta,
        audiences=tuple(change.audiences) if change.audiences is not None else None,
        actor=actor,
        now=now,
        cadence_minutes=settings.update_cadence_minutes,
        eta_threshold=timedelta(minutes=settings.eta_change_threshold_minutes),
        announce_eta=change.announce_eta,
        public=security.staff_public(state, change.public),
        components=change.components,
    )
