"""The resolve hold, as plain calls: an all-clear only starts a wait; a re-fire within it says
nothing; the wait's end resolves once (or starts verifying with mail probes)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from outage_notify.core.models import AlertStatus, IncidentState, Phase, UpdateKind
from outage_notify.incidents import lifecycle, resolve_hold
from tests.test_lifecycle import CADENCE, NOW, alert

HOLD = timedelta(seconds=120)


def applied(
    incident: IncidentState, status: AlertStatus, now: datetime = NOW
) -> lifecycle.Decision:
    """What the worker does with one alert: the lifecycle's decision, then the hold."""
    event = alert(status)
    decision = lifecycle.apply_alert(incident, event, now=now, cadence_minutes=CADENCE)
    return resolve_hold.hold(incident, event, decision, now=now, resolve_hold=HOLD)


def opened() -> IncidentState:
    incident = lifecycle.apply_alert(None, alert(), now=NOW, cadence_minutes=CADENCE).incident
    assert incident is not None
    incident.id = 1
    return incident


def test_the_all_clear_starts_the_hold_and_tells_nobody() -> None:
    decision = applied(opened(), AlertStatus.RESOLVED)
    assert decision.update is None
    assert decision.incident is not None
    assert decision.incident.phase == Phase.DETECTED
    assert decision.incident.alerts_clear_since == NOW
    assert [e.kind for e in decision.timeline] == ["alert", "resolve_hold"]


def test_without_a_hold_the_all_clear_resolves_at_once() -> None:
    decision = lifecycle.apply_alert(
        opened(), alert(AlertStatus.RESOLVED), now=NOW, cadence_minutes=CADENCE
    )
    assert decision.update is not None and decision.update.kind == UpdateKind.RESOLVED


def test_settle_waits_for_the_hold_then_resolves_once() -> None:
    cleared = applied(opened(), AlertStatus.RESOLVED).incident
    assert cleared is not None
    early = NOW + HOLD - timedelta(seconds=1)
    assert resolve_hold.settle(cleared, now=early, resolve_hold=HOLD, verify=False) is None
    done = resolve_hold.settle(cleared, now=NOW + HOLD, resolve_hold=HOLD, verify=False)
    assert done is not None and done.incident is not None
    assert done.update is not None and done.update.kind == UpdateKind.RESOLVED
    assert done.incident.phase == Phase.RESOLVED and done.incident.alerts_clear_since is None
    assert (
        resolve_hold.settle(done.incident, now=NOW + HOLD, resolve_hold=HOLD, verify=False) is None
    )


def test_with_probes_the_end_of_the_hold_starts_verifying() -> None:
    cleared = applied(opened(), AlertStatus.RESOLVED).incident
    assert cleared is not None
    done = resolve_hold.settle(cleared, now=NOW + HOLD, resolve_hold=HOLD, verify=True)
    assert done is not None and done.incident is not None
    assert done.incident.phase == Phase.VERIFYING


@given(
    st.lists(
        st.tuples(st.booleans(), st.integers(min_value=0, max_value=200)), min_size=1, max_size=30
    )
)
def test_signals_tell_nobody_and_only_a_quiet_hold_resolves(flaps: list[tuple[bool, int]]) -> None:
    """Any sequence of firing/resolved signals of one alert sends nothing itself; the incident
    resolves exactly when the alert has stayed resolved for the whole hold."""
    incident = opened()
    now = NOW
    clear_since = None  # the model: when the alert last went from firing to resolved
    for firing, gap in flaps:
        now += timedelta(seconds=gap)
        due = resolve_hold.settle(incident, now=now, resolve_hold=HOLD, verify=False)
        if clear_since is not None and now - clear_since >= HOLD:
            assert due is not None and due.update is not None
            assert due.update.kind == UpdateKind.RESOLVED
            return
        assert due is None
        status = AlertStatus.FIRING if firing else AlertStatus.RESOLVED
        decision = applied(incident, status, now)
        assert decision.update is None
        assert decision.incident is not None
        incident = decision.incident
        clear_since = None if firing else (clear_since or now)
    end = resolve_hold.settle(incident, now=now + HOLD, resolve_hold=HOLD, verify=False)
    assert (end is not None) == (clear_since is not None)


@pytest.mark.parametrize("verify", [False, True])
def test_staff_resolve_during_the_hold_ends_the_wait(verify: bool) -> None:
    cleared = applied(opened(), AlertStatus.RESOLVED).incident
    assert cleared is not None
    done = lifecycle.resolve(cleared, message="fixed", actor="ana", now=NOW)
    assert done.incident is not None and done.incident.alerts_clear_since is None
    later = NOW + HOLD
    assert resolve_hold.settle(done.incident, now=later, resolve_hold=HOLD, verify=verify) is None
