"""What a staff declaration or update decides, without saving it (pure lifecycle calls with
the service's settings): `actions.staff` saves the decision, `actions.preview` shows what it
would send."""

from __future__ import annotations

from datetime import datetime, timedelta

from outage_notify.config.settings import Settings
from outage_notify.core.models import CauseCategory, IncidentState, Phase, Severity
from outage_notify.incidents import lifecycle, security
from outage_notify.incidents.lifecycle import Decision


def declare_decision(
    settings: Settings,
    *,
    actor: str,
    now: datetime,
    title: str,
    summary: str,
    severity: Severity,
    components: list[str],
    eta: datetime | None,
    service: str,
    lead: str | None,
    cause_category: CauseCategory = CauseCategory.UNKNOWN,
    security_mode: bool = False,
) -> Decision:
    """What declaring decides (pure): `staff.declare` saves it, `actions.preview` shows it."""
    decision = lifecycle.declare(
        title=title,
        summary=summary,
        severity=severity,
        components=components,
        eta=eta,
        actor=actor,
        now=now,
        cadence_minutes=settings.update_cadence_minutes,
        service=service,
    )
    assert decision.incident is not None
    decision.incident.lead = lead or settings.default_lead
    return security.declared(
        decision,
        category=cause_category,
        security=security_mode or cause_category == CauseCategory.SECURITY,
        actor=actor,
        now=now,
    )


def update_decision(
    settings: Settings,
    state: IncidentState,
    *,
    actor: str,
    now: datetime,
    message: str,
    phase: Phase | None = None,
    eta: datetime | None = None,
    audiences: list[str] | None = None,
    announce_eta: bool = False,
    public: bool | None = None,
    components: list[str] | None = None,
) -> Decision:
    """What a staff update decides (pure): `staff.update` saves it, `actions.preview` shows it."""
    return lifecycle.staff_update(
        state,
        message=message,
        phase=phase,
        eta=eta,
        audiences=tuple(audiences) if audiences is not None else None,
        actor=actor,
        now=now,
        cadence_minutes=settings.update_cadence_minutes,
        eta_threshold=timedelta(minutes=settings.eta_change_threshold_minutes),
        announce_eta=announce_eta,
        public=security.staff_public(state, public),
        components=components,
    )
