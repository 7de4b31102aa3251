"""Sample inputs for rendering templates without an incident: the template check and previews.

Typical, sparse and bare: what a template must render well, and what it must survive.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from outage_notify.core.models import MAINTENANCE_KINDS, Phase, Severity, UpdateKind
from outage_notify.messages.rendering import IncidentView, MessageContext


def sample_contexts(*, kind: UpdateKind, audience: str, locale: str) -> list[MessageContext]:
    """Typical, sparse and bare inputs for one kind, as check() and previews use them."""
    opened = datetime(2025, 11, 27, 16, 5, tzinfo=UTC)
    resolved = opened + timedelta(hours=2) if kind is UpdateKind.RESOLVED else None
    incident = IncidentView(
        id=1, title="Mail server mx1 not accepting connections", summary="SMTP and IMAP down",
        severity=Severity.MAJOR, phase=Phase.RESOLVED if resolved else Phase.FIXING,
        components=("inbound", "webmail"), opened_at=opened,
        eta=opened + timedelta(hours=1, minutes=25), resolved_at=resolved,
    )  # fmt: skip
    typical = MessageContext(
        kind=kind, audience=audience, locale=locale, incident=incident,
        message="Storage array failed; moving mailboxes to the standby server.",
        alternatives=("Call the helpdesk: +1 555 0100", "Slack: #it-help or @it-oncall"),
        organisation="Example Corp", status_page_url="https://status.example.com",
        timezone="America/Sao_Paulo", now=opened + timedelta(minutes=20),
        # A staff update, the longest case: partners show staff text too.
        staff_text=True, eta_previous=opened + timedelta(hours=1),
    )  # fmt: skip
    sparse_incident = replace(
        incident, eta=None, next_update_at=opened + timedelta(minutes=50),
        severity=Severity.CRITICAL, components=("mobile_sync", "x-unknown-part"),
    )  # fmt: skip
    sparse = replace(typical, incident=sparse_incident, message="", status_page_url="",
                     alternatives=("x",))  # fmt: skip
    bare_incident = replace(incident, eta=None, next_update_at=None, components=())
    if kind in MAINTENANCE_KINDS:
        # A window always has a start (the next update's place) and an end (the ETA's).
        start, end = opened + timedelta(days=1), opened + timedelta(days=1, hours=2)
        sparse_incident = replace(sparse_incident, next_update_at=start, eta=end)
        sparse = replace(sparse, incident=sparse_incident, eta_previous=None)
        bare_incident = replace(bare_incident, next_update_at=start, eta=end)
        typical = replace(typical, incident=replace(incident, next_update_at=start, eta=end))
    return [typical, sparse, replace(typical, incident=bare_incident, alternatives=())]
