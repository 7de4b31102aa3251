"""The rules of self-subscription (`/status/subscribe`), pure: which numbers may subscribe,
the 6-digit codes, the signed form and the signed unsubscribe links.

Nothing here sends or stores: the API edge (`api/subscribe.py`) calls these, the store keeps
subscribers and codes (`store/subscribers.py`). Codes are kept only as an HMAC (`code_hash`),
so a copy of the database does not hand out valid codes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import phonenumbers

from outage_notify.core.digits import ascii_digits

CODE_DIGITS = 6
CODE_LIFETIME = timedelta(minutes=10)
CODE_TRIES = 5
# No number gets a second code within this, whoever asks and from wherever.
RESEND_AFTER = timedelta(minutes=1)
# A form older than this is refused: its fill time proves nothing any more.
FORM_LIFETIME = timedelta(hours=2)
# The longest input read as a phone number: phonenumbers is slow on very long strings.
PHONE_INPUT_MAX = 40


class Refused(Exception):
    """A subscription step refused: why (a key of `status/subscription_words.py`'s refusals,
    worded in the reader's language at the edge), its HTTP status and the words' values."""

    def __init__(self, why: str, status: int = 422, **values: str) -> None:
        super().__init__(why)
        self.why = why
        self.status = status
        self.values = values


def subscriber_phone(raw: str, *, countries: tuple[str, ...]) -> str:
    """`raw` as an E.164 number of one of `countries`, or Refused saying why not."""
    text = raw.strip()
    if not text or len(text) > PHONE_INPUT_MAX:
        raise Refused("phone_missing")
    try:
        # Read in the first allowed country, so a local number works for the usual case.
        number = phonenumbers.parse(text, countries[0])
    except phonenumbers.NumberParseException:
        raise Refused("not_a_number") from None
    if not phonenumbers.is_valid_number(number):
        raise Refused("invalid_number")
    region = phonenumbers.region_code_for_number(number)
    if region not in countries:
        raise Refused("country", status=403, allowed=", ".join(countries))
    kind = phonenumbers.number_type(number)
    if kind not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        # Premium-rate and shared-cost ranges are what SMS pumping sends to.
        raise Refused("not_mobile")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def number_prefix(phone: str, *, digits: int) -> str:
    """The first `digits` digits of an E.164 number: the range a pumping attack walks."""
    return phone.lstrip("+")[:digits]


def new_code() -> str:
    """A random 6-digit code."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def code_hash(code: str, *, phone: str, key: str) -> str:
    """What is stored for a code: an HMAC bound to the number, never the code itself."""
    message = f"code:{phone}:{code.strip()}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def is_code(text: str) -> bool:
    """Whether `text` is shaped like a code (6 ASCII digits, spaces around allowed)."""
    stripped = text.strip()
    return len(stripped) == CODE_DIGITS and ascii_digits(stripped)


def _sign(payload: str, key: str) -> str:
    mac = hmac.new(key.encode(), payload.encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def form_stamp(served_at: datetime, *, key: str) -> str:
    """The hidden field that proves when the form was served (for the minimum fill time)."""
    seconds = str(int(served_at.timestamp()))
    return f"{seconds}.{_sign('form:' + seconds, key)}"


def check_form(stamp: str, *, now: datetime, key: str, min_fill: timedelta) -> None:
    """Refused unless `stamp` is ours, at least `min_fill` old and not stale."""
    seconds, _, signature = stamp.partition(".")
    if not ascii_digits(seconds, at_most=12):
        raise Refused("forged_form", status=400)
    # As bytes: compare_digest refuses (TypeError) a str with non-ASCII characters.
    if not hmac.compare_digest(signature.encode(), _sign("form:" + seconds, key).encode()):
        raise Refused("forged_form", status=400)
    age = now.timestamp() - int(seconds)
    if age < min_fill.total_seconds():
        raise Refused("too_fast", status=429)
    if age > FORM_LIFETIME.total_seconds():
        raise Refused("form_too_old", status=400)


@dataclass(frozen=True)
class UnsubscribeToken:
    """What a signed unsubscribe link names: one subscriber, by id and number."""

    subscriber_id: int
    phone: str


def unsubscribe_token(subscriber_id: int, phone: str, *, key: str) -> str:
    """The `token` of an unsubscribe link; it never expires, and names no number in clear."""
    payload = f"{subscriber_id}"
    return f"{payload}.{_sign(f'unsubscribe:{payload}:{phone}', key)}"


def token_subscriber(token: str) -> int | None:
    """The subscriber id a token claims (to load its number), or None when it is malformed."""
    payload, _, _ = token.partition(".")
    if not ascii_digits(payload, at_most=18):
        return None
    return int(payload)


def token_holds(token: str, *, subscriber_id: int, phone: str, key: str) -> bool:
    """Whether `token` was signed for this subscriber and number."""
    expected = unsubscribe_token(subscriber_id, phone, key=key)
    return hmac.compare_digest(token.encode(), expected.encode())
