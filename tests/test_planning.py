"""Planning (pure): who hears an update, and under which keys."""

from __future__ import annotations

from pathlib import Path

from outage_notify.contacts.directory import load_directory
from outage_notify.contacts.routing import AckRule
from outage_notify.core.models import ChannelName, RenderedMessage, UpdateKind
from outage_notify.messages.planning import (
    EVERYONE,
    STAFF,
    WHOLE,
    AudiencePlan,
    Renderings,
    asks_acknowledgement,
    find_contact,
    iter_deliveries,
)

ROOT = Path(__file__).resolve().parents[1]


def fake_render(
    audience: str, kind: UpdateKind, channel: ChannelName, locale: str, zone: str = ""
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


def test_contacts_of_an_acknowledging_audience_are_asked_for_the_kinds_its_rule_lists() -> None:
    # Shipped routing: management acknowledges opened and reopened updates.
    directory = load_directory(ROOT / "contacts")

    def asked(audience: str, kind: UpdateKind) -> dict[str, bool]:
        planned = iter_deliveries(
            [AudiencePlan(audience, kind, WHOLE)],
            directory=directory,
            renderings=Renderings(fake_render),
        )
        return {d.recipient.key: d.ack_required for d in planned}

    opened = asked("management", UpdateKind.OPENED)
    contacts = {key for key in opened if key.startswith("contact:")}
    assert len(contacts) == 5 and all(opened[key] for key in contacts)
    # The management status channel is a room: nobody there can answer for everyone.
    assert opened["slack:C0MGMTSTATUS"] is False
    assert any(asked("management", UpdateKind.REOPENED).values())
    assert not any(asked("management", UpdateKind.UPDATE).values())
    assert not any(asked("management", UpdateKind.RESOLVED).values())
    assert not any(asked("users", UpdateKind.OPENED).values())


def test_staff_and_the_organisation_room_are_never_asked() -> None:
    directory = load_directory(ROOT / "contacts")
    routing = directory.routing.model_copy(
        update={"acknowledge": (AckRule(audience=STAFF), AckRule(audience=EVERYONE))}
    )

    assert asks_acknowledgement(directory.routing, "management", UpdateKind.OPENED)
    assert not asks_acknowledgement(routing, STAFF, UpdateKind.OPENED)
    assert not asks_acknowledgement(routing, EVERYONE, UpdateKind.OPENED)
    lead = directory.audiences["management"].contacts[0]
    reminder = iter_deliveries(
        [AudiencePlan(STAFF, UpdateKind.UNREACHED, WHOLE)],
        directory=directory,
        renderings=Renderings(fake_render),
        staff=[lead],
    )
    assert [d.ack_required for d in reminder] == [False]
