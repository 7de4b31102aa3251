"""The fake Twilio posts an incoming text the way Twilio does, and our real endpoint takes it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select

from outage_notify.config.settings import TwilioSettings
from outage_notify.integrations.fake_server import FakeProviders
from outage_notify.store.engine import create_session_factory, create_store_engine
from outage_notify.store.tables import InboundMessageRow, SmsOptOutRow
from tests.fixtures.app import api_app, api_client
from tests.fixtures.live_api import LiveApi
from tests.fixtures.providers import ACCOUNT_SID, FROM_NUMBER
from tests.fixtures.service import REDIS_KEY_PREFIX
from tests.fixtures.settings import service_settings

AUTH_TOKEN = "inbound-fake-auth-token"
PATH = "/api/v1/webhooks/twilio/inbound"
PHONE = "+5511999990001"


@pytest.fixture
def served(live_api: LiveApi, sqlite_url: str, redis_url: str) -> Iterator[str]:
    """Our API on a real socket (nothing here needs a worker); its database URL."""
    database_url = sqlite_url
    settings = service_settings(
        database_url=database_url,
        broker_url=redis_url,
        redis_key_prefix=REDIS_KEY_PREFIX,
        public_base_url=live_api.base_url,
        twilio=TwilioSettings(
            account_sid=ACCOUNT_SID, auth_token=SecretStr(AUTH_TOKEN), from_number=FROM_NUMBER
        ),
    )
    with api_client(settings) as client:
        live_api.serve(api_app(client))
        yield database_url
        live_api.stop()


def text_in(fake: FakeProviders, url: str, body: str, **extra: str) -> httpx.Response:
    payload = {"url": url, "from": PHONE, "body": body, **extra}
    return httpx.post(fake.base_url + "/_fake/twilio/inbound", json=payload, timeout=10)


def test_a_text_from_the_fake_is_signed_as_twilio_signs_it(
    fake_providers: FakeProviders, live_api: LiveApi, served: str
) -> None:
    url = live_api.base_url + PATH

    stop = text_in(fake_providers, url, "STOP", auth_token=AUTH_TOKEN)
    forged = text_in(fake_providers, url, "START", auth_token="not-the-auth-token")

    assert stop.status_code == 200
    assert stop.json()["status"] == 200
    assert stop.json()["twiml"].endswith("<Response />")
    assert forged.json()["status"] == 403
    engine = create_store_engine(served)
    with create_session_factory(engine)() as session:
        assert [row.phone for row in session.scalars(select(SmsOptOutRow))] == [PHONE]
        kept = session.scalars(select(InboundMessageRow)).one()
        assert (kept.sender, kept.body, kept.handled_as) == (PHONE, "STOP", "opt_out")
        assert kept.provider_id.startswith("SM")
    engine.dispose()


def test_the_fake_needs_a_token_and_a_target(fake_providers: FakeProviders) -> None:
    missing = text_in(fake_providers, "", "OK")
    assert missing.status_code == 400
    assert "url and from" in missing.json()["error"]
    # The session's fake was started without a Twilio auth token.
    unsigned = text_in(fake_providers, "http://127.0.0.1:9/x", "OK")
    assert unsigned.status_code == 400
    assert "auth_token" in unsigned.json()["error"]
