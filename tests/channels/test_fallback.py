"""FallbackChannel against the fake json:// target, through the real Apprise."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from outage_notify.channels.base import Receipt
from outage_notify.config.settings import FallbackSettings
from outage_notify.core.errors import ChannelError, PermanentError, TransientError
from outage_notify.core.models import OutboundMessage
from outage_notify.integrations.apprise.channel import FallbackChannel
from outage_notify.integrations.fake_server import FakeProviders


async def send(settings: FallbackSettings, message: OutboundMessage) -> Receipt:
    channel = FallbackChannel(settings)
    try:
        return await channel.send(message)
    finally:
        await channel.aclose()


def send_error(settings: FallbackSettings, message: OutboundMessage) -> ChannelError:
    with pytest.raises(ChannelError) as caught:
        asyncio.run(send(settings, message))
    return caught.value


def test_send_delivers_title_and_body(
    providers: FakeProviders, fallback_settings: FallbackSettings
) -> None:
    message = OutboundMessage(providers.fallback_url("ana"), "Mail is down.", title="Outage")

    receipt = asyncio.run(send(fallback_settings, message))

    [record] = providers.records("fallback")
    assert (record.to, record.title, record.body) == ("ana", "Outage", "Mail is down.")
    assert receipt.provider_id.startswith("apprise-")
    assert not receipt.dry_run


def test_each_send_carries_the_delivery_as_idempotency_key(
    providers: FakeProviders, fallback_settings: FallbackSettings
) -> None:
    """Issue 13 item 7: a target that honours the header drops a resend of the same delivery."""
    plain = providers.fallback_url("ana")
    # A key fixed in the URL would make every message a repeat of the first: ours wins.
    fixed = plain + ("&" if "?" in plain else "?") + "+Idempotency-Key=always-the-same"
    for url, reference in ((plain, "delivery-41"), (fixed, "delivery-42")):
        asyncio.run(
            send(fallback_settings, OutboundMessage(url, "Mail is down.", reference=reference))
        )

    assert [r.idempotency_key for r in providers.records("fallback")] == [
        "delivery-41",
        "delivery-42",
    ]


@pytest.mark.parametrize(
    "url",
    [
        "mailto://user:pass@example.com",
        "mailtos://user:pass@example.com",
        "MAILTO://user:pass@example.com",
        "ses://user@example.com/AKIAIOSFODNN7EXAMPLE/secret/us-east-1/",
        "sendgrid://apikey:from@example.com/to@example.com",
        "mailgun://user@example.com/apikey/",
        "o365://tenant:user@example.com/client/secret/",
        "resend://apikey:from@example.com",
    ],
)
def test_email_is_never_a_fallback(
    providers: FakeProviders, fallback_settings: FallbackSettings, url: str
) -> None:
    error = send_error(fallback_settings, OutboundMessage(url, "x"))

    assert (type(error), error.code) == (PermanentError, "email_url")


@pytest.mark.parametrize(
    "address",
    ["not a url", "nonsense://whatever", "json://a.example/x json://b.example/y"],
)
def test_unusable_addresses_are_permanent(
    fallback_settings: FallbackSettings, address: str
) -> None:
    error = send_error(fallback_settings, OutboundMessage(address, "x"))

    assert (type(error), error.code) == (PermanentError, "invalid_url")


@pytest.mark.parametrize(
    "fault",
    [{"http_status": 500}, {"http_status": 503}, {"http_status": 429}, {"drop": True}],
)
def test_target_failures_are_transient(
    providers: FakeProviders, fallback_settings: FallbackSettings, fault: dict[str, Any]
) -> None:
    providers.add_fault("fallback", **fault)

    error = send_error(fallback_settings, OutboundMessage(providers.fallback_url("ana"), "x"))

    assert isinstance(error, TransientError)
    assert error.reason.startswith("Apprise could not deliver")


def test_slow_target_is_transient_within_the_timeout(
    providers: FakeProviders, fallback_settings: FallbackSettings
) -> None:
    providers.add_fault("fallback", delay=2.0, times=1)
    settings = fallback_settings.model_copy(update={"timeout_seconds": 0.3})
    started = datetime.now(UTC)

    error = send_error(settings, OutboundMessage(providers.fallback_url("ana"), "x"))

    assert isinstance(error, TransientError)
    assert (datetime.now(UTC) - started).total_seconds() < 1.8


def test_find_sent_has_nothing_to_query(fallback_settings: FallbackSettings) -> None:
    channel = FallbackChannel(fallback_settings)

    found = asyncio.run(channel.find_sent(OutboundMessage("json://x/y", "x"), datetime.now(UTC)))

    assert found is None
