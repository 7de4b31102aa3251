"""Texts to our Twilio number on SQLite and PostgreSQL: acknowledgements, STOP/START, staff
commands, and the refusals. Each test tells management about one incident first (a real worker
sending through the fake Twilio), then texts back as Twilio would post it."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

import httpx2
import pytest
from twilio.request_validator import RequestValidator

from outage_notify.integrations.fake_server import FakeProviders
from tests.api.inbound_service import (
    ANA_PHONE,
    RICARDO_PHONE,
    STAFF_PHONE,
    STRANGER,
    Told,
    declare,
    serve,
    start,
)
from tests.fixtures.inbound import INBOUND, PUBLIC, TWILIO_AUTH, Signing, text_us
from tests.fixtures.service import RunningService, wait_for

EMPTY = re.compile(r"^<\?xml[^>]*\?><Response\s*/>$")


@pytest.fixture
def told(
    service_factory: Callable[..., RunningService], providers: FakeProviders, database_url: str
) -> Told:
    return start(service_factory, providers, database_url)


def test_ok_from_a_number_we_texted_acknowledges_its_delivery(told: Told) -> None:
    texted = {record.to for record in told.service.providers.records("sms")}
    assert {ANA_PHONE, RICARDO_PHONE} <= texted

    answer = text_us(told.service, ANA_PHONE, " ok ")

    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/xml")
    # Ana's locale is pt-BR: the confirmation Twilio texts back is in Portuguese.
    assert "<Message>Obrigado, recebimento confirmado." in answer.text
    deliveries = told.deliveries()
    ana = deliveries["Ana Souza"]
    assert (ana["acked_via"], ana["acked_by"]) == ("sms", ANA_PHONE)
    assert datetime.fromisoformat(ana["acked_at"]) > datetime.fromisoformat(ana["sent_at"])
    assert deliveries["Ricardo Almeida"]["acked_at"] is None
    timeline = told.incident_detail()["timeline"]
    acknowledged = [entry for entry in timeline if entry["kind"] == "acknowledged"]
    assert [(e["actor"], e["text"]) for e in acknowledged] == [
        ("Ana Souza", "Ana Souza (management) acknowledged by sms")
    ]
    [kept] = told.inbound()
    assert (kept.channel, kept.sender, kept.body, kept.handled_as) == (
        "sms",
        ANA_PHONE,
        " ok ",
        "ack",
    )
    assert kept.delivery_id == ana["id"] and kept.incident_id == told.incident

    again = text_us(told.service, ANA_PHONE, "Thanks, seen it")
    # Already acknowledged: kept as a reply, no second confirmation text.
    assert EMPTY.match(again.text)
    assert [row.handled_as for row in told.inbound()] == ["ack", "reply"]
    assert told.deliveries()["Ana Souza"]["acked_at"] == ana["acked_at"]


def test_ok_that_arrives_before_the_send_is_recorded_still_acknowledges(
    service_factory: Callable[..., RunningService], providers: FakeProviders, database_url: str
) -> None:
    # Twilio hands the text over before its API call returns to our worker; a quick reader's
    # "OK" can reach us before the worker has written that the message was sent. Seen in the
    # demo: the reply was kept as "from a number we never texted" and the manager stayed
    # unacknowledged. Here the fake Twilio answers the send 3 s late, and Ana replies meanwhile.
    providers.add_fault("sms", to=ANA_PHONE, delay=3.0, times=1)
    service = serve(service_factory, providers, database_url)
    incident = declare(service)
    wait_for(
        lambda: ANA_PHONE in {record.to for record in providers.records("sms")},
        what="Ana's text at the fake Twilio",
    )

    early = text_us(service, ANA_PHONE, "OK")

    assert early.status_code == 200 and EMPTY.match(early.text)
    told = Told(service, incident, database_url)
    wait_for(
        lambda: told.deliveries()["Ana Souza"]["acked_at"],
        timeout=60,
        what="the early reply to count once the send is recorded",
    )
    ana = told.deliveries()["Ana Souza"]
    assert (ana["acked_via"], ana["acked_by"]) == ("sms", ANA_PHONE)
    [kept] = told.inbound()
    assert (kept.sender, kept.handled_as, kept.delivery_id) == (ANA_PHONE, "ack", ana["id"])
    assert told.deliveries()["Ricardo Almeida"]["acked_at"] is None


@pytest.mark.parametrize(
    "signing",
    [
        {"signed": False},
        {"token": "not-the-auth-token"},
        # Signed for the address this process saw, not the public one Twilio calls.
        {"url": "http://testserver" + INBOUND},
    ],
    ids=["unsigned", "wrong-token", "wrong-url"],
)
def test_a_text_without_twilios_signature_is_refused_and_changes_nothing(
    told: Told, signing: Signing
) -> None:
    before = told.incident_state()

    for sender, body in [(ANA_PHONE, "OK"), (ANA_PHONE, "STOP"), (STAFF_PHONE, "ETA 14:30")]:
        answer = text_us(told.service, sender, body, **signing)
        assert answer.status_code == 403, body
        assert "X-Twilio-Signature" in answer.json()["detail"]

    assert told.inbound() == [] and told.opted_out() == {}
    assert told.deliveries()["Ana Souza"]["acked_at"] is None
    assert told.incident_state() == before


def test_stop_opts_the_number_out_and_start_opts_it_back_in(told: Told) -> None:
    stop = text_us(told.service, RICARDO_PHONE, "Stop")
    # Twilio sends the carrier-required reply itself: ours is empty.
    assert stop.status_code == 200 and EMPTY.match(stop.text)
    assert told.opted_out() == {RICARDO_PHONE: "STOP"}
    # A STOP is not an acknowledgement.
    assert told.deliveries()["Ricardo Almeida"]["acked_at"] is None

    assert EMPTY.match(text_us(told.service, RICARDO_PHONE, "unsubscribe").text)
    assert told.opted_out() == {RICARDO_PHONE: "STOP"}
    assert EMPTY.match(text_us(told.service, RICARDO_PHONE, "HELP").text)
    start_again = text_us(told.service, RICARDO_PHONE, " START")
    assert EMPTY.match(start_again.text)
    assert told.opted_out() == {}
    assert [row.handled_as for row in told.inbound()] == ["opt_out", "opt_out", "help", "opt_in"]


def test_a_number_we_never_texted_changes_nothing(told: Told) -> None:
    before = told.deliveries()

    answer = text_us(told.service, STRANGER, "OK")

    assert answer.status_code == 200 and EMPTY.match(answer.text)
    assert told.deliveries() == before
    assert [(row.sender, row.handled_as) for row in told.inbound()] == [(STRANGER, "ignored")]


@pytest.mark.parametrize("body", ["ETA 14:30", "resolve", "#1 status", "UPDATE all fixed"])
def test_a_command_from_a_number_not_on_the_staff_list_is_refused(told: Told, body: str) -> None:
    before = told.incident_state()

    # Ana was texted, but she is no staff: her command is neither run nor an acknowledgement.
    answer = text_us(told.service, ANA_PHONE, body)

    assert answer.status_code == 200 and EMPTY.match(answer.text)
    assert told.incident_state() == before
    assert told.deliveries()["Ana Souza"]["acked_at"] is None
    assert [(row.handled_as, row.result) for row in told.inbound()] == [
        ("refused", "not a staff number")
    ]


def test_a_staff_phone_runs_commands_and_the_reply_says_what_was_done(told: Told) -> None:
    status = text_us(told.service, STAFF_PHONE, "status")
    assert status.status_code == 200
    assert f"#{told.incident} Outbound mail stuck" in status.text

    eta = text_us(told.service, STAFF_PHONE, "ETA +45m")

    assert "<Message>ETA set to" in eta.text
    # The eta_changed update goes out before the test ends (and its worker stops).
    wait_for(lambda: told.service.settled(told.incident, updates=2), what="eta_changed sent")
    detail = told.incident_detail()
    assert detail["eta"] is not None
    assert [u["kind"] for u in detail["updates"]][-1] == "eta_changed"
    kept = told.inbound()
    assert [(row.handled_as, row.identity) for row in kept] == [
        ("command", "Rosa Staff"),
        ("command", "Rosa Staff"),
    ]
    assert kept[1].incident_id == told.incident
    audit = told.service.call(
        "GET", "/api/v1/audit", role="admin", params={"incident_id": told.incident}
    ).json()["items"]
    by_sms = [entry for entry in audit if entry["actor"] == "Rosa Staff"]
    # Where it came from, masked as in the logs.
    assert by_sms and by_sms[-1]["client"] == "sms +55******7777"


def text_again(service: RunningService, sender: str, body: str, sid: str) -> httpx2.Response:
    """A text with a given MessageSid, signed as Twilio signs it: Twilio retrying it, or a
    replay of the same signed request, posts exactly this again."""
    form = {"MessageSid": sid, "From": sender, "To": "+15005550006", "Body": body}
    signature = RequestValidator(TWILIO_AUTH).compute_signature(PUBLIC + INBOUND, form)
    return service.api.post(INBOUND, data=form, headers={"X-Twilio-Signature": signature})


def test_the_same_message_sid_again_is_answered_empty_and_does_nothing(told: Told) -> None:
    sid = "SM" + "a1" * 16
    first = text_again(told.service, STAFF_PHONE, "UPDATE Disk replaced", sid)
    assert "<Message>Update posted" in first.text

    again = text_again(told.service, STAFF_PHONE, "UPDATE Disk replaced", sid)

    assert again.status_code == 200 and EMPTY.match(again.text)
    assert told.incident_state()[3] == ("opened", "update")
    assert [(row.provider_id, row.handled_as) for row in told.inbound()] == [(sid, "command")]

    ok = "SM" + "b2" * 16
    assert "<Message>Obrigado" in text_again(told.service, ANA_PHONE, "OK", ok).text
    acked_at = told.deliveries()["Ana Souza"]["acked_at"]
    assert EMPTY.match(text_again(told.service, ANA_PHONE, "OK", ok).text)
    assert [row.handled_as for row in told.inbound()] == ["command", "ack"]
    assert told.deliveries()["Ana Souza"]["acked_at"] == acked_at
    wait_for(lambda: told.service.settled(told.incident, updates=2), what="the update sent")


def test_a_stopped_number_gets_no_reply_text_but_is_heard_and_yes_also_acknowledges(
    told: Told,
) -> None:
    assert EMPTY.match(text_us(told.service, RICARDO_PHONE, "STOP").text)
    # Twilio refuses a reply to a STOP'd number: none, but the OK still counts.
    answer = text_us(told.service, RICARDO_PHONE, "OK")
    assert answer.status_code == 200 and EMPTY.match(answer.text)
    assert told.deliveries()["Ricardo Almeida"]["acked_via"] == "sms"
    assert told.inbound()[-1].handled_as == "ack"

    assert EMPTY.match(text_us(told.service, STAFF_PHONE, "STOP").text)
    status = text_us(told.service, STAFF_PHONE, "status")
    assert EMPTY.match(status.text)
    assert (told.inbound()[-1].handled_as, told.inbound()[-1].identity) == (
        "command",
        "Rosa Staff",
    )

    # "YES" is Twilio's START word and the natural answer to "Reply OK": it does both.
    assert EMPTY.match(text_us(told.service, ANA_PHONE, "STOP").text)
    yes = text_us(told.service, ANA_PHONE, "Yes")
    assert EMPTY.match(yes.text)
    assert set(told.opted_out()) == {RICARDO_PHONE, STAFF_PHONE}
    ana = told.deliveries()["Ana Souza"]
    assert (ana["acked_via"], ana["acked_by"]) == ("sms", ANA_PHONE)
    kept = told.inbound()[-1]
    assert (kept.handled_as, kept.delivery_id, kept.result) == ("opt_in", ana["id"], "acknowledged")
