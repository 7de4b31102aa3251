"""Mail round trips and the incident (pure): detect, hold, verify, resolve, fix did not hold."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from outage_notify.core.models import (
    AlertEvent,
    AlertStatus,
    IncidentState,
    Phase,
    Severity,
    UpdateKind,
)
from outage_notify.incidents import lifecycle
from outage_notify.incidents.verification import PROBE_GROUP, RoundTrip, apply_probe

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
CADENCE = {Severity.CRITICAL: 30, Severity.MAJOR: 60, Severity.MINOR: 120}
PASS = RoundTrip(ok=True, stage="done", seconds=2.1)
FAIL_SEND = RoundTrip(ok=False, stage="connect", error="connection refused")
FAIL_RECEIVE = RoundTrip(ok=False, stage="imap_search", error="message did not arrive in 60 s")


def probe(
    incident: IncidentState | None, result: RoundTrip, failures: int = 0
) -> lifecycle.Decision:
    return apply_probe(
        incident,
        result,
        consecutive_failures=failures,
        failures_to_open=3,
        passes_to_resolve=3,
        now=NOW,
        cadence_minutes=CADENCE,
    )


def verifying_incident() -> IncidentState:
    alert = AlertEvent(
        source="alertmanager",
        dedup_key="k",
        group_key="g",
        status=AlertStatus.FIRING,
        severity=Severity.CRITICAL,
        summary="Mail down",
        components=("outbound",),
    )
    opened = lifecycle.apply_alert(None, alert, now=NOW, cadence_minutes=CADENCE).incident
    cleared = lifecycle.apply_alert(
        opened,
        alert.model_copy(update={"status": AlertStatus.RESOLVED}),
        now=NOW,
        cadence_minutes=CADENCE,
        verify=True,
    )
    assert cleared.incident is not None and cleared.incident.phase == Phase.VERIFYING
    # Stakeholders hear that a fix is being verified, not that it is resolved.
    assert cleared.update is not None and cleared.update.kind == UpdateKind.UPDATE
    return cleared.incident


@pytest.mark.parametrize(
    ("result", "failures", "opens", "components"),
    [
        (FAIL_SEND, 2, False, None),
        (FAIL_SEND, 3, True, ["outbound"]),
        (FAIL_RECEIVE, 3, True, ["inbound"]),
        (PASS, 0, False, None),
    ],
)
def test_consecutive_failures_open_an_incident(
    result: RoundTrip, failures: int, opens: bool, components: list[str] | None
) -> None:
    decision = probe(None, result, failures)
    assert (decision.incident is not None) == opens
    if opens:
        assert decision.incident is not None and decision.update is not None
        assert decision.incident.components == components
        assert decision.incident.active_groups == [PROBE_GROUP]
        assert decision.update.kind == UpdateKind.OPENED


def test_three_passes_while_verifying_resolve() -> None:
    state = verifying_incident()
    for expected_passes in (1, 2):
        decision = probe(state, PASS)
        assert decision.update is None and decision.incident is not None
        assert decision.incident.verify_passes == expected_passes
        state = decision.incident
    resolved = probe(state, PASS)
    assert resolved.incident is not None and resolved.incident.phase == Phase.RESOLVED
    assert resolved.update is not None and resolved.update.kind == UpdateKind.RESOLVED


def test_a_failure_while_verifying_reopens_with_fix_did_not_hold() -> None:
    state = probe(verifying_incident(), PASS).incident
    decision = probe(state, FAIL_RECEIVE)
    assert decision.incident is not None and decision.incident.phase == Phase.INVESTIGATING
    assert decision.incident.verify_passes == 0
    assert decision.update is not None and decision.update.kind == UpdateKind.REOPENED
    assert "did not hold" in decision.update.message
    # Once mail flows again the count starts over, silently, and three passes resolve.
    state = decision.incident
    for _ in range(2):
        step = probe(state, PASS)
        assert step.update is None and step.incident is not None
        assert step.incident.phase == Phase.VERIFYING
        state = step.incident
    resolved = probe(state, PASS).incident
    assert resolved is not None and resolved.phase == Phase.RESOLVED


def test_passes_do_not_verify_while_monitoring_still_fires() -> None:
    alert = AlertEvent(
        source="alertmanager",
        dedup_key="k",
        group_key="g",
        status=AlertStatus.FIRING,
        severity=Severity.CRITICAL,
        summary="Mail down",
    )
    opened = lifecycle.apply_alert(None, alert, now=NOW, cadence_minutes=CADENCE).incident
    decision = probe(opened, PASS)
    assert decision.incident is not None and decision.incident.phase == Phase.DETECTED
    assert decision.update is None


def test_staff_resolution_before_verification_needs_a_reason() -> None:
    state = verifying_incident()
    with pytest.raises(lifecycle.TransitionError, match="override_reason"):
        lifecycle.resolve(state, message="", actor="staff", now=NOW, passes_required=3)
    decision = lifecycle.resolve(
        state,
        message="",
        actor="staff",
        now=NOW,
        passes_required=3,
        override_reason="users confirm mail works; probe mailbox is down",
    )
    assert decision.incident is not None and decision.incident.phase == Phase.RESOLVED
    assert any(e.kind == "override" for e in decision.timeline)
