"""Which `sending` claims lost their worker: the pure rule behind the claim reconciler.

A claim names the worker process that made it; each process keeps a heartbeat alive (see
worker/heartbeat.py). A claim whose owner stopped beating is reconciled at once; a claim whose
owner still beats is kept however long its send takes (a batch behind a slow provider or a
tight rate limit can outlast SENDING_TIMEOUT_SECONDS); and when the heartbeats cannot be read,
or a claim has no owner (made before owners were recorded, or while its worker could not beat),
the old timeout decides. Reconciled means "outcome unknown": looked up at the provider, never
blindly resent (delivery.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Claim:
    """One delivery in `sending`: who claimed it and when (its `updated_at` at the claim)."""

    delivery_id: int
    owner: str  # "" when unknown
    since: datetime


@dataclass(frozen=True)
class Liveness:
    """What the heartbeats said at one moment.

    `watched_for` is how long the heartbeat store has been written without a gap (a Redis
    restart or flush resets it). Only once it covers a whole time-to-live does a missing
    heartbeat mean a dead worker; before that it may only mean "not written again yet".
    None: the store could not be read, so absence means nothing.
    """

    live: frozenset[str]
    watched_for: timedelta | None


@dataclass
class Verdict:
    """The claims to reconcile now, and why; and live claims past the timeout (kept)."""

    dead_owner: list[Claim] = field(default_factory=list)
    timed_out: list[Claim] = field(default_factory=list)
    overdue_live: list[Claim] = field(default_factory=list)

    @property
    def reconcile(self) -> list[Claim]:
        return sorted(self.dead_owner + self.timed_out, key=lambda c: c.delivery_id)


def judge(
    claims: Iterable[Claim],
    *,
    liveness: Liveness,
    now: datetime,
    dead_after: timedelta,
    timeout: timedelta,
) -> Verdict:
    """Sort claims into dead-owner, timed-out, overdue-but-live (kept) and fine (not listed)."""
    trusted = liveness.watched_for is not None and liveness.watched_for >= dead_after
    verdict = Verdict()
    for claim in claims:
        overdue = now - claim.since > timeout
        if claim.owner and claim.owner in liveness.live:
            # A slow but live worker keeps its claims: reconciling them while its send is in
            # flight could look the message up before the provider has it, and resend it.
            if overdue:
                verdict.overdue_live.append(claim)
        elif claim.owner and trusted:
            verdict.dead_owner.append(claim)
        elif overdue:
            verdict.timed_out.append(claim)
    return verdict
