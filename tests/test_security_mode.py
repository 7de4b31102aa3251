"""Cause category and security mode, the pure parts (issue 17): what setting a category
decides, who is routed, which template each audience reads, what the public page says."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from outage_notify.contacts.components import ComponentCatalogue
from outage_notify.contacts.directory import load_directory
from outage_notify.core.errors import TransitionError
from outage_notify.core.models import (
    CauseCategory,
    ChannelName,
    IncidentState,
    Phase,
    Severity,
    UpdateKind,
)
from outage_notify.incidents import corrections, security
from outage_notify.messages.planning import plan_audiences
from outage_notify.messages.public_words import PublicWords
from outage_notify.messages.rendering import Renderer
from outage_notify.messages.samples import sample_contexts
from outage_notify.status.page import build_view
from outage_notify.store.tables import IncidentRow

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 3, 10, 17, 2, tzinfo=UTC)
ALERT_TITLE = "Mail server mx1 not accepting connections"


def state(security_since: datetime | None = None) -> IncidentState:
    return IncidentState(
        service="email",
        title=ALERT_TITLE,
        severity=Severity.MAJOR,
        phase=Phase.INVESTIGATING,
        components=["inbound"],
        opened_at=NOW,
        security_since=security_since,
    )


def test_a_category_is_identified_once_and_security_enters_the_mode_for_good() -> None:
    later = NOW + timedelta(minutes=25)
    network = security.categorise(state(), CauseCategory.NETWORK, actor="ana", now=later)
    assert network.incident is not None
    assert network.incident.cause_identified_at == later
    assert network.incident.security_since is None
    assert [e.text for e in network.timeline] == ["cause category unknown → network"]

    again = NOW + timedelta(hours=1)
    breach = security.categorise(network.incident, CauseCategory.SECURITY, actor="ana", now=again)
    assert breach.incident is not None
    # Time to identify counts from the first category, not the last.
    assert breach.incident.cause_identified_at == later
    assert breach.incident.security_since == again
    assert [e.kind for e in breach.timeline] == ["cause_category", "security"]

    corrected = security.categorise(breach.incident, CauseCategory.NETWORK, actor="ana", now=again)
    assert corrected.incident is not None and corrected.incident.security_since == again


def test_in_security_mode_staff_text_is_not_public_by_default_and_retraction_is_refused() -> None:
    calm, breached = state(), state(security_since=NOW)
    assert security.staff_public(calm, None) and not security.staff_public(breached, None)
    assert security.staff_public(breached, True) and not security.staff_public(calm, False)
    corrections.retract(calm, message="A test.", actor="ana", now=NOW)
    with pytest.raises(TransitionError, match="security mode"):
        corrections.retract(breached, message="A test.", actor="ana", now=NOW)


@pytest.mark.parametrize("explicit", [None, ("users",)])
def test_the_security_audience_hears_every_update_only_in_security_mode(
    explicit: tuple[str, ...] | None,
) -> None:
    directory = load_directory(ROOT / "contacts")

    def audiences(in_security: bool) -> set[str]:
        plans = plan_audiences(
            kind=UpdateKind.UPDATE,
            explicit=explicit,
            severity=Severity.MINOR,
            components=["webmail"],
            notified={},
            directory=directory,
            security=in_security,
        )
        return {plan.audience for plan in plans}

    assert "security" not in audiences(False)
    assert "security" in audiences(True)


@pytest.mark.parametrize("locale", ["en", "es", "pt-BR"])
@pytest.mark.parametrize("audience", ["users", "partners", "management"])
def test_every_audience_but_security_reads_the_security_template_without_alert_text(
    locale: str, audience: str
) -> None:
    renderer = Renderer(ROOT / "templates")
    for channel in ChannelName:
        for kind in (UpdateKind.OPENED, UpdateKind.UPDATE, UpdateKind.RESOLVED):
            context = sample_contexts(kind=kind, audience=audience, locale=locale)[0]
            context = replace(context, security=True, staff_text=False, message="alert text")
            tried = renderer.candidates(
                channel=channel, kind=kind, audience=audience, locale=locale, security=True
            )
            assert tried[0].name == f"security.{audience}.j2"
            message = renderer.render(channel=channel, context=context)
            text = message.title + message.body
            assert "mx1" not in text and "alert text" not in text, text
            assert "receiving email" not in text and "webmail" not in text.lower(), text
    security_reads = renderer.candidates(
        channel=ChannelName.SMS, kind=UpdateKind.UPDATE, audience="security", locale=locale,
        security=True,
    )  # fmt: skip
    assert security_reads[0].name == "update.security.j2"


def test_the_status_page_is_neutral_in_security_mode() -> None:
    row = IncidentRow(
        id=7,
        service="email",
        title=ALERT_TITLE,
        public_title="",
        summary="",
        severity="major",
        phase="investigating",
        components=["inbound", "webmail"],
        opened_at=NOW,
        security_since=NOW,
    )
    words = PublicWords.load(ROOT / "templates")
    catalogue = load_directory(ROOT / "contacts").components
    assert isinstance(catalogue, ComponentCatalogue)
    view = build_view(
        open_incidents=[row],
        updates=[],
        resolved=[],
        organisation="Example Corp",
        alternatives=[],
        locale="pt-BR",
        now=NOW,
        words=words,
        catalogue=catalogue,
    )
    assert view.current is not None
    assert view.current.title == "O e-mail está indisponível enquanto investigamos"
    assert view.current.components == []
    assert "mx1" not in view.model_dump_json()
