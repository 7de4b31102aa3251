"""API tokens kept as hashes, so the configuration holds no token anyone could use.

An `API_TOKENS` entry names its role and holder and then gives the token itself or a hash of it:

- `role:name:<token>`: the plain token (development; still accepted everywhere).
- `role:name:sha256:<64 hex digits>`: SHA-256 of the token. The right choice for the random
  tokens `outage-notify hash-token --generate` makes (32 random bytes): nobody can search back
  from a hash of that much entropy, and checking one costs microseconds, so a flood of
  requests with wrong tokens costs the service nothing.
- `role:name:scrypt:<log2 N>:<r>:<p>:<salt, base64>:<hash, base64>`: `hashlib.scrypt`, for a
  token a person chose (a guessable one is then expensive to search for). Each request runs
  scrypt once per such entry (about 50 ms at the default N = 2**14), wrong token or not, so
  keep them few and never use one for a busy monitoring webhook.

Every check compares in constant time (`hmac.compare_digest`), and callers check a presented
token against every configured entry, so timing tells nothing about which one nearly matched.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from typing import Literal

Scheme = Literal["plain", "sha256", "scrypt"]
HASH_SCHEMES: tuple[Scheme, ...] = ("sha256", "scrypt")
# OWASP's scrypt minimum (N=2**17, r=8) needs 128 MiB per check; 2**14 keeps one check at
# 16 MiB and tens of milliseconds, which is what a request-path check can afford.
SCRYPT_LOG2_N = 14
SCRYPT_R = 8
SCRYPT_P = 1
_SCRYPT_MAXMEM = 64 * 1024 * 1024


def generate_token() -> str:
    """A new random token (32 bytes, URL-safe base64): safe to store as a plain SHA-256."""
    return secrets.token_urlsafe(32)


def split_scheme(value: str) -> tuple[Scheme, str]:
    """(`sha256`|`scrypt`, the hash) when `value` starts with a hash scheme, else plain.

    The scheme is read as loosely as people write it (` sha256 :`, `SHA256:`): read strictly,
    `admin: sha256:<hex>` was a plain token whose value was the hash, and whoever could read
    the configuration could use it."""
    scheme, separator, rest = value.partition(":")
    for known in HASH_SCHEMES:
        if separator and scheme.strip().lower() == known:
            return known, rest.strip()
    return "plain", value


def check_hash(scheme: Scheme, stored: str) -> None:
    """Raise ValueError (naming the format, never the value) if `stored` is malformed."""
    if scheme == "sha256":
        if len(stored) != 64 or not _is_hex(stored):
            raise ValueError("a sha256 token hash is 64 hexadecimal digits")
    elif scheme == "scrypt":
        _scrypt_parts(stored)


def hash_token(token: str, *, scheme: Scheme = "sha256") -> str:
    """`scheme:hash` of `token`, to put after `role:name:` in API_TOKENS."""
    if scheme == "sha256":
        return f"sha256:{hashlib.sha256(token.encode()).hexdigest()}"
    if scheme == "scrypt":
        salt = secrets.token_bytes(16)
        digest = _scrypt(token.encode(), salt, SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P)
        return f"scrypt:{SCRYPT_LOG2_N}:{SCRYPT_R}:{SCRYPT_P}:{_b64(salt)}:{_b64(digest)}"
    raise ValueError(f"unknown token hash scheme {scheme!r}; use sha256 or scrypt")


def matches(presented: str, *, scheme: Scheme, stored: str) -> bool:
    """Whether `presented` is the token `stored` holds (in plain or as a hash); constant time."""
    candidate = presented.encode()
    if scheme == "plain":
        return hmac.compare_digest(candidate, stored.encode())
    if scheme == "sha256":
        return hmac.compare_digest(hashlib.sha256(candidate).hexdigest(), stored.lower())
    log2_n, r, p, salt, expected = _scrypt_parts(stored)
    return hmac.compare_digest(_scrypt(candidate, salt, log2_n, r, p), expected)


def _scrypt(secret: bytes, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(secret, salt=salt, n=2**log2_n, r=r, p=p, maxmem=_SCRYPT_MAXMEM, dklen=32)


def _scrypt_parts(stored: str) -> tuple[int, int, int, bytes, bytes]:
    problem = "a scrypt token hash is log2N:r:p:salt:hash (from `outage-notify hash-token`)"
    parts = stored.split(":")
    if len(parts) != 5:
        raise ValueError(problem)
    try:
        log2_n, r, p = (int(part) for part in parts[:3])
        salt, digest = (base64.b64decode(part, validate=True) for part in parts[3:])
    except (ValueError, binascii.Error):
        raise ValueError(problem) from None
    # Bounds keep a typo from turning every request into a gigabyte-sized computation.
    if not (10 <= log2_n <= 20 and 1 <= r <= 32 and 1 <= p <= 4 and salt and len(digest) == 32):
        raise ValueError(problem + " with 10 <= log2N <= 20, 1 <= r <= 32, 1 <= p <= 4")
    if 128 * r * 2**log2_n > _SCRYPT_MAXMEM // 2:
        raise ValueError(problem + f" needing at most {_SCRYPT_MAXMEM // 2 // 2**20} MiB")
    return log2_n, r, p, salt, digest


def _is_hex(value: str) -> bool:
    return all(character in "0123456789abcdefABCDEF" for character in value)


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()
