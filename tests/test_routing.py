"""Routing: which audiences an incident selects, and who exactly they are."""

from __future__ import annotations

import types
from datetime import timedelta
from pathlib import Path

import pytest

from outage_notify.contacts.directory import load_directory
from outage_notify.contacts.routing import (
    DEFAULT_ROUTING,
    AckRule,
    Condition,
    Routing,
    RoutingRule,
    load_routing,
    recipients,
    select_audiences,
)
from outage_notify.core.errors import ContactsError
from outage_notify.core.models import (
    Audience,
    Broadcast,
    ChannelName,
    Contact,
    Route,
    Severity,
    UpdateKind,
)

SHIPPED = Path(__file__).resolve().parent.parent / "contacts"
CRITICAL, MAJOR, MINOR = Severity.CRITICAL, Severity.MAJOR, Severity.MINOR


def contact(contact_id: str, **fields: object) -> Contact:
    """A contact of the test audience with a phone and a Slack id unless told otherwise."""
    values: dict[str, object] = {
        "id": contact_id,
        "name": contact_id.title(),
        "audience": "staff",
        "phone": "+5511990009000",
        "slack": "U0TEST0001",
        "channels": (ChannelName.SMS, ChannelName.SLACK),
    }
    return Contact.model_validate(values | fields)


STAFF = Audience(
    name="staff",
    broadcast=Broadcast(
        slack_channels=("C0STAFF",),
        fallback_urls=("tgram://123456:secret-token/-100123",),
    ),
    contacts=[
        contact("ana", tags={"site": "rio", "department": "it"}),
        contact("bia", tags={"site": "sao-paulo", "department": "it"}, channels=("slack",)),
        contact("caio", tags={"site": "sao-paulo", "department": "sales"}, locale="pt-BR"),
    ],
)


# --- select_audiences ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("severity", "components", "expected"),
    [
        (MINOR, [], {"management"}),
        (MINOR, ["archive"], {"management"}),
        (MINOR, ["webmail"], {"management", "users"}),
        (MAJOR, ["imap", "calendar"], {"management", "users"}),
        (MAJOR, ["inbound"], {"management", "users", "partners"}),
        (MINOR, ["Outbound "], {"management", "users", "partners"}),
        (CRITICAL, ["archive"], {"management", "partners"}),
        (CRITICAL, ["mobile_sync"], {"management", "users", "partners"}),
        (MAJOR, ["spam_filter", "directory"], {"management"}),
    ],
)
def test_default_routing_by_severity_and_components(
    severity: Severity, components: list[str], expected: set[str]
) -> None:
    selected = select_audiences(
        DEFAULT_ROUTING, severity=severity, components=components, kind=UpdateKind.OPENED
    )

    assert set(selected) == expected
    assert all(filters == ({},) for filters in selected.values())


def test_shipped_routing_file_is_the_default_plus_management_acknowledging() -> None:
    shipped = load_routing(SHIPPED / "routing.yaml")

    # The security audience's rule is only for a folder that has that audience; the
    # subscribers' only for a service that lets people subscribe (they live in the database).
    security = RoutingRule(audience="security", when=(Condition(security=True),))
    subscribers = RoutingRule(audience="subscribers")
    assert shipped.rules == (*DEFAULT_ROUTING.rules, security, subscribers)
    assert shipped.worded_like == {"subscribers": "partners"}
    # Not a default: a folder without routing.yaml asks nobody to acknowledge.
    assert DEFAULT_ROUTING.acknowledge == ()
    assert shipped.acknowledge == (
        AckRule(
            audience="management",
            kinds=(UpdateKind.OPENED, UpdateKind.REOPENED),
            renotify_after_minutes=5,
            deadline_minutes=10,
        ),
    )


def test_tags_narrow_and_a_whole_audience_match_wins() -> None:
    sao_paulo = RoutingRule(
        audience="users",
        tags={"site": "sao-paulo"},
        when=(Condition(components_any=("site_relay_sp",)),),
    )
    rio = RoutingRule(
        audience="users", tags={"site": "rio"}, when=(Condition(components_any=("site_relay_rj",)),)
    )
    routing = Routing(rules=(*DEFAULT_ROUTING.rules, sao_paulo, rio, sao_paulo))

    def users(*components: str) -> tuple[dict[str, str], ...]:
        selected = select_audiences(
            routing, severity=MINOR, components=components, kind=UpdateKind.UPDATE
        )
        return selected["users"]

    assert users("site_relay_sp") == ({"site": "sao-paulo"},)
    assert users("site_relay_sp", "site_relay_rj") == ({"site": "sao-paulo"}, {"site": "rio"})
    assert users("site_relay_sp", "webmail") == ({},)


