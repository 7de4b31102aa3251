"""How each monitoring source proves who it is.

- Alertmanager: an API token (monitor role or above) as Bearer or as the Basic password;
  `http_config` offers nothing else.
- Grafana: with `WEBHOOKS_GRAFANA_SECRET` set, its HMAC signature over the raw body (and
  timestamp), fresh within `WEBHOOKS_GRAFANA_MAX_AGE_SECONDS` and never seen before; a token
  alone is then refused. Without the secret, a token as for Alertmanager.
- Uptime Kuma and the generic webhook: the source's secret in `X-Outage-Notify-Secret` (Uptime
  Kuma signs nothing, but can add a header), or a token.

Signature problems are 403 (there is nothing to retry with, as for Twilio callbacks); missing
or wrong tokens and secrets are 401. Refusals are logged without the body.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request, status
from fastapi.security import APIKeyHeader
from pydantic import SecretStr
from starlette.concurrency import run_in_threadpool

from outage_notify.api.auth_first import authenticates, once
from outage_notify.api.deps import (
    CHALLENGE,
    Basic,
    Bearer,
    Principal,
    check_role,
    clock_of,
    principal_of,
    refuse,
    settings_of,
)
from outage_notify.config.api_tokens import Role
from outage_notify.config.settings import WebhookSettings
from outage_notify.ingest import grafana
from outage_notify.store import replays
from outage_notify.store.engine import transaction

SECRET_HEADER = "X-Outage-Notify-Secret"  # noqa: S105 (a header name, not a secret)
# Where Grafana puts the signature when the contact point's Header field is left empty
# (grafana/alerting http/hmac.go), although its form suggests X-Grafana-Alerting-Signature.
GRAFANA_BUILTIN_SIGNATURE_HEADER = "X-Grafana-Alert-Signature"

_secret_header = APIKeyHeader(
    name=SECRET_HEADER,
    auto_error=False,
    description="The source's secret (WEBHOOKS_UPTIME_KUMA_SECRET / WEBHOOKS_GENERIC_SECRET).",
)
SecretHeader = Annotated[str | None, Depends(_secret_header)]


async def monitor_token(request: Request) -> Principal:
    """A valid API token of the monitor role or above; 401 or 403 otherwise."""
    return check_role(request, await principal_of(request), Role.MONITOR)


def secret_or_token(
    source: str, secret_of: Callable[[WebhookSettings], SecretStr]
) -> Callable[..., Awaitable[Principal]]:
    """A dependency: the source's secret header if sent, else a monitor token."""
    setting = f"OUTAGE_NOTIFY_WEBHOOKS_{source.upper().replace('-', '_')}_SECRET"

    # Async: comparing a secret or a cheap token is no work for a thread (see `principal_of`).
    async def secret_check(request: Request) -> Principal:
        # Read directly: a header sent empty is a wrong secret, not an absent one.
        presented = request.headers.get(SECRET_HEADER)
        if presented is None:
            return await monitor_token(request)
        configured = secret_of(settings_of(request).webhooks).get_secret_value()
        if not configured:
            raise refuse(
                request,
                status.HTTP_401_UNAUTHORIZED,
                f"{SECRET_HEADER} was sent but {setting} is not set; use a bearer token",
                CHALLENGE,
            )
        if not hmac.compare_digest(presented.encode(), configured.encode()):
            raise refuse(
                request,
                status.HTTP_401_UNAUTHORIZED,
                f"{SECRET_HEADER} does not match {setting}",
                CHALLENGE,
            )
        return Principal(name=source, role=Role.MONITOR)

    @authenticates(secret_check)
    async def check(
        request: Request, _documented_secret: SecretHeader, _bearer: Bearer, _basic: Basic
    ) -> Principal:
        return await once(request, secret_check)

    return check


async def grafana_signature(request: Request) -> str | None:
    """The request's verified Grafana signature; None when no Grafana secret is set."""
    hooks = settings_of(request).webhooks
    secret = hooks.grafana_secret.get_secret_value()
    if not secret:
        return None
    presented = request.headers.get(hooks.grafana_signature_header) or request.headers.get(
        GRAFANA_BUILTIN_SIGNATURE_HEADER
    )
    if not presented:
        raise refuse(
            request,
            status.HTTP_403_FORBIDDEN,
            f"missing {hooks.grafana_signature_header} header: WEBHOOKS_GRAFANA_SECRET is set,"
            " so the contact point must sign (HMAC Signature) with that secret",
        )
    problem = grafana.signature_problem(
        secret=secret,
        # Starlette caches the body: the route's JSON parsing reads these same bytes.
        body=await request.body(),
        presented=presented,
        timestamp=request.headers.get(hooks.grafana_timestamp_header),
        now=clock_of(request).now(),
        max_age_seconds=hooks.grafana_max_age_seconds,
        require_timestamp=hooks.grafana_require_timestamp,
    )
    if problem is not None:
        raise refuse(request, status.HTTP_403_FORBIDDEN, problem)
    return presented.strip().lower()


def _first_use(request: Request, signature: str) -> bool:
    hooks = settings_of(request).webhooks
    # A timestamp may be up to max_age ahead of our clock, so it stays fresh for twice that.
    keep = timedelta(seconds=2 * hooks.grafana_max_age_seconds)
    with transaction(request.app.state.sessions) as session:
        return replays.remember(
            session, source="grafana", signature=signature, now=clock_of(request).now(), keep=keep
        )


async def grafana_check(request: Request) -> Principal:
    """Grafana proven by a fresh, unseen signature, or (no secret set) a monitor token."""
    signature = await grafana_signature(request)
    if signature is None:
        return await monitor_token(request)
    if not await run_in_threadpool(_first_use, request, signature):
        raise refuse(
            request,
            status.HTTP_403_FORBIDDEN,
            "replayed request: this signature was already accepted",
        )
    return Principal(name="grafana", role=Role.MONITOR)


@authenticates(grafana_check)
async def grafana_sender(request: Request, _bearer: Bearer, _basic: Basic) -> Principal:
    """Grafana's signature, checked (and remembered against replays) once per request."""
    return await once(request, grafana_check)


Grafana = Annotated[Principal, Depends(grafana_sender)]
UptimeKuma = Annotated[
    Principal, Depends(secret_or_token("uptime-kuma", lambda hooks: hooks.uptime_kuma_secret))
]
Generic = Annotated[
    Principal, Depends(secret_or_token("generic", lambda hooks: hooks.generic_secret))
]
