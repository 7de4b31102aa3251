"""When the incident lead is reminded (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from outage_notify.core.models import IncidentState, Phase, Severity
from outage_notify.incidents.reminders import due_reminder

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def incident(
    *,
    phase: Phase = Phase.FIXING,
    eta: datetime | None = None,
    next_update_at: datetime | None = NOW + timedelta(minutes=20),
) -> IncidentState:
    return IncidentState(
        service="email",
        title="Mail down",
        severity=Severity.MAJOR,
        phase=phase,
        components=["outbound"],
        opened_at=NOW - timedelta(hours=2),
        eta=eta,
        next_update_at=next_update_at,
    )


def test_a_passed_eta_without_an_update_is_reminded_once_in_local_time() -> None:
    eta = NOW - timedelta(minutes=5)
    state = incident(eta=eta)
    reminder = due_reminder(
        state, last_update_at=NOW - timedelta(hours=1), now=NOW, timezone="America/Sao_Paulo"
    )
    assert reminder is not None and reminder.deadline == eta and not reminder.cadence
    assert "08:55" in reminder.text  # 11:55 UTC in São Paulo
    state.reminded_for = eta
    assert (
        due_reminder(state, last_update_at=NOW - timedelta(hours=1), now=NOW, timezone="UTC")
        is None
    )


def test_no_reminder_when_staff_updated_after_the_eta_or_it_is_still_ahead() -> None:
    assert (
        due_reminder(
            incident(eta=NOW - timedelta(minutes=5)),
            last_update_at=NOW - timedelta(minutes=1),
            now=NOW,
            timezone="UTC",
        )
        is None
    )
    assert (
        due_reminder(
            incident(eta=NOW + timedelta(minutes=5)), last_update_at=None, now=NOW, timezone="UTC"
        )
        is None
    )
    assert (
        due_reminder(
            incident(phase=Phase.RESOLVED, eta=NOW - timedelta(hours=1)),
            last_update_at=None,
            now=NOW,
            timezone="UTC",
        )
        is None
    )


def test_a_missed_update_cadence_is_reminded() -> None:
    promised = NOW - timedelta(minutes=1)
    reminder = due_reminder(
        incident(next_update_at=promised), last_update_at=None, now=NOW, timezone="UTC"
    )
    assert reminder is not None and reminder.cadence and reminder.deadline == promised
