"""Self-subscription on SQLite and PostgreSQL, through the API on the fake Twilio: the happy
path, and every abuse control cutting where it should (issue 19, item 2)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from outage_notify.integrations.fake_server import FakeProviders
from outage_notify.store.subscriber_tables import SubscriberRow, SubscriptionCodeRow
from tests.api.subscribe_site import PHONE, Site, site
from tests.fixtures.app import app_state

UNSUBSCRIBE = r'href="(http://testserver/status/unsubscribe\?token=[^"]+)"'


@pytest.fixture
def subscribing(database_url: str, redis_url: str, providers: FakeProviders) -> Iterator[Site]:
    with site(database_url, redis_url, providers) as running:
        yield running


def rows(running: Site, table: type) -> list:  # type: ignore[type-arg]
    with app_state(running.client).sessions() as session:
        return list(session.scalars(select(table)))


def test_a_person_subscribes_with_the_texted_code_and_leaves_by_the_link(
    subscribing: Site,
) -> None:
    asked = subscribing.ask(
        "+55 (11) 91234-0000", locale="pt-BR", components=("inbound", "webmail")
    )
    assert asked.status_code == 200, asked.text
    assert "Enviamos um código de 6 dígitos para +55" in asked.text  # the chosen language
    [text] = subscribing.texts(PHONE)
    assert "Vale por 10 minutos" in text  # the chosen language
    [code_row] = rows(subscribing, SubscriptionCodeRow)
    code = subscribing.code(PHONE)
    assert code not in code_row.code_hash and len(code_row.code_hash) == 64  # a hash only

    confirmed = subscribing.confirm(PHONE, code)

    assert confirmed.status_code == 200, confirmed.text
    assert "You are subscribed" in confirmed.text
    [subscriber] = rows(subscribing, SubscriberRow)
    assert (subscriber.phone, subscriber.locale) == (PHONE, "pt-BR")
    assert sorted(subscriber.components) == ["inbound", "webmail"]
    confirmation = subscribing.texts(PHONE)[-1]
    assert "responda STOP" in confirmation and "/status/unsubscribe?token=" in confirmation
    link = confirmation.rsplit(" ", 1)[-1]
    assert link in confirmed.text.replace("&amp;", "&")
    # The code is spent: it never confirms twice.
    assert subscribing.confirm(PHONE, code).status_code == 400

    # Opening the link only asks; the button unsubscribes.
    page = subscribing.client.get(link.removeprefix("http://testserver"))
    assert page.status_code == 200 and "Parar as mensagens de falha" in page.text
    assert rows(subscribing, SubscriberRow)
    token = parse_qs(urlsplit(link).query)["token"][0]
    left = subscribing.client.post("/status/unsubscribe", data={"token": token})
    assert left.status_code == 200 and "is unsubscribed" in left.text
    assert rows(subscribing, SubscriberRow) == []
    again = subscribing.client.post("/status/unsubscribe", data={"token": token})
    assert again.status_code == 404 and "not valid" in again.text


def test_a_forged_unsubscribe_token_is_refused(subscribing: Site) -> None:
    subscribing.ask(PHONE)
    subscribing.confirm(PHONE, subscribing.code(PHONE))
    [subscriber] = rows(subscribing, SubscriberRow)
    forged = subscribing.client.post(
        "/status/unsubscribe", data={"token": f"{subscriber.id}.AAAAAAAAAAAAAAAAAAAAAA"}
    )
    assert forged.status_code == 404
    assert rows(subscribing, SubscriberRow)


def test_digits_that_are_not_ascii_in_a_token_or_stamp_are_refused_not_a_500(
    subscribing: Site,
) -> None:
    # str.isdigit() holds for "¹" and "²", which int() refuses: a hostile link was a 500.
    subscribing.ask(PHONE)
    subscribing.confirm(PHONE, subscribing.code(PHONE))
    for token in ("¹", "²³.AAAA", "\u0661.AAAA"):
        button = subscribing.client.post("/status/unsubscribe", data={"token": token})
        assert button.status_code == 404 and "not valid" in button.text, (token, button.text)
    assert rows(subscribing, SubscriberRow)
    texted = len(subscribing.providers.records("sms"))
    forged = subscribing.client.post(
        "/status/subscribe", data={"stamp": "¹².AAAA", "phone": PHONE, "locale": "en"}
    )
    assert forged.status_code == 400, forged.text
    assert len(subscribing.providers.records("sms")) == texted


def test_a_hundred_codes_asked_from_one_address_are_cut_at_its_limit(
    subscribing: Site,
) -> None:
    answers = [subscribing.ask(f"+55219876{index:05d}") for index in range(100)]
    # 6 an hour, evenly spaced: the first goes, the rest wait their turn.
    assert [a.status_code for a in answers].count(200) == 1
    refused = [a for a in answers if a.status_code != 200]
    assert {a.status_code for a in refused} == {429}
    assert all("Too many codes were asked for from your address" in a.text for a in refused)
    assert len(subscribing.providers.records("sms")) == 1


def test_a_hundred_codes_for_one_prefix_are_cut_at_its_limit(subscribing: Site) -> None:
    answers = [
        subscribing.ask(f"+55119123{index:05d}", client=subscribing.from_address(f"10.0.0.{index}"))
        for index in range(100)
    ]
    assert [a.status_code for a in answers].count(200) == 1
    refused = [a for a in answers if a.status_code != 200]
    assert {a.status_code for a in refused} == {429}
    assert all("numbers like this one" in a.text for a in refused)
    assert len(subscribing.providers.records("sms")) == 1


@pytest.mark.parametrize(
    ("phone", "status", "reason"),
    [
        ("+12025550123", 403, "Numbers of that country cannot subscribe here"),
        ("+447911123456", 403, "Numbers of that country cannot subscribe here"),
        ("+559009123456", 422, ""),  # a Brazilian premium-rate range
        ("+5511 3333-4444", 422, "Only mobile numbers"),
        ("hello", 422, "not a phone number"),
        ("", 422, "Enter a mobile number"),
    ],
)
def test_a_number_that_may_not_subscribe_is_refused_before_any_text(
    subscribing: Site, phone: str, status: int, reason: str
) -> None:
    answer = subscribing.ask(phone)
    assert answer.status_code == status
    assert reason in answer.text and 'id="refusal"' in answer.text
    assert subscribing.providers.records("sms") == []
    assert rows(subscribing, SubscriptionCodeRow) == []


def test_no_number_gets_a_second_code_within_a_minute(subscribing: Site) -> None:
    assert subscribing.ask(PHONE).status_code == 200
    again = subscribing.ask(PHONE, client=subscribing.from_address("10.9.9.9"))
    assert again.status_code == 429 and "less than a minute ago" in again.text
    assert len(subscribing.texts(PHONE)) == 1


def test_an_expired_code_is_refused(subscribing: Site) -> None:
    subscribing.ask(PHONE)
    code = subscribing.code(PHONE)
    subscribing.later(10 * 60 + 1)
    answer = subscribing.confirm(PHONE, code)
    assert answer.status_code == 410 and "expired" in answer.text
    assert rows(subscribing, SubscriberRow) == []


def test_the_sixth_try_is_refused_even_with_the_right_code(subscribing: Site) -> None:
    subscribing.ask(PHONE)
    code = subscribing.code(PHONE)
    wrong = "000000" if code != "000000" else "111111"
    answers = [subscribing.confirm(PHONE, wrong) for _ in range(5)]
    assert [a.status_code for a in answers] == [422] * 5
    assert "4 tries left" in answers[0].text and "last try" in answers[4].text
    sixth = subscribing.confirm(PHONE, code)
    assert sixth.status_code == 429 and "Too many wrong codes" in sixth.text
    assert rows(subscribing, SubscriberRow) == []


def test_the_honeypot_and_a_forged_stamp_are_refused(subscribing: Site) -> None:
    trapped = subscribing.ask(PHONE, website="http://spam.example")
    assert trapped.status_code == 400 and "not sent from this page" in trapped.text
    forged = subscribing.client.post(
        "/status/subscribe", data={"stamp": "1.AAAA", "phone": PHONE, "locale": "en"}
    )
    assert forged.status_code == 400
    assert subscribing.providers.records("sms") == []


def test_a_form_sent_back_too_fast_is_refused(
    database_url: str, redis_url: str, providers: FakeProviders
) -> None:
    with site(database_url, redis_url, providers, min_fill_seconds=3) as running:
        stamp = running.stamp()
        fast = running.client.post(
            "/status/subscribe", data={"stamp": stamp, "phone": PHONE, "locale": "en"}
        )
        assert fast.status_code == 429 and "too fast" in fast.text
        running.later(4)
        slow = running.client.post(
            "/status/subscribe", data={"stamp": stamp, "phone": PHONE, "locale": "en"}
        )
        assert slow.status_code == 200, slow.text
        assert len(running.texts(PHONE)) == 1


def test_the_daily_budget_stops_codes(
    database_url: str, redis_url: str, providers: FakeProviders
) -> None:
    with site(database_url, redis_url, providers, daily_codes=2) as running:
        answers = [
            running.ask(phone, client=running.from_address(f"10.1.0.{index}"))
            for index, phone in enumerate(("+5511912340000", "+5521987650000", "+5531987650000"))
        ]
        assert [a.status_code for a in answers] == [200, 200, 429]
        assert "No more codes can be sent today" in answers[2].text
        assert len(running.providers.records("sms")) == 2


def test_the_status_page_offers_it_in_its_language(subscribing: Site) -> None:
    page = subscribing.client.get("/status?lang=pt-BR")
    assert page.status_code == 200
    assert 'href="http://testserver/status/subscribe?lang=pt-BR"' in page.text
    assert "Receber um SMS quando o e-mail falhar" in page.text
    form = subscribing.client.get("/status/subscribe?lang=pt-BR")
    assert '<option value="pt-BR" selected>' in form.text


def test_off_by_default(database_url: str, redis_url: str, providers: FakeProviders) -> None:
    with site(database_url, redis_url, providers, enabled=False) as running:
        assert 'id="subscribe"' not in running.client.get("/status").text
        assert running.client.get("/status/subscribe").status_code == 404
        answer = running.client.post("/status/subscribe", data={"phone": PHONE})
        assert answer.status_code == 404
        assert running.client.get("/status/unsubscribe?token=1.x").status_code == 404


FORM_TEXT = st.one_of(
    st.text(max_size=60),
    st.from_regex(r"\+?[0-9 ()\-]{0,20}", fullmatch=True),
    st.sampled_from(
        ["+5511912340001", "000000", "\uff11\uff12\uff13\uff14\uff15\uff16", "\x00", "9" * 5000]
    ),
)


@given(phone=FORM_TEXT, code=FORM_TEXT, locale=FORM_TEXT)
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_any_form_input_gets_a_page_never_an_error(
    subscribing: Site, phone: str, code: str, locale: str
) -> None:
    asked = subscribing.ask(phone, locale=locale)
    confirmed = subscribing.confirm(phone, code)
    for answer in (asked, confirmed):
        assert answer.status_code == 200 or 400 <= answer.status_code < 500, answer.text
        assert answer.headers["content-type"].startswith("text/html")
        assert answer.status_code == 200 or 'id="refusal"' in answer.text
    assert rows(subscribing, SubscriberRow) == []  # no guess confirmed anything


def test_refusals_speak_the_language_chosen(subscribing: Site) -> None:
    answer = subscribing.ask("+12025550123", locale="es")
    assert answer.status_code == 403
    assert "Los números de ese país no pueden suscribirse aquí (permitidos: BR)." in answer.text
    assert '<html lang="es">' in answer.text
