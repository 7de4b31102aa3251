"""The fallback channel: any Apprise URL (Teams workflow, Telegram, ntfy, Signal, json://…).

Email is down by definition while this service runs, so Apprise's e-mail schemes are refused.
Apprise reports success or failure per service but no provider message id and no error
code (only log lines, used here as the reason), so there is nothing to reconcile against.
Where a scheme can carry custom headers (json://, xml://, form://: `+Header=value` in the URL,
apprise/plugins/custom_*.py), each send carries `Idempotency-Key: <delivery reference>`, so a
target that honours it drops a resend of the same delivery.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import apprise

from outage_notify.channels.base import Receipt
from outage_notify.channels.capacity import LIMITS
from outage_notify.config.settings import FallbackSettings
from outage_notify.core.errors import TransientError
from outage_notify.core.models import ChannelName, OutboundMessage
from outage_notify.integrations.apprise.targets import load_target, schemes

# Apprise schemes whose plugin sends its `headers` dict with the request.
HEADER_SCHEMES = frozenset({"json", "jsons", "xml", "xmls", "form", "forms"})
IDEMPOTENCY_HEADER = "Idempotency-Key"


def _failure_reason(result: apprise.AppriseResult) -> str:
    lines = [entry.message for entry in result.logs() if entry.level in ("WARNING", "ERROR")]
    if lines:
        return f"Apprise could not deliver: {lines[-1]}"
    return "Apprise could not deliver (it gave no reason)"


class FallbackChannel:
    """Sends one notification per send to one Apprise URL; a fresh Apprise object each time."""

    name = ChannelName.FALLBACK
    limits = LIMITS[ChannelName.FALLBACK]

    def __init__(self, settings: FallbackSettings) -> None:
        self._timeout = settings.timeout_seconds

    def _load(self, url: str, *, idempotency_key: str = "") -> apprise.Apprise:
        notifier = load_target(url)
        service = next(iter(notifier))
        # Apprise defaults to 4 s connect and 4 s read per request; the setting governs.
        service.socket_connect_timeout = self._timeout
        service.socket_read_timeout = self._timeout
        headers = getattr(service, "headers", None)
        if idempotency_key and schemes(service) & HEADER_SCHEMES and isinstance(headers, dict):
            # Ours wins over one in the URL: a fixed key would make every message a repeat.
            headers[IDEMPOTENCY_HEADER] = idempotency_key
        return notifier

    async def send(self, message: OutboundMessage) -> Receipt:
        notifier = self._load(message.address, idempotency_key=message.reference)
        result = await notifier.async_notify(
            body=message.body, title=message.title, timeout=self._timeout * 2
        )
        if result:
            return Receipt(provider_id=f"apprise-{uuid.uuid4().hex}", status="sent")
        if result.status == apprise.AppriseResultStatus.TIMEOUT:
            # It may have arrived, but with no provider record a retry is the only option.
            raise TransientError("the fallback target did not answer in time", code="timeout")
        raise TransientError(_failure_reason(result), code="failed")

    async def find_sent(self, message: OutboundMessage, since: datetime) -> Receipt | None:
        """Always None: Apprise targets keep no record we could query."""
        return None

    async def aclose(self) -> None:
        """Nothing pooled: each send builds and drops its own Apprise object."""
