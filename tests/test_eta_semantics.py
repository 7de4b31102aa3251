"""ETA as data, and the staff message in every template (issue 14, item 2; reproductions 1, 2).

Before: the users' and partners' `eta_changed` templates left the staff message out; the
first ETA was announced as a change ("New estimate:", "A hora prevista mudou:"); a reopen
repeated an ETA from before the resolution; an ETA in 2020 was accepted and sent.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from outage_notify.core.errors import EtaError, TransitionError
from outage_notify.core.models import (
    AlertEvent,
    AlertStatus,
    ChannelName,
    IncidentState,
    Phase,
    Severity,
    UpdateKind,
)
from outage_notify.incidents import lifecycle
from outage_notify.incidents.eta_rules import MAX_AHEAD
from outage_notify.incidents.reminders import due_reminder
from outage_notify.incidents.verification import RoundTrip, apply_probe
from outage_notify.messages.rendering import IncidentView, MessageContext, Renderer

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
# 13:05 in America/Sao_Paulo.
OPENED_AT = datetime(2025, 11, 27, 16, 5, tzinfo=UTC)
NOW = OPENED_AT + timedelta(minutes=20)
CADENCE = {Severity.CRITICAL: 30, Severity.MAJOR: 60, Severity.MINOR: 120}
# The staff text of the outage (ASCII, so no channel has to shorten it).
STAFF_TEXT = "Cause found. Webmail is also down. Call the hotline for urgent messages."
STAKEHOLDER_KINDS = [
    UpdateKind.OPENED,
    UpdateKind.UPDATE,
    UpdateKind.ETA_CHANGED,
    UpdateKind.RESOLVED,
    UpdateKind.REOPENED,
]
LOCALES = ["en", "pt-BR"]


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(TEMPLATES)


def context(
    kind: UpdateKind,
    audience: str,
    locale: str,
    *,
    eta: datetime | None = OPENED_AT + timedelta(minutes=85),  # 14:30
    eta_first: bool = False,
    eta_previous: datetime | None = None,
    message: str = STAFF_TEXT,
    staff_text: bool = True,
) -> MessageContext:
    """The context of a staff update of `kind`; a resolved incident has no ETA."""
    resolved = kind is UpdateKind.RESOLVED
    incident = IncidentView(
        id=7,
        title="Mail server mx1 not accepting connections",
        summary="",
        severity=Severity.MAJOR,
        phase=Phase.RESOLVED if resolved else Phase.FIXING,
        components=("inbound", "webmail"),
        opened_at=OPENED_AT,
        eta=None if resolved else eta,
        next_update_at=OPENED_AT + timedelta(minutes=50),  # 13:55
        resolved_at=OPENED_AT + timedelta(hours=2) if resolved else None,
    )
    return MessageContext(
        kind=kind,
        audience=audience,
        locale=locale,
        incident=incident,
        message=message,
        alternatives=("Hotline: +1 555 0100",),
        organisation="Example Corp",
        status_page_url="https://status.example.com",
        timezone="America/Sao_Paulo",
        now=NOW,
        eta_first=eta_first,
        eta_previous=eta_previous,
        staff_text=staff_text,
    )


def text(renderer: Renderer, channel: ChannelName, given: MessageContext) -> str:
    message = renderer.render(channel=channel, context=given)
    return f"{message.title}\n{message.body}"


# --- reproduction 1: the staff message is in every stakeholder template ------------------------


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("channel", list(ChannelName))
@pytest.mark.parametrize("audience", ["management", "users", "partners", "default"])
@pytest.mark.parametrize("kind", STAKEHOLDER_KINDS)
def test_every_template_of_a_staff_update_shows_the_staff_message(
    renderer: Renderer, kind: UpdateKind, audience: str, channel: ChannelName, locale: str
) -> None:
    body = renderer.render(channel=channel, context=context(kind, audience, locale)).body
    assert STAFF_TEXT in body, body


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("channel", list(ChannelName))
@pytest.mark.parametrize("kind", STAKEHOLDER_KINDS)
def test_partners_never_get_automatic_text(
    renderer: Renderer, kind: UpdateKind, channel: ChannelName, locale: str
) -> None:
    automatic = context(
        kind, "partners", locale, message="mx1.corp.local refuses", staff_text=False
    )
    assert "mx1.corp.local" not in text(renderer, channel, automatic)


# --- reproduction 2: the first ETA is an estimate, a later one a change ------------------------

CHANGE_WORDS = {
    "en": ("New estimate", "changed", "(was", "previously"),
    "pt-BR": ("mudou", "nova previs", "Nova previs", "antes:", "agora para"),
}


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("channel", list(ChannelName))
@pytest.mark.parametrize("audience", ["management", "users", "partners"])
def test_the_first_eta_is_announced_as_an_estimate_not_a_change(
    renderer: Renderer, audience: str, channel: ChannelName, locale: str
) -> None:
    first = text(
        renderer, channel, context(UpdateKind.ETA_CHANGED, audience, locale, eta_first=True)
    )
    assert "14:30" in first
    for word in CHANGE_WORDS[locale]:
        assert word not in first, first


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("channel", list(ChannelName))
@pytest.mark.parametrize("audience", ["management", "users", "partners"])
def test_a_later_eta_is_a_change_that_names_the_one_it_replaces(
    renderer: Renderer, audience: str, channel: ChannelName, locale: str
) -> None:
    later = context(
        UpdateKind.ETA_CHANGED,
        audience,
        locale,
        eta_first=False,
        eta_previous=OPENED_AT + timedelta(minutes=40),  # 13:45
    )
    body = renderer.render(channel=channel, context=later).body
    assert "14:30" in body and "13:45" in body, body
    assert any(word in body for word in CHANGE_WORDS[locale]), body


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("channel", list(ChannelName))
@pytest.mark.parametrize("audience", ["management", "users", "partners"])
def test_a_reopen_without_an_eta_says_no_new_estimate_and_when_the_next_update_comes(
    renderer: Renderer, audience: str, channel: ChannelName, locale: str
) -> None:
    body = renderer.render(
        channel=channel, context=context(UpdateKind.REOPENED, audience, locale, eta=None)
    ).body
    words = {"en": "no new estimate yet", "pt-BR": "sem nova hora prevista"}[locale]
    assert words in body.lower() and "13:55" in body, body


# --- the lifecycle keeps the ETA as data --------------------------------------------------------


def declared(eta: datetime | None = None) -> IncidentState:
    decision = lifecycle.declare(
        title="Webmail down",
        summary="",
        severity=Severity.MAJOR,
        components=["webmail"],
        eta=eta,
        actor="ana",
        now=NOW,
        cadence_minutes=CADENCE,
    )
    assert decision.incident is not None
    decision.incident.id = 1
    return decision.incident


def update(
    incident: IncidentState, eta: datetime | None, *, now: datetime = NOW
) -> lifecycle.Decision:
    return lifecycle.staff_update(
        incident,
        message="Cause found",
        phase=None,
        eta=eta,
        audiences=None,
        actor="ana",
        now=now,
        cadence_minutes=CADENCE,
    )


def test_the_first_eta_has_no_previous_and_the_next_names_it() -> None:
    first = update(declared(), NOW + timedelta(hours=1))
    assert first.update is not None and first.incident is not None
    assert first.update.kind is UpdateKind.ETA_CHANGED
    assert first.update.eta_previous is None and first.update.staff_text
    second = update(first.incident, NOW + timedelta(hours=2))
    assert second.update is not None
    assert second.update.eta_previous == NOW + timedelta(hours=1)


@pytest.mark.parametrize(
    "eta",
    [
        datetime(2020, 1, 1, 20, 0, tzinfo=UTC),  # the ETA in 2020
        NOW,
        NOW - timedelta(minutes=1),
        NOW + MAX_AHEAD + timedelta(minutes=1),
    ],
)
def test_a_staff_eta_in_the_past_or_too_far_ahead_is_refused_everywhere(eta: datetime) -> None:
    with pytest.raises(EtaError, match="eta"):
        declared(eta)
    with pytest.raises(EtaError, match="eta"):
        update(declared(), eta)
    resolved = lifecycle.resolve(declared(), message="", actor="ana", now=NOW).incident
    assert resolved is not None
    with pytest.raises(EtaError, match="eta"):
        staff_reopen(resolved, message="x", actor="ana", now=NOW, cadence_minutes=CADENCE, eta=eta)


def staff_reopen(incident: IncidentState, **kwargs: Any) -> lifecycle.Decision:
    """The staff reopen as POST /api/v1/incidents/{id}/reopen decides it."""
    return lifecycle.reopen(
        incident,
        reason="reopened by staff",
        groups=[lifecycle.STAFF_GROUP],
        staff_text=True,
        **kwargs,
    )


def test_an_eta_within_the_window_is_accepted() -> None:
    assert update(declared(), NOW + MAX_AHEAD).incident is not None


def test_resolving_closes_the_eta() -> None:
    decision = lifecycle.resolve(
        declared(NOW + timedelta(hours=1)), message="Fixed", actor="ana", now=NOW
    )
    assert decision.incident is not None and decision.incident.eta is None
    assert decision.update is not None and decision.update.eta is None


def _resolved_with_old_eta() -> IncidentState:
    incident = declared(NOW + timedelta(hours=1))
    incident.active_groups = ["g"]
    resolved = lifecycle.mark_resolved(
        copy.deepcopy(incident), message="", actor="monitor", now=NOW, extra=()
    ).incident
    assert resolved is not None
    # As an incident stored before resolving closed the ETA.
    resolved.eta = NOW + timedelta(hours=1)
    return resolved


def test_every_reopen_clears_the_old_eta() -> None:
    resolved = _resolved_with_old_eta()
    alert = AlertEvent(
        source="alertmanager",
        dedup_key="k",
        group_key="g",
        status=AlertStatus.FIRING,
        severity=Severity.MAJOR,
        summary="down",
    )
    by_alert = lifecycle.apply_alert(
        resolved,
        alert,
        now=NOW + timedelta(minutes=2),
        cadence_minutes=CADENCE,
        hold_down=timedelta(minutes=10),
    )
    assert by_alert.update is not None and by_alert.update.kind is UpdateKind.REOPENED
    assert by_alert.incident is not None and by_alert.incident.eta is None

    by_staff = staff_reopen(
        resolved, message="It broke again", actor="ana", now=NOW, cadence_minutes=CADENCE
    )
    assert by_staff.incident is not None and by_staff.incident.eta is None
    assert by_staff.incident.phase is Phase.INVESTIGATING
    assert by_staff.update is not None and by_staff.update.staff_text
    new_eta = NOW + timedelta(hours=3)
    with_eta = staff_reopen(
        resolved, message="x", actor="ana", now=NOW, cadence_minutes=CADENCE, eta=new_eta
    )
    assert with_eta.incident is not None and with_eta.incident.eta == new_eta
    assert with_eta.update is not None and with_eta.update.eta_previous is None

    verifying = replace(declared(NOW + timedelta(hours=1)), phase=Phase.VERIFYING)
    by_probe = apply_probe(
        verifying,
        RoundTrip(ok=False, stage="smtp", error="refused", seconds=1.0),
        consecutive_failures=1,
        failures_to_open=1,
        passes_to_resolve=2,
        now=NOW,
        cadence_minutes=CADENCE,
    )
    assert by_probe.update is not None and by_probe.update.kind is UpdateKind.REOPENED
    assert by_probe.incident is not None and by_probe.incident.eta is None


def test_only_a_resolved_incident_can_be_reopened() -> None:
    with pytest.raises(TransitionError):
        staff_reopen(declared(), message="x", actor="ana", now=NOW, cadence_minutes=CADENCE)


def test_a_reopen_reminds_the_lead_to_set_an_eta_once() -> None:
    reopened = staff_reopen(
        _resolved_with_old_eta(), message="x", actor="ana", now=NOW, cadence_minutes=CADENCE
    ).incident
    assert reopened is not None
    reminder = due_reminder(
        reopened,
        last_update_at=NOW,
        now=NOW + timedelta(minutes=1),
        timezone="UTC",
        last_update_kind=UpdateKind.REOPENED,
    )
    assert reminder is not None and "ETA" in reminder.text and not reminder.cadence
    reopened.reminded_for = reminder.deadline
    again = due_reminder(
        reopened,
        last_update_at=NOW,
        now=NOW + timedelta(minutes=2),
        timezone="UTC",
        last_update_kind=UpdateKind.REOPENED,
    )
    assert again is None
    # With a new ETA given there is nothing to remind.
    with_eta = replace(reopened, eta=NOW + timedelta(hours=1), reminded_for=None)
    assert (
        due_reminder(
            with_eta,
            last_update_at=NOW,
            now=NOW + timedelta(minutes=1),
            timezone="UTC",
            last_update_kind=UpdateKind.REOPENED,
        )
        is None
    )
