"""Slack's proof that a request comes from our Slack app: its signing secret.

Slack signs every interactivity payload and slash command with the app's signing secret
(`X-Slack-Signature: v0=HMAC-SHA256("v0:<timestamp>:<raw body>")`) and sends the timestamp in
`X-Slack-Request-Timestamp`. The route dependency that applies this (freshness, replays, the
403 answers) is `api/slack_auth.py`.
"""

from __future__ import annotations

import hmac

from slack_sdk.signature import SignatureVerifier

SIGNATURE_HEADER = "X-Slack-Signature"
TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
# Slack's documented window (and slack_sdk's): older requests may be replays.
MAX_AGE_SECONDS = 5 * 60


def signature_matches(secret: str, *, timestamp: str, body: str, presented: str) -> bool:
    """Whether `presented` is the signature Slack makes of `body` at `timestamp` with `secret`."""
    expected = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    return expected is not None and hmac.compare_digest(expected.encode(), presented.encode())
