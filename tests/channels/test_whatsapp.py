"""WhatsAppChannel against the fake Twilio, through the real twilio-python SDK: `whatsapp:`
addresses, Content Templates outside the 24-hour window, free-form inside it, error codes."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import aiohttp
import pytest

from outage_notify.channels.base import Receipt
from outage_notify.config.settings import TwilioSettings
from outage_notify.core.errors import ChannelError, PermanentError, TransientError
from outage_notify.core.models import OutboundMessage
from outage_notify.integrations.fake_server import FakeProviders
from outage_notify.integrations.twilio.fake_whatsapp import PATH
from outage_notify.integrations.twilio.whatsapp import WhatsAppChannel

WHATSAPP_FROM = "+15005550007"
SID = "HX" + "ab" * 16


def a_phone() -> str:
    """A number no other test used: the fake's windows outlive its reset."""
    return "+55119" + str(uuid.uuid4().int)[:8]


@pytest.fixture
def settings(twilio_settings: TwilioSettings) -> TwilioSettings:
    return twilio_settings.model_copy(update={"whatsapp_from": WHATSAPP_FROM})


async def send(settings: TwilioSettings, message: OutboundMessage, **kwargs: Any) -> Receipt:
    channel = WhatsAppChannel(settings, **kwargs)
    try:
        return await channel.send(message)
    finally:
        await channel.aclose()


def send_error(settings: TwilioSettings, message: OutboundMessage) -> ChannelError:
    with pytest.raises(ChannelError) as caught:
        asyncio.run(send(settings, message))
    return caught.value


def open_window(providers: FakeProviders, phone: str) -> None:
    """The contact writes to us: the fake opens their window (nobody listens at `url`)."""

    async def post() -> int:
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                providers.base_url + PATH,
                json={
                    "url": providers.base_url + "/nowhere",
                    "from": phone,
                    "body": "hi",
                    "auth_token": "test-auth-token",
                },
            ) as response,
        ):
            return response.status

    assert asyncio.run(post()) == 200


def test_a_template_goes_outside_the_window_with_its_sid_and_variables(
    providers: FakeProviders, settings: TwilioSettings
) -> None:
    phone = a_phone()
    variables = json.dumps({"1": "Acme", "2": "E-mail is down."})
    message = OutboundMessage(
        phone, "E-mail is down.", content_sid=SID, content_variables=variables
    )

    receipt = asyncio.run(send(settings, message, status_callback_url="https://x.test/status"))

    [record] = providers.records("whatsapp")
    params = record.raw["params"]
    assert record.to == f"whatsapp:{phone}" and record.provider_id == receipt.provider_id
    assert params["From"] == f"whatsapp:{WHATSAPP_FROM}"
    assert (params["ContentSid"], json.loads(params["ContentVariables"])) == (
        SID,
        {"1": "Acme", "2": "E-mail is down."},
    )
    assert params["StatusCallback"] == "https://x.test/status"
    assert providers.records("sms") == []


def test_a_free_form_body_outside_the_window_is_63016_permanent(
    providers: FakeProviders, settings: TwilioSettings
) -> None:
    error = send_error(settings, OutboundMessage(a_phone(), "E-mail is down."))

    assert isinstance(error, PermanentError) and error.code == "63016"
    assert "24-hour window" in error.reason
    assert providers.records("whatsapp") == []


def test_inside_the_window_the_body_goes_free_form(
    providers: FakeProviders, settings: TwilioSettings
) -> None:
    phone = a_phone()
    open_window(providers, phone)

    asyncio.run(send(settings, OutboundMessage(phone, "Still down; next news at 10:00.")))

    [record] = providers.records("whatsapp")
    assert record.body == "Still down; next news at 10:00."
    assert "ContentSid" not in record.raw["params"]


@pytest.mark.parametrize(
    ("fault", "kind", "code"),
    [
        ({"twilio_code": 63018}, TransientError, "63018"),
        ({"twilio_code": 63003}, PermanentError, "63003"),
        ({"twilio_code": 63027}, PermanentError, "63027"),
        ({"twilio_code": 63038}, TransientError, "63038"),
        ({"http_status": 503}, TransientError, "20503"),
    ],
)
def test_whatsapp_error_codes_map_like_sms(
    providers: FakeProviders,
    settings: TwilioSettings,
    fault: dict[str, Any],
    kind: type[ChannelError],
    code: str,
) -> None:
    providers.add_fault("whatsapp", **fault)

    error = send_error(
        settings, OutboundMessage(a_phone(), "x", content_sid=SID, content_variables="{}")
    )

    assert type(error) is kind and error.code == code


def test_find_sent_recognises_a_template_send(
    providers: FakeProviders, settings: TwilioSettings
) -> None:
    phone = a_phone()
    message = OutboundMessage(phone, "body", content_sid=SID, content_variables="{}")
    sent = asyncio.run(send(settings, message))

    async def find() -> Receipt | None:
        channel = WhatsAppChannel(settings)
        try:
            return await channel.find_sent(message, providers.records("whatsapp")[0].at)
        finally:
            await channel.aclose()

    found = asyncio.run(find())
    assert found is not None and found.provider_id == sent.provider_id