def test_kinds_limit_a_rule_to_some_updates() -> None:
    routing = Routing(
        rules=(
            RoutingRule(audience="management"),
            RoutingRule(audience="partners", kinds=(UpdateKind.OPENED, UpdateKind.RESOLVED)),
        )
    )

    def audiences(kind: UpdateKind) -> set[str]:
        return set(select_audiences(routing, severity=MAJOR, components=[], kind=kind))

    assert audiences(UpdateKind.OPENED) == {"management", "partners"}
    assert audiences(UpdateKind.ETA_CHANGED) == {"management"}
    assert audiences(UpdateKind.RESOLVED) == {"management", "partners"}


def test_keys_inside_one_condition_and_together() -> None:
    rule = RoutingRule(
        audience="board",
        when=(Condition(components_any=("inbound",), severity_at_least=MAJOR),),
    )
    routing = Routing(rules=(rule,))

    def told(severity: Severity, *components: str) -> bool:
        selected = select_audiences(
            routing, severity=severity, components=components, kind=UpdateKind.OPENED
        )
        return "board" in selected

    assert told(MAJOR, "inbound")
    assert told(CRITICAL, "inbound", "archive")
    assert not told(MINOR, "inbound")
    assert not told(CRITICAL, "webmail")


# --- recipients ---------------------------------------------------------------------------


def test_deliver_first_gives_one_recipient_per_contact_with_ordered_routes() -> None:
    found = list(recipients(STAFF.model_copy(update={"broadcast": Broadcast()})))

    assert [r.key for r in found] == ["contact:ana", "contact:bia", "contact:caio"]
    assert found[0].routes == (
        Route(ChannelName.SMS, "+5511990009000"),
        Route(ChannelName.SLACK, "U0TEST0001"),
    )
    assert found[1].routes == (Route(ChannelName.SLACK, "U0TEST0001"),)
    assert (found[2].name, found[2].audience, found[2].locale, found[2].kind) == (
        "Caio",
        "staff",
        "pt-BR",
        "contact",
    )


def test_deliver_all_gives_one_recipient_per_channel() -> None:
    audience = STAFF.model_copy(update={"deliver": "all", "broadcast": Broadcast()})

    found = list(recipients(audience))

    assert [(r.key, r.routes) for r in found] == [
        ("contact:ana:sms", (Route(ChannelName.SMS, "+5511990009000"),)),
        ("contact:ana:slack", (Route(ChannelName.SLACK, "U0TEST0001"),)),
        ("contact:bia:slack", (Route(ChannelName.SLACK, "U0TEST0001"),)),
        ("contact:caio:sms", (Route(ChannelName.SMS, "+5511990009000"),)),
        ("contact:caio:slack", (Route(ChannelName.SLACK, "U0TEST0001"),)),
    ]


def test_broadcasts_follow_contacts_for_the_whole_audience() -> None:
    found = list(recipients(STAFF, broadcast_locale="pt-BR"))
    broadcasts = [r for r in found if r.kind == "broadcast"]

    assert [(r.key, r.name, r.locale, r.routes) for r in broadcasts] == [
        (
            "slack:C0STAFF",
            "#C0STAFF broadcast",
            "pt-BR",
            (Route(ChannelName.SLACK, "C0STAFF"),),
        ),
        (
            "fallback:tgram://123456:secret-token/-100123",
            "tgram:// broadcast",
            "pt-BR",
            (Route(ChannelName.FALLBACK, "tgram://123456:secret-token/-100123"),),
        ),
    ]
    assert found[-2:] == broadcasts


@pytest.mark.parametrize(
    ("tag_filters", "keys"),
    [
        (({"site": "sao-paulo"},), ["contact:bia", "contact:caio"]),
        (({"site": "sao-paulo", "department": "it"},), ["contact:bia"]),
        (({"site": "rio"}, {"department": "sales"}), ["contact:ana", "contact:caio"]),
        (({"site": "recife"},), []),
        ((), []),
    ],
)
def test_tag_filters_narrow_contacts_and_skip_broadcasts(
    tag_filters: tuple[dict[str, str], ...], keys: list[str]
) -> None:
    assert [r.key for r in recipients(STAFF, tag_filters=tag_filters)] == keys


