"""The subscription pages of one API on the fake Twilio, as tests drive them: read the form's
signed stamp, post it back like a browser, read the code the fake Twilio received."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx2
from fastapi.testclient import TestClient
from pydantic import SecretStr

from outage_notify.config.subscribe import SubscribeSettings
from outage_notify.integrations.fake_server import FakeProviders
from tests.fixtures.app import api_app, api_client
from tests.fixtures.clock import ManualClock
from tests.fixtures.settings import make_settings

STAMP = re.compile(r'name="stamp" value="([^"]+)"')
CODE = re.compile(r"\b(\d{6})\b")
SECRET = "test-subscribe-secret-0123456789"
# A São Paulo mobile number, and 100 more in its range.
PHONE = "+5511912340000"


def subscribe_settings(**values: Any) -> SubscribeSettings:
    """Enabled, on BR numbers, no minimum fill time unless a test asks for one."""
    defaults: dict[str, Any] = {
        "enabled": True,
        "secret": SecretStr(SECRET),
        "countries": ["BR"],
        "min_fill_seconds": 0,
    }
    return SubscribeSettings(**{**defaults, **values})


@dataclass
class Site:
    client: TestClient
    providers: FakeProviders
    clock: ManualClock

    def stamp(self) -> str:
        page = self.client.get("/status/subscribe")
        assert page.status_code == 200, page.text
        found = STAMP.search(page.text)
        assert found is not None
        return found[1]

    def ask(
        self,
        phone: str,
        *,
        client: TestClient | None = None,
        locale: str = "en",
        components: tuple[str, ...] = (),
        **extra: str,
    ) -> httpx2.Response:
        """Fill in the form and send it, as a person would."""
        form: dict[str, Any] = {"stamp": self.stamp(), "phone": phone, "locale": locale}
        form["website"] = ""
        if components:
            form["components"] = list(components)
        form.update(extra)
        return (client or self.client).post("/status/subscribe", data=form)

    def texts(self, phone: str) -> list[str]:
        return [record.body for record in self.providers.records("sms") if record.to == phone]

    def code(self, phone: str) -> str:
        """The code of the newest text to `phone`."""
        found = CODE.search(self.texts(phone)[-1])
        assert found is not None
        return found[1]

    def confirm(self, phone: str, code: str) -> httpx2.Response:
        return self.client.post("/status/subscribe/confirm", data={"phone": phone, "code": code})

    def from_address(self, address: str) -> TestClient:
        """A client of the same app seen from another address."""
        return TestClient(api_app(self.client), client=(address, 50000))

    def later(self, seconds: float) -> None:
        self.clock.advance(timedelta(seconds=seconds))


@contextmanager
def site(
    database_url: str, redis_url: str, providers: FakeProviders, **subscribe: Any
) -> Iterator[Site]:
    clock = ManualClock()
    settings = make_settings(
        database_url=database_url,
        broker_url=redis_url,
        providers=providers,
        subscribe=subscribe_settings(**subscribe),
    )
    with api_client(settings, clock=clock) as client:
        yield Site(client, providers, clock)
