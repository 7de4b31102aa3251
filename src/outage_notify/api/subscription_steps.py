"""The load-check-save steps behind `api/subscribe.py`: reserve a code, confirm it, unsubscribe.

Each step is one transaction; the rules they apply live in `contacts/subscription.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from outage_notify.config.settings import Settings
from outage_notify.contacts.subscription import (
    CODE_LIFETIME,
    CODE_TRIES,
    RESEND_AFTER,
    Refused,
    code_hash,
    is_code,
    new_code,
    number_prefix,
    token_holds,
    token_subscriber,
    unsubscribe_token,
)
from outage_notify.ratelimit.limiter import Bucket, limiter_for
from outage_notify.store import acknowledgements
from outage_notify.store import subscribers as subscriber_store
from outage_notify.store.engine import transaction

# Under the service's rate-limit prefix, apart from the provider buckets.
BUCKETS = "outage_notify:ratelimit:subscribe:"


@dataclass(frozen=True)
class Reservation:
    """A code stored and about to be texted."""

    code_id: int
    code: str


@dataclass(frozen=True)
class Confirmed:
    subscriber_id: int
    locale: str
    token: str


def _day_start(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _check_number(session: Session, settings: Settings, phone: str, now: datetime) -> None:
    if acknowledgements.opted_out(session, [phone]):
        raise Refused("stopped", status=409)
    last = subscriber_store.last_code_at(session, phone)
    if last is not None and now - last < RESEND_AFTER:
        raise Refused("resend", status=429)
    budget = settings.subscribe.daily_codes
    if subscriber_store.codes_since(session, _day_start(now)) >= budget:
        raise Refused("daily", status=429)


async def _take_tokens(settings: Settings, *, client: str, phone: str) -> None:
    """One token of the client's, the prefix's and the number's buckets, or Refused."""
    per_hour = settings.subscribe
    buckets = (
        (
            Bucket(f"{BUCKETS}number:{phone}", rate=1 / RESEND_AFTER.total_seconds()),
            "resend",
        ),
        (
            Bucket(f"{BUCKETS}client:{client}", rate=per_hour.ip_codes_per_hour / 3600),
            "limit_client",
        ),
        (
            Bucket(
                f"{BUCKETS}prefix:{number_prefix(phone, digits=per_hour.prefix_digits)}",
                rate=per_hour.prefix_codes_per_hour / 3600,
            ),
            "limit_prefix",
        ),
    )
    limiter = limiter_for(
        settings.ratelimit_redis_url or None, prefix=settings.redis_key_prefix, jitter=0.0
    )
    try:
        for bucket, refusal in buckets:
            if await limiter.try_acquire(bucket) > 0:
                raise Refused(refusal, status=429)
    finally:
        await limiter.aclose()


async def reserve_code(
    sessions: sessionmaker[Session],
    settings: Settings,
    *,
    phone: str,
    locale: str,
    components: Sequence[str],
    client: str,
    now: datetime,
) -> Reservation:
    """Apply the per-number, daily and rate limits; store a new code's hash; return the code."""

    def check() -> None:
        with transaction(sessions) as session:
            _check_number(session, settings, phone, now)

    await run_in_threadpool(check)
    await _take_tokens(settings, client=client, phone=phone)
    code = new_code()
    key = settings.subscribe.secret.get_secret_value()

    def store() -> int:
        with transaction(sessions) as session:
            row = subscriber_store.add_code(
                session,
                phone=phone,
                code_hash=code_hash(code, phone=phone, key=key),
                locale=locale,
                components=components,
                client=client,
                sent_at=now,
                lifetime=CODE_LIFETIME,
            )
            return row.id

    return Reservation(code_id=await run_in_threadpool(store), code=code)


def confirm_code(
    sessions: sessionmaker[Session], settings: Settings, *, phone: str, code: str, now: datetime
) -> Confirmed:
    """Subscribe `phone` when `code` is its newest code, unexpired, unused, within its tries."""
    key = settings.subscribe.secret.get_secret_value()
    with transaction(sessions) as session:
        row = subscriber_store.latest_code(session, phone)
        if row is None or row.used_at is not None:
            raise Refused("no_code", status=400)
        if now >= row.expires_at:
            raise Refused("expired", status=410)
        if row.tries >= CODE_TRIES:
            raise Refused("too_many_tries", status=429)
        row.tries += 1
        if not is_code(code) or code_hash(code, phone=phone, key=key) != row.code_hash:
            left = CODE_TRIES - row.tries
            wrong = (
                Refused("wrong_code", status=422, left=str(left))
                if left
                else Refused("last_try", status=422)
            )
        else:
            row.used_at = now
            subscriber = subscriber_store.subscribe(
                session, phone=phone, locale=row.locale, components=row.components, at=now
            )
            token = unsubscribe_token(subscriber.id, phone, key=key)
            return Confirmed(subscriber.id, subscriber.locale, token)
    # Raised after the commit, so the spent try counts.
    raise wrong


def unsubscribe_by_token(sessions: sessionmaker[Session], settings: Settings, token: str) -> str:
    """Remove the subscriber a signed token names; its number, or Refused."""
    key = settings.subscribe.secret.get_secret_value()
    subscriber_id = token_subscriber(token)
    with transaction(sessions) as session:
        row = subscriber_store.get(session, subscriber_id) if subscriber_id is not None else None
        if row is None or not token_holds(token, subscriber_id=row.id, phone=row.phone, key=key):
            raise Refused("bad_link", status=404)
        phone = row.phone
        subscriber_store.remove(session, row.id)
    return phone