def test_recipients_stream_the_shipped_users() -> None:
    directory = load_directory(SHIPPED)
    users = directory.audiences["users"]

    stream = recipients(users, broadcast_locale=directory.broadcast_locale("users"))
    assert isinstance(stream, types.GeneratorType)
    everyone = list(stream)
    assert len(everyone) == 301
    assert everyone[-1].key == "slack:C0ITSTATUS"
    assert everyone[-1].locale == "pt-BR"

    sao_paulo = list(recipients(users, tag_filters=({"site": "sao-paulo"},)))
    expected = sum(c.tags["site"] == "sao-paulo" for c in users.contacts)
    assert len(sao_paulo) == expected > 0
    assert all(r.kind == "contact" for r in sao_paulo)


def test_directory_resolves_a_selection_end_to_end() -> None:
    directory = load_directory(SHIPPED)
    selection = select_audiences(
        directory.routing, severity=CRITICAL, components=["inbound"], kind=UpdateKind.OPENED
    )

    found = list(directory.recipients(selection | {"vendors": ({},)}))

    by_audience = {name: sum(r.audience == name for r in found) for name in selection}
    # Subscribers come from the database when a plan is made: none in the folder.
    assert by_audience == {
        "management": 5 + 1,
        "users": 300 + 1,
        "partners": 6 + 1,
        "subscribers": 0,
    }
    partner_broadcast = next(r for r in found if r.audience == "partners" and r.kind == "broadcast")
    assert (partner_broadcast.locale, partner_broadcast.routes[0].channel) == (
        "en",
        ChannelName.FALLBACK,
    )


# --- load_routing errors ------------------------------------------------------------------

ACK = "rules:\n  - audience: management\nacknowledge:\n"

ROUTING_CASES = [
    # (file text, where, field, words the sentence must hold)
    ("rule:\n  - audience: users\n", "top level", "rule", "did you mean 'rules'?"),
    ("rules: []\n", "top level", "rules", "no audience would ever be told"),
    ("rules: users\n", "top level", "rules", "Input should be a list"),
    ("- audience: users\n", "top level", "rules", "must be a mapping"),
    ("rules: [\n  - audience: users\n", "line 2, column 3", "(syntax)", "YAML syntax error"),
    (
        "rules:\n  - audience: users\n    when:\n",
        "rules[0] (audience=users, line 2)",
        "when",
        "leave it out",
    ),
    ("rules:\n  - audiance: users\n", "rules[0] (line 2)", "audiance", "did you mean 'audience'?"),
    (
        "rules:\n  - when: [{severity_at_least: major}]\n",
        "rules[0] (line 2)",
        "audience",
        "'audience' is required",
    ),
    (
        "rules:\n  - audience: management\n  - audience: users\n    when:\n"
        "      - component_any: [webmail]\n",
        "rules[1] (audience=users, line 3)",
        "when[0].component_any",
        "did you mean 'components_any'?",
    ),
    (
        "rules:\n  - audience: users\n    when: [{severity_at_least: catastrophic}]\n",
        "rules[0] (audience=users, line 2)",
        "when[0].severity_at_least",
        "'critical', 'major' or 'minor' (got 'catastrophic')",
    ),
    (
        "rules:\n  - audience: users\n    when: [{}]\n",
        "rules[0] (audience=users, line 2)",
        "when[0]",
        "components_any, severity_at_least or security",
    ),
    (
        "rules:\n  - audience: users\n    when: []\n",
        "rules[0] (audience=users, line 2)",
        "when",
        "leave it out",
    ),
    (
        "rules:\n  - audience: users\n    kinds: [opened, closed]\n",
        "rules[0] (audience=users, line 2)",
        "kinds[1]",
        "(got 'closed')",
    ),
    (
        "rules:\n  - audience: users\n    kinds: []\n",
        "rules[0] (audience=users, line 2)",
        "kinds",
        "for all kinds",
    ),
    (
        "rules:\n  - audience: users\n    tags: {floor: 3}\n",
        "rules[0] (audience=users, line 2)",
        "tags.floor",
        "valid string",
    ),
    (
        "rules:\n  - audience: users\n    tags: sao-paulo\n",
        "rules[0] (audience=users, line 2)",
        "tags",
        "should be a mapping",
    ),
    (
        "rules:\n  - audience: users\n    when: {components_any: [webmail]}\n",
        "rules[0] (audience=users, line 2)",
        "when",
        "should be a list",
    ),
    # acknowledge: the same file, entry and field naming as rules.
    (
        f"{ACK}  - audience: management\n    renotify_after_minutes: 0\n",
        "acknowledge[0] (audience=management, line 4)",
        "renotify_after_minutes",
        "greater than 0 (got 0)",
    ),
    (
        f"{ACK}  - audience: management\n    renotify_after_minutes: soon\n",
        "acknowledge[0] (audience=management, line 4)",
        "renotify_after_minutes",
        "(got 'soon')",
    ),
    (
        f"{ACK}  - audience: management\n    deadline_minutes: -10\n",
        "acknowledge[0] (audience=management, line 4)",
        "deadline_minutes",
        "greater than 0",
    ),
    (
        f"{ACK}  - audience: management\n    renotify_after: 5\n",
        "acknowledge[0] (audience=management, line 4)",
        "renotify_after",
        "did you mean 'renotify_after_minutes'?",
    ),
    (
        f"{ACK}  - audience: management\n  - renotify_after_minutes: 5\n",
        "acknowledge[1] (line 5)",
        "audience",
        "'audience' is required",
    ),
    (
        f"{ACK}  - audience: management\n    kinds: [opened, unreached]\n",
        "acknowledge[0] (audience=management, line 4)",
        "kinds",
        "'unreached' goes to the incident lead",
    ),
    (
        f"{ACK}  - audience: management\n    kinds: []\n",
        "acknowledge[0] (audience=management, line 4)",
        "kinds",
        "leave it out for opened and reopened",
    ),
    (
        f"{ACK}  - audience: management\n    kinds: [opened, closed]\n",
        "acknowledge[0] (audience=management, line 4)",
        "kinds[1]",
        "(got 'closed')",
    ),
    (
        f"{ACK}  - audience: management\n  - audience: management\n",
        "top level",
        "acknowledge",
        "'management' has two acknowledge rules",
    ),
    (f"{ACK}  management\n", "top level", "acknowledge", "should be a list"),
    (f"{ACK}  - management\n", "acknowledge[0] (line 4)", "acknowledge", "be a mapping"),
    ("rules:\n  - audience: management\nacknowlege: []\n", "top level", "acknowlege", "did you"),
]


