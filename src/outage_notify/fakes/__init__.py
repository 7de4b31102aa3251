"""DEVELOPMENT FAKES — never used in production.

A local HTTP server that speaks the Twilio Messages API, the Slack Web API and Apprise's
`json://` wire formats, so the real vendor SDKs can be pointed at it in tests, benchmarks and
demos (`outage-notify fake-providers`). It records what it accepted and injects faults on demand.
"""

from outage_notify.fakes.faults import Fault
from outage_notify.fakes.server import FakeProviders, run_fake_providers
from outage_notify.fakes.state import FakeCallback, FakeRecord, FakeRejection, FakeStats

__all__ = [
    "FakeCallback",
    "FakeProviders",
    "FakeRecord",
    "FakeRejection",
    "FakeStats",
    "Fault",
    "run_fake_providers",
]
