"""Grafana unified-alerting webhook payloads and how one becomes an `AlertEvent`.

Grafana embeds Alertmanager, so the body is Alertmanager's alert group plus `orgId`, `title`,
`state`, `message` and per-alert links and values, under its own `version: "1"`.

A contact point with an HMAC secret signs each request (grafana/alerting `http/hmac.go`): the
signature header holds the lowercase hex HMAC-SHA256, keyed with the secret, of the raw body,
or of `<unix seconds>:<raw body>` when a timestamp header is configured, the seconds then
being that header's value. No `sha256=` prefix.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Literal

from pydantic import Field

from outage_notify.core.digits import ascii_digits
from outage_notify.core.models import AlertEvent
from outage_notify.ingest.alertmanager import (
    AlertGroupPayload,
    AlertmanagerAlert,
    group_event,
    relevant_alerts,
)
from outage_notify.ingest.labels import LabelMapping


class GrafanaAlert(AlertmanagerAlert):
    """One alert as Grafana sends it: Alertmanager's fields plus links back into Grafana."""

    silenceURL: str = ""
    # Empty unless the rule is linked to a dashboard (and a panel).
    dashboardURL: str = ""
    panelURL: str = ""
    imageURL: str = ""
    # `values` (query results by refId) stays an extra field: we never read it.


class GrafanaPayload(AlertGroupPayload):
    """Grafana's webhook contact-point body, version 1."""

    version: Literal["1"]
    # groupKey is only unique within one organisation.
    orgId: int
    # "[FIRING:2] …" style texts rendered from Grafana's templates; `state` is alerting | ok.
    title: str = ""
    state: str = ""
    message: str = ""
    alerts: tuple[GrafanaAlert, ...] = Field(min_length=1)


def _link(payload: GrafanaPayload) -> str:
    # A dashboard is what a person wants to open; the rule editor and Grafana's root are fallbacks.
    alerts = [alert for alert in relevant_alerts(payload) if isinstance(alert, GrafanaAlert)]
    for attribute in ("dashboardURL", "panelURL", "generatorURL"):
        for alert in alerts:
            link: str = getattr(alert, attribute)
            if link:
                return link
    return payload.externalURL


def to_event(payload: GrafanaPayload, *, mapping: LabelMapping) -> AlertEvent:
    """Normalise one Grafana alerting notification."""
    return group_event(
        payload,
        source="grafana",
        group=f"{payload.orgId}:{payload.groupKey}",
        url=_link(payload),
        mapping=mapping,
        title=payload.title,
    )


def signature(secret: str, body: bytes, timestamp: str | None = None) -> str:
    """The signature Grafana sends for `body` (and `timestamp`, when it sends one)."""
    signed = body if timestamp is None else timestamp.encode() + b":" + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


_MAX_TIMESTAMP_DIGITS = 12


def signature_problem(
    *,
    secret: str,
    body: bytes,
    presented: str,
    timestamp: str | None,
    now: datetime,
    max_age_seconds: int,
    require_timestamp: bool,
) -> str | None:
    """Why this request is not a fresh one signed with `secret`, or None if it is."""
    if timestamp is None:
        if require_timestamp:
            return "no signature timestamp (set the contact point's Timestamp header)"
    else:
        # A dozen digits reach the year 33658; more (400 digits made `now - sent` overflow a
        # float: a 500 to anyone, before the signature was looked at) is not a Unix time.
        stripped = timestamp.strip()
        digits = stripped.removeprefix("-")
        if not ascii_digits(digits, at_most=_MAX_TIMESTAMP_DIGITS):
            return "the signature timestamp is not a number of Unix seconds"
        sent = int(stripped)
        if abs(now.timestamp() - sent) > max_age_seconds:
            return (
                f"the signature timestamp is more than {max_age_seconds} s from our clock"
                " (a replay, or clocks out of sync)"
            )
    expected = signature(secret, body, timestamp)
    if not hmac.compare_digest(expected.encode(), presented.strip().lower().encode()):
        return "the signature does not match the body (wrong secret, or the body was altered)"
    return None
