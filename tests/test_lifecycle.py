"""The incident lifecycle, as plain calls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from outage_notify.contacts.components import ComponentCatalogue, ComponentEntry
from outage_notify.core.errors import TransitionError
from outage_notify.core.models import AlertEvent, AlertStatus, Phase, Severity, UpdateKind
from outage_notify.incidents import lifecycle

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
CADENCE = {Severity.CRITICAL: 30, Severity.MAJOR: 60, Severity.MINOR: 120}


def alert(
    status: AlertStatus = AlertStatus.FIRING,
    *,
    group: str = "g1",
    severity: Severity = Severity.MAJOR,
    components: tuple[str, ...] = ("outbound",),
) -> AlertEvent:
    return AlertEvent(
        source="alertmanager",
        dedup_key=f"{group}-{status}-{severity}-{components}",
        group_key=group,
        status=status,
        severity=severity,
        summary="Outbound mail down",
        components=components,
    )


def test_first_firing_alert_opens_a_detected_incident_with_next_update_promise() -> None:
    decision = lifecycle.apply_alert(
        None, alert(severity=Severity.CRITICAL), now=NOW, cadence_minutes=CADENCE
    )
    assert decision.incident is not None
    assert decision.incident.phase == Phase.DETECTED
    assert decision.incident.next_update_at == NOW + timedelta(minutes=30)
    assert decision.update is not None and decision.update.kind == UpdateKind.OPENED
    assert [e.kind for e in decision.timeline] == ["alert", "transition"]


def test_resolution_of_an_unknown_incident_tells_nobody() -> None:
    decision = lifecycle.apply_alert(
        None, alert(AlertStatus.RESOLVED), now=NOW, cadence_minutes=CADENCE
    )
    assert decision.incident is None and decision.update is None


def test_repeat_alert_records_but_sends_nothing() -> None:
    opened = lifecycle.apply_alert(None, alert(), now=NOW, cadence_minutes=CADENCE).incident
    again = lifecycle.apply_alert(opened, alert(), now=NOW, cadence_minutes=CADENCE)
    assert again.update is None
    assert [e.kind for e in again.timeline] == ["alert"]


@pytest.mark.parametrize(
    ("severity", "components", "expect_update", "expected_severity", "expected_components"),
    [
        (Severity.MINOR, ("outbound",), False, Severity.MAJOR, ["outbound"]),
        (Severity.CRITICAL, ("outbound",), True, Severity.CRITICAL, ["outbound"]),
        (Severity.MINOR, ("inbound",), True, Severity.MAJOR, ["inbound", "outbound"]),
    ],
)
def test_second_group_unions_components_and_keeps_highest_severity(
    severity: Severity,
    components: tuple[str, ...],
    expect_update: bool,
    expected_severity: Severity,
    expected_components: list[str],
) -> None:
    opened = lifecycle.apply_alert(None, alert(), now=NOW, cadence_minutes=CADENCE).incident
    decision = lifecycle.apply_alert(
        opened,
        alert(group="g2", severity=severity, components=components),
        now=NOW,
        cadence_minutes=CADENCE,
    )
    assert decision.incident is not None
    assert decision.incident.severity == expected_severity
    assert decision.incident.components == expected_components
    assert (decision.update is not None) == expect_update
    assert decision.incident.active_groups == ["g1", "g2"]
    # The input state is not modified: the lifecycle is pure.
    assert opened is not None and opened.active_groups == ["g1"]


def test_an_unknown_component_label_is_not_named_in_the_automatic_update() -> None:
    # Users read the update's text; the label may be a host name. The timeline keeps it.
    opened = lifecycle.apply_alert(None, alert(), now=NOW, cadence_minutes=CADENCE).incident
    decision = lifecycle.apply_alert(
        opened,
        alert(group="g2", components=("inbound", "db-primary-10.0.0.7")),
        now=NOW,
        cadence_minutes=CADENCE,
        # Only what the components catalogue lists is named.
        catalogue=ComponentCatalogue(
            components={"inbound": ComponentEntry(names={"en": "receiving email"})}
        ),
    )
    assert decision.update is not None
    # No English text: the templates word the scope per reader, the unlisted label left out.
    assert decision.update.message == ""
    assert decision.update.added == ("inbound",)
    assert not decision.update.public
    assert decision.incident is not None and "db-primary-10.0.0.7" in decision.incident.components
    assert decision.timeline[0].data["components"] == ["inbound", "db-primary-10.0.0.7"]


def test_staff_text_is_public_unless_staff_narrow_it() -> None:
    state = lifecycle.apply_alert(None, alert(), now=NOW, cadence_minutes=CADENCE).incident
    assert state is not None

    def public(*, public: bool = True, audiences: tuple[str, ...] | None = None) -> bool:
        decision = lifecycle.staff_update(
            state,
            message="Moving the queue",
            phase=None,
            eta=None,
            audiences=audiences,
            actor="alice",
            now=NOW,
            cadence_minutes=CADENCE,
            public=public,
        )
        return decision.update is not None and decision.update.public

    assert public() and not public(public=False) and not public(audiences=("management",))
    resolved = lifecycle.resolve(state, message="Fixed", actor="alice", now=NOW)
    assert resolved.update is not None and resolved.update.public


def test_incident_resolves_only_when_every_group_has_resolved() -> None:
    state = lifecycle.apply_alert(None, alert(), now=NOW, cadence_minutes=CADENCE).incident
    state = lifecycle.apply_alert(
        state, alert(group="g2"), now=NOW, cadence_minutes=CADENCE
    ).incident
    half = lifecycle.apply_alert(
        state, alert(AlertStatus.RESOLVED), now=NOW, cadence_minutes=CADENCE
    )
    assert (
        half.update is None and half.incident is not None and half.incident.phase == Phase.DETECTED
    )
    done = lifecycle.apply_alert(
        half.incident, alert(AlertStatus.RESOLVED, group="g2"), now=NOW, cadence_minutes=CADENCE
    )
    assert done.incident is not None and done.incident.phase == Phase.RESOLVED
    assert done.incident.resolved_at == NOW
    assert done.update is not None and done.update.kind == UpdateKind.RESOLVED


def test_staff_update_with_new_eta_is_eta_changed_and_same_eta_is_plain_update() -> None:
    state = lifecycle.declare(
        title="Mail down",
        summary="",
        severity=Severity.MAJOR,
        components=["webmail"],
        eta=None,
        actor="staff-1",
        now=NOW,
        cadence_minutes=CADENCE,
    ).incident
    assert state is not None and state.phase == Phase.INVESTIGATING
    eta = NOW + timedelta(hours=2)
    changed = lifecycle.staff_update(
        state,
        message="Disk replaced",
        phase=Phase.FIXING,
        eta=eta,
        audiences=None,
        actor="staff-1",
        now=NOW,
        cadence_minutes=CADENCE,
    )
    assert changed.update is not None and changed.update.kind == UpdateKind.ETA_CHANGED
    assert changed.incident is not None and changed.incident.eta == eta
    same = lifecycle.staff_update(
        changed.incident,
        message="Still copying",
        phase=None,
        eta=eta,
        audiences=None,
        actor="staff-1",
        now=NOW,
        cadence_minutes=CADENCE,
    )
    assert same.update is not None and same.update.kind == UpdateKind.UPDATE


@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        (Phase.DETECTED, Phase.INVESTIGATING, True),
        (Phase.INVESTIGATING, Phase.FIXING, True),
        (Phase.VERIFYING, Phase.INVESTIGATING, True),
        (Phase.VERIFYING, Phase.IDENTIFIED, False),
        (Phase.RESOLVED, Phase.FIXING, False),
        (Phase.RESOLVED, Phase.INVESTIGATING, True),
        (Phase.FIXING, Phase.DETECTED, False),
    ],
)
def test_transitions(current: Phase, target: Phase, allowed: bool) -> None:
    if allowed:
        lifecycle.check_transition(current, target)
    else:
        with pytest.raises(TransitionError):
            lifecycle.check_transition(current, target)


def test_resolving_twice_is_refused() -> None:
    state = lifecycle.declare(
        title="Mail down",
        summary="",
        severity=Severity.MAJOR,
        components=[],
        eta=None,
        actor="s",
        now=NOW,
        cadence_minutes=CADENCE,
    ).incident
    assert state is not None
    resolved = lifecycle.resolve(state, message="", actor="s", now=NOW).incident
    assert resolved is not None
    with pytest.raises(TransitionError):
        lifecycle.resolve(resolved, message="", actor="s", now=NOW)
    with pytest.raises(TransitionError):
        lifecycle.staff_update(
            resolved,
            message="x",
            phase=None,
            eta=None,
            audiences=None,
            actor="s",
            now=NOW,
            cadence_minutes=CADENCE,
        )


def test_a_staff_declared_incident_is_not_resolved_by_an_alert_that_joined_it() -> None:
    declared = lifecycle.declare(
        title="Users report no mail",
        summary="",
        severity=Severity.MAJOR,
        components=["inbound"],
        eta=None,
        actor="staff-1",
        now=NOW,
        cadence_minutes=CADENCE,
    ).incident
    joined = lifecycle.apply_alert(declared, alert(), now=NOW, cadence_minutes=CADENCE).incident
    cleared = lifecycle.apply_alert(
        joined, alert(AlertStatus.RESOLVED), now=NOW, cadence_minutes=CADENCE
    )
    assert cleared.update is None
    assert cleared.incident is not None and cleared.incident.phase == Phase.INVESTIGATING
    resolved = lifecycle.resolve(cleared.incident, message="", actor="staff-1", now=NOW)
    assert resolved.incident is not None and resolved.incident.phase == Phase.RESOLVED


def test_refire_inside_the_hold_down_reopens_and_outside_opens_anew() -> None:
    state = lifecycle.apply_alert(None, alert(), now=NOW, cadence_minutes=CADENCE).incident
    state = lifecycle.apply_alert(
        state, alert(AlertStatus.RESOLVED), now=NOW, cadence_minutes=CADENCE
    ).incident
    assert state is not None and state.phase == Phase.RESOLVED
    state.id = 41
    hold = timedelta(minutes=30)
    inside = lifecycle.apply_alert(
        state,
        alert(group="g9"),
        now=NOW + timedelta(minutes=10),
        cadence_minutes=CADENCE,
        hold_down=hold,
    )
    assert inside.incident is not None and inside.incident.id == 41
    assert inside.incident.phase == Phase.INVESTIGATING and inside.incident.resolved_at is None
    assert inside.update is not None and inside.update.kind == UpdateKind.REOPENED
    outside = lifecycle.apply_alert(
        state,
        alert(group="g9"),
        now=NOW + timedelta(minutes=31),
        cadence_minutes=CADENCE,
        hold_down=hold,
    )
    assert outside.incident is not None and outside.incident.id is None
    assert outside.update is not None and outside.update.kind == UpdateKind.OPENED


@pytest.mark.parametrize(
    ("moved_minutes", "announce", "kind"),
    [
        (5, False, UpdateKind.UPDATE),
        (5, True, UpdateKind.ETA_CHANGED),
        (25, False, UpdateKind.ETA_CHANGED),
    ],
)
def test_small_eta_moves_are_not_announced_unless_asked(
    moved_minutes: int, announce: bool, kind: UpdateKind
) -> None:
    eta = NOW + timedelta(hours=1)
    state = lifecycle.declare(
        title="Mail down",
        summary="",
        severity=Severity.MAJOR,
        components=[],
        eta=eta,
        actor="s",
        now=NOW,
        cadence_minutes=CADENCE,
    ).incident
    assert state is not None
    decision = lifecycle.staff_update(
        state,
        message="progress",
        phase=None,
        eta=eta + timedelta(minutes=moved_minutes),
        audiences=None,
        actor="s",
        now=NOW,
        cadence_minutes=CADENCE,
        eta_threshold=timedelta(minutes=10),
        announce_eta=announce,
    )
    assert decision.update is not None and decision.update.kind == kind
    assert decision.incident is not None and decision.incident.eta == eta + timedelta(
        minutes=moved_minutes
    )
