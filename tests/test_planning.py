"""Planning (pure): who hears an update, and under which keys."""

from __future__ import annotations

from pathlib import Path

from outage_notify.contacts import load_directory
from outage_notify.models import ChannelName, RenderedMessage, UpdateKind
from outage_notify.planning import (
    STAFF,
    WHOLE,
    AudiencePlan,
    Renderings,
    find_contact,
    iter_deliveries,
)

ROOT = Path(__file__).resolve().parents[1]


def fake_render(
    audience: str, kind: UpdateKind, channel: ChannelName, locale: str
) -> RenderedMessage:
    return RenderedMessage(
        audience=audience, channel=channel, locale=locale, body=f"{kind} {audience}"
    )


def test_a_reminder_uses_keys_of_its_own_so_it_never_supersedes_a_stakeholder_message() -> None:
    directory = load_directory(ROOT / "contacts")
    lead = directory.audiences["management"].contacts[0]
    assert find_contact(directory, lead.id) == lead
    stakeholder = list(
        iter_deliveries(
            [AudiencePlan("management", UpdateKind.UPDATE, WHOLE)],
            directory=directory,
            renderings=Renderings(fake_render),
        )
    )
    reminder = list(
        iter_deliveries(
            [AudiencePlan(STAFF, UpdateKind.REMINDER, WHOLE)],
            directory=directory,
            renderings=Renderings(fake_render),
            staff=[lead],
        )
    )
    assert [d.recipient.key for d in reminder] == [f"staff:contact:{lead.id}"]
    assert f"contact:{lead.id}" in {d.recipient.key for d in stakeholder}
