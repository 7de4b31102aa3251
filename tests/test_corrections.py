"""Corrections in the pure core: reopen, retract, scope changes and edits (issue 14, item 6)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from outage_notify.contacts.components import load_catalogue
from outage_notify.contacts.directory import load_directory
from outage_notify.core.errors import TransitionError
from outage_notify.core.models import (
    AlertEvent,
    AlertStatus,
    ChannelName,
    IncidentState,
    Phase,
    Severity,
    UpdateKind,
)
from outage_notify.incidents import corrections, lifecycle
from outage_notify.messages.planning import plan_audiences
from outage_notify.messages.rendering import IncidentView, MessageContext, Renderer

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
CADENCE = {Severity.CRITICAL: 30, Severity.MAJOR: 60, Severity.MINOR: 120}


def declared(components: tuple[str, ...] = ("inbound",)) -> IncidentState:
    decision = lifecycle.declare(
        title="Inbound mail stuck",
        summary="",
        severity=Severity.MAJOR,
        components=list(components),
        eta=None,
        actor="ana",
        now=NOW,
        cadence_minutes=CADENCE,
    )
    assert decision.incident is not None
    decision.incident.id = 7
    decision.incident.notified_audiences = {"management": [{}], "users": [{}]}
    return decision.incident


def resolved() -> IncidentState:
    done = lifecycle.resolve(declared(), message="fixed", actor="ana", now=NOW)
    assert done.incident is not None
    return done.incident


def test_an_update_to_a_resolved_incident_says_to_use_the_reopen_endpoint() -> None:
    with pytest.raises(TransitionError, match=r"POST /api/v1/incidents/7/reopen"):
        lifecycle.staff_update(
            resolved(), message="still broken", phase=None, eta=None, audiences=None,
            actor="ana", now=NOW, cadence_minutes=CADENCE,
        )  # fmt: skip


def test_staff_reopen_goes_back_to_investigating_and_stays_open_until_staff_resolve() -> None:
    later = NOW + timedelta(minutes=20)
    decision = lifecycle.reopen(
        resolved(), actor="ana", reason="reopened by staff: bounces again", now=later,
        cadence_minutes=CADENCE, groups=[lifecycle.STAFF_GROUP], message="Bounces again.",
        public=True,
    )  # fmt: skip

    assert decision.incident is not None and decision.update is not None
    assert decision.incident.phase == Phase.INVESTIGATING
    assert decision.incident.resolved_at is None
    assert decision.incident.active_groups == [lifecycle.STAFF_GROUP]
    assert decision.incident.next_update_at == later + timedelta(minutes=60)
    assert decision.update.kind == UpdateKind.REOPENED and decision.update.phase_change
    assert decision.update.message == "Bounces again." and decision.update.public
    # The phase is data on the timeline: a reason with a colon cannot be misread.
    assert decision.timeline[-1].data == {"from": "resolved", "to": "investigating"}


def test_only_a_resolved_incident_is_reopened() -> None:
    with pytest.raises(TransitionError, match="only a resolved incident"):
        lifecycle.reopen(
            declared(), actor="ana", reason="x", now=NOW, cadence_minutes=CADENCE, groups=[]
        )


def test_a_retraction_closes_the_incident_and_tells_those_told_to_disregard() -> None:
    later = NOW + timedelta(minutes=5)
    decision = corrections.retract(declared(), message="Test alert.", actor="ana", now=later)

    assert decision.incident is not None and decision.update is not None
    assert decision.incident.retracted_at == later
    assert decision.incident.phase == Phase.RESOLVED and decision.incident.resolved_at == later
    assert decision.incident.next_update_at is None and decision.incident.active_groups == []
    assert decision.update.kind == UpdateKind.RETRACTED and not decision.update.public
    assert decision.timeline[0].data["retracted"] is True


def test_a_retracted_incident_takes_no_update_no_reopen_and_no_second_retraction() -> None:
    gone = corrections.retract(declared(), message="Test.", actor="ana", now=NOW).incident
    assert gone is not None
    with pytest.raises(TransitionError, match="retracted"):
        lifecycle.staff_update(
            gone, message="x", phase=None, eta=None, audiences=None, actor="ana", now=NOW,
            cadence_minutes=CADENCE,
        )  # fmt: skip
    with pytest.raises(TransitionError, match="declare a new incident"):
        lifecycle.reopen(gone, actor="ana", reason="x", now=NOW, cadence_minutes=CADENCE, groups=[])
    with pytest.raises(TransitionError, match="already retracted"):
        corrections.retract(gone, message="again", actor="ana", now=NOW)


def test_an_alert_after_a_retraction_opens_a_new_incident_not_a_reopen() -> None:
    gone = corrections.retract(declared(), message="Test.", actor="ana", now=NOW).incident
    event = AlertEvent(
        source="alertmanager", dedup_key="d", group_key="g", status=AlertStatus.FIRING,
        severity=Severity.MAJOR, summary="Inbound down", components=("inbound",),
    )  # fmt: skip
    decision = lifecycle.apply_alert(
        gone, event, now=NOW + timedelta(minutes=1), cadence_minutes=CADENCE,
        hold_down=timedelta(minutes=30),
    )  # fmt: skip
    assert decision.update is not None and decision.update.kind == UpdateKind.OPENED
    assert decision.incident is not None and decision.incident.id is None


def test_an_update_with_components_says_what_is_now_affected_and_what_works_again() -> None:
    decision = lifecycle.staff_update(
        declared(("inbound", "calendar")), message="Webmail too.", phase=None, eta=None,
        audiences=None, actor="ana", now=NOW, cadence_minutes=CADENCE,
        components=["inbound", "webmail"],
    )  # fmt: skip
    assert decision.incident is not None and decision.update is not None
    assert decision.incident.components == ["inbound", "webmail"]
    assert decision.update.added == ("webmail",) and decision.update.restored == ("calendar",)
    assert decision.timeline[-1].data == {"added": ["webmail"], "restored": ["calendar"]}


def test_an_edit_corrects_the_record_and_tells_nobody() -> None:
    decision = corrections.edit(
        declared(), title="Inbound mail delayed", severity=Severity.CRITICAL,
        components=["inbound", "outbound"], actor="ana",
    )  # fmt: skip
    assert decision.incident is not None and decision.update is None
    assert decision.incident.title == "Inbound mail delayed"
    assert decision.incident.severity == Severity.CRITICAL
    assert decision.incident.components == ["inbound", "outbound"]
    assert [entry.kind for entry in decision.timeline] == ["edit", "edit", "components"]
    assert decision.timeline[0].data == {"was": "Inbound mail stuck"}


@pytest.mark.parametrize("kind", [UpdateKind.RETRACTED, UpdateKind.RESOLVED])
def test_a_retraction_goes_only_to_the_audiences_that_were_told(kind: UpdateKind) -> None:
    # Partners would be selected by routing for inbound; they were never told.
    plans = plan_audiences(
        kind=kind, explicit=None, severity=Severity.CRITICAL, components=["inbound"],
        notified={"management": [{}]}, directory=load_directory(ROOT / "contacts"),
    )  # fmt: skip
    assert [(plan.audience, plan.kind) for plan in plans] == [("management", kind)]


# --- what readers get --------------------------------------------------------------------

RENDERER = Renderer(
    ROOT / "templates", components=load_catalogue(ROOT / "contacts" / "components.yaml")
)
OPENED_AT = datetime(2025, 11, 27, 16, 2, tzinfo=UTC)  # 13:02 in São Paulo


def render(kind: UpdateKind, audience: str, locale: str, channel: ChannelName, **view: Any) -> str:
    incident = IncidentView(
        id=7, title="mx1 down", summary="", severity=Severity.MAJOR,
        phase=Phase.RESOLVED if kind is UpdateKind.RETRACTED else Phase.INVESTIGATING,
        components=("inbound", "webmail"), opened_at=OPENED_AT,
        next_update_at=OPENED_AT + timedelta(hours=1), **view,
    )  # fmt: skip
    context = MessageContext(
        kind=kind, audience=audience, locale=locale, incident=incident,
        message="Sorry, a test alert.", alternatives=("Call +55 11 4000-1234",),
        organisation="Example", status_page_url="", timezone="America/Sao_Paulo",
        now=OPENED_AT + timedelta(minutes=30),
    )  # fmt: skip
    message = RENDERER.render(channel=channel, context=context)
    return f"{message.title}\n{message.body}"


@pytest.mark.parametrize(
    ("locale", "words"),
    [
        ("en", "Now also affected: webmail. Calendar works again."),
        ("pt-BR", "Agora também com problema: webmail. Agenda voltou a funcionar."),
    ],
)
@pytest.mark.parametrize("channel", list(ChannelName))
@pytest.mark.parametrize("audience", ["users", "management"])
def test_an_update_names_the_change_of_scope(
    locale: str, words: str, channel: ChannelName, audience: str
) -> None:
    text = render(
        UpdateKind.UPDATE, audience, locale, channel, added=("webmail",), restored=("calendar",)
    )
    assert words in text
    plain = render(UpdateKind.UPDATE, audience, locale, channel)
    assert words.split(":")[0] not in plain


@pytest.mark.parametrize(
    ("locale", "words"), [("en", "disregard our message"), ("pt-BR", "desconsidere")]
)
@pytest.mark.parametrize("channel", list(ChannelName))
@pytest.mark.parametrize("audience", ["users", "management", "partners", "default"])
def test_a_retraction_asks_to_disregard_the_message_of_its_time(
    locale: str, words: str, channel: ChannelName, audience: str
) -> None:
    text = render(UpdateKind.RETRACTED, audience, locale, channel)
    assert words in text or words.capitalize() in text
    assert "13:02" in text
    # Staff's reason reaches everyone but partners, who get formal words only.
    assert ("Sorry, a test alert." in text) == (audience != "partners")
