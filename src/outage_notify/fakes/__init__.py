"""DEVELOPMENT FAKES — never used in production: what every provider's fake shares.

The fakes speak the Twilio Messages API, the Slack Web API and Apprise's `json://` wire
formats, so the real vendor SDKs can be pointed at them in tests, benchmarks and demos. Each
provider's fake lives in its package (`integrations/<provider>/fake*.py`); the server that puts
them on one port is `integrations.fake_server` (`outage-notify fake-providers`). Here: the
records and statistics they keep (`state`), the faults injected on demand (`faults`), the wire
helpers (`wire`), the control routes (`control`) and the fake mail server (`mail`).
"""

from outage_notify.fakes.faults import Fault
from outage_notify.fakes.state import FakeCallback, FakeRecord, FakeRejection, FakeStats

__all__ = ["FakeCallback", "FakeRecord", "FakeRejection", "FakeStats", "Fault"]
