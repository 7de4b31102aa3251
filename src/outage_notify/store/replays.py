"""Short-term memory of webhook signatures already accepted, to refuse replays.

A signed request carries a timestamp that must be fresh; within that window an eavesdropper
could still resend it byte for byte, and the signature would verify. Remembering each accepted
signature until its timestamp could no longer pass closes that gap. It lives in the database
(the one store every API process shares, in every mode); the unique key makes two concurrent
deliveries of the same signature race safely: exactly one is accepted.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from outage_notify.store.engine import add_unless_duplicate
from outage_notify.store.tables import SeenSignatureRow


def remember(
    session: Session, *, source: str, signature: str, now: datetime, keep: timedelta
) -> bool:
    """Record `signature` as seen; False if it was already seen within `keep`."""
    # Forgetting is what keeps the table small: a signature older than `keep` has a timestamp
    # the freshness check refuses anyway.
    session.execute(delete(SeenSignatureRow).where(SeenSignatureRow.seen_at < now - keep))
    return add_unless_duplicate(
        session, SeenSignatureRow(source=source, signature=signature, seen_at=now)
    )