@pytest.mark.parametrize(("text", "where", "field", "words"), ROUTING_CASES)
def test_routing_mistake_names_file_rule_and_field(
    tmp_path: Path, text: str, where: str, field: str, words: str
) -> None:
    path = tmp_path / "routing.yaml"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(ContactsError) as raised:
        load_routing(path)

    assert (raised.value.path, raised.value.where, raised.value.field) == (str(path), where, field)
    assert words in raised.value.problem


# --- acknowledgement rules ----------------------------------------------------------------


def test_an_ack_rule_defaults_to_new_and_returning_outages_every_five_minutes(
    tmp_path: Path,
) -> None:
    path = tmp_path / "routing.yaml"
    path.write_text(f"{ACK}  - audience: management\n  - {{audience: board, kinds: [resolved]}}\n")

    routing = load_routing(path)

    management = routing.ack_rule("management")
    assert management is not None
    assert management.kinds == (UpdateKind.OPENED, UpdateKind.REOPENED)
    assert management.renotify_after == timedelta(minutes=5)
    assert management.deadline_minutes is None
    board = routing.ack_rule("board")
    assert board is not None and board.kinds == (UpdateKind.RESOLVED,)
    assert routing.ack_rule("users") is None


def test_renotify_after_takes_fractions_of_a_minute() -> None:
    rule = AckRule(audience="management", renotify_after_minutes=0.05, deadline_minutes=2.5)

    assert rule.renotify_after == timedelta(seconds=3)
    assert rule.deadline_minutes == 2.5


# --- SMS length per audience ----------------------------------------------------------------


def test_an_audience_can_have_its_own_sms_length(tmp_path: Path) -> None:
    path = tmp_path / "routing.yaml"
    path.write_text("rules:\n  - audience: management\nsms_max_segments:\n  management: 5\n")

    routing = load_routing(path)

    assert routing.sms_max_segments == {"management": 5}


@pytest.mark.parametrize("value", ["0", "11", "many"])
def test_an_sms_length_outside_1_to_10_is_refused_naming_the_field(
    tmp_path: Path, value: str
) -> None:
    path = tmp_path / "routing.yaml"
    path.write_text(f"rules:\n  - audience: management\nsms_max_segments:\n  management: {value}\n")

    with pytest.raises(ContactsError) as raised:
        load_routing(path)

    assert "sms_max_segments" in raised.value.field
