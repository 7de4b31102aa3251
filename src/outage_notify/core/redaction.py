"""What must never be written down: configured secrets, and phone numbers in full.

`secret_values(settings)` collects every secret a configuration holds (each `SecretStr`, the
passwords inside connection URLs, the fallback URLs, which carry tokens); a `Redactor` replaces
them and masks every E.164 number (`+5511999990001` -> `+55******0001`) in any text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from pydantic import BaseModel, SecretStr

# E.164: a plus (or `%2B` inside a URL) and 8 to 15 digits (shorter runs are years, ids).
PHONE = re.compile(r"(\+|%2B)(\d{8,15})(?!\d)", re.IGNORECASE)
# Shorter values would redact ordinary words; production refuses secrets under 16 characters.
MIN_SECRET_LENGTH = 6
REDACTED = "[REDACTED]"


def mask_phone(number: str) -> str:
    """`+5511999990001` -> `+55******0001`: enough to tell recipients apart, not to dial."""
    if len(number) <= 7:
        return "*" * len(number)
    return f"{number[:3]}******{number[-4:]}"


def mask_phones(text: str) -> str:
    """`text` with every E.164 number in it masked."""
    return PHONE.sub(lambda match: match[1] + mask_phone("+" + match[2])[1:], text)


def secret_values(settings: BaseModel) -> set[str]:
    """Every secret in `settings`: SecretStr values, URL passwords, fallback URLs."""
    found: set[str] = set()
    _collect(settings, found, field="")
    return {value for value in found if len(value) >= MIN_SECRET_LENGTH}


def _collect(value: object, found: set[str], *, field: str) -> None:
    if isinstance(value, SecretStr):
        found.add(value.get_secret_value())
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            _collect(getattr(value, name), found, field=name)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            _collect(item, found, field=field)
    elif isinstance(value, dict):
        for item in value.values():
            _collect(item, found, field=field)
    elif isinstance(value, str) and "://" in value:
        if field == "urls":
            # Apprise URLs hold the target's token in any part (host, path, user).
            found.add(value)
        try:
            password = urlsplit(value).password
        except ValueError:
            password = None
        if password:
            found.add(password)


class Redactor:
    """Replaces known secrets with [REDACTED] and masks phone numbers."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first, so a secret containing another is replaced whole.
        self.secrets = sorted({s for s in secrets if len(s) >= MIN_SECRET_LENGTH}, key=len)[::-1]

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return mask_phones(text)
