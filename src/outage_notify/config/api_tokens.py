"""API tokens: the roles, one token, and `API_TOKENS` as operators write it (pure).

`API_TOKENS` is a comma-separated list of `role:token` or `role:name:token`, each token plain or
hashed (`sha256:…`, `scrypt:…`: config/token_hashes.py). The name is who the audit log and the
timeline say acted, so two tokens may not share one.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field, SecretStr, model_validator

from outage_notify.config import token_hashes
from outage_notify.config.sections import split_list
from outage_notify.config.token_hashes import Scheme, check_hash, split_scheme


class Role(StrEnum):
    """What a token may do; each role includes the ones below it."""

    MONITOR = "monitor"
    STAFF = "staff"
    ADMIN = "admin"


ROLE_RANK = {Role.MONITOR: 0, Role.STAFF: 1, Role.ADMIN: 2}


class ApiToken(BaseModel):
    """One API token: `role:token` or `role:name:token`, the token plain or hashed.

    `token` holds the plain token, or the hash when `scheme` is `sha256` or `scrypt` (see
    `outage_notify.config.token_hashes`); the name is who the audit log and the timeline say acted.
    """

    role: Role
    name: str = Field(min_length=1, max_length=100)
    token: SecretStr
    scheme: Scheme = "plain"

    @model_validator(mode="after")
    def _well_formed_hash(self) -> ApiToken:
        if self.scheme != "plain":
            check_hash(self.scheme, self.token.get_secret_value())
        elif not self.token.get_secret_value():
            raise ValueError(f"API token {self.name!r} is empty")
        return self

    def matches(self, presented: str) -> bool:
        """Whether `presented` is this token; constant time whatever the scheme."""
        return token_hashes.matches(
            presented, scheme=self.scheme, stored=self.token.get_secret_value()
        )


# A scheme's name anywhere in a plain token, or a bare SHA-256 digest: never a real token
# (`hash-token --generate` makes URL-safe base64 of 32 random bytes, 43 characters).
_LOOKS_HASHED = re.compile(r"sha-?256|scrypt", re.IGNORECASE)
_SHA256_DIGEST = re.compile(r"[0-9a-fA-F]{64}")


def parse_api_tokens(value: str) -> list[dict[str, Any]]:
    """`API_TOKENS` as the fields of each ApiToken; ValueError names the entry, never its
    secret."""
    tokens = []
    for index, item in enumerate(split_list(value)):
        role, separator, rest = item.partition(":")
        if not separator or not rest:
            raise ValueError(f"API_TOKENS entry {index + 1} is not 'role:token'")
        name = f"{role.strip()}-{index + 1}"
        # `role:sha256:…` is an unnamed hash, not a token named "sha256".
        if split_scheme(rest)[0] == "plain" and ":" in rest:
            name, _, rest = rest.partition(":")
        scheme, token = split_scheme(rest.strip())
        try:
            if scheme != "plain":
                check_hash(scheme, token)
            elif _LOOKS_HASHED.search(token) or _SHA256_DIGEST.fullmatch(token):
                # Meant as a hash but not written as one (`sha-256:`, `sha256=`, no scheme, a
                # typo in it): as a plain token, the hash itself would be the password.
                raise ValueError(
                    "looks like a token hash but is not written as one; write "
                    "role:name:sha256:<64 hex digits> (outage-notify hash-token prints it)"
                )
            elif any(character.isspace() or character == ";" for character in token):
                # Entries are separated by commas: `a;b` or a line break made two one token.
                raise ValueError("a token holds no ';' or whitespace; separate entries with commas")
        except ValueError as error:
            # Says what is wrong with the format; the value itself is never repeated.
            raise ValueError(f"API_TOKENS entry {index + 1}: {error}") from None
        tokens.append(
            {"role": role.strip(), "name": name.strip(), "token": token, "scheme": scheme}
        )
    return tokens


def unique_token_names(tokens: list[ApiToken]) -> list[ApiToken]:
    """`tokens`, unless two share a name: the name is who the audit log says acted."""
    names = [token.name for token in tokens]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(
            f"API token name(s) {', '.join(duplicates)} used twice; names identify who acted"
        )
    return tokens
