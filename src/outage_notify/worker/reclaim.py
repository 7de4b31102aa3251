"""The claim reconciler: hands the claims of a dead worker to reconciliation, every heartbeat.

Run by beat every WORKER_HEARTBEAT_SECONDS, apart from the sweep (whose lost-task scan of a
large fan-out is too heavy to repeat that often): one indexed query on `state = 'sending'`
and one Redis round trip. The rule itself is in stale_claims.py.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from outage_notify.delivery.stale_claims import judge
from outage_notify.store import claims as claim_store
from outage_notify.store.engine import transaction
from outage_notify.worker.runtime import WorkerRuntime

log = logging.getLogger(__name__)
# More claims than this in flight at once is far beyond workers x batch size; the oldest first.
CLAIMS_PER_ROUND = 10_000


def reclaim(runtime: WorkerRuntime) -> list[int]:
    """Mark lost claims `unknown`; return their ids to dispatch (a lookup, never a blind resend)."""
    settings = runtime.settings
    with transaction(runtime.sessions) as session:
        claims = claim_store.sending(session, limit=CLAIMS_PER_ROUND)
    if not claims:
        return []
    liveness = runtime.liveness(c.owner for c in claims if c.owner)
    now = runtime.clock.now()
    verdict = judge(
        claims,
        liveness=liveness,
        now=now,
        dead_after=runtime.heartbeat().dead_after,
        timeout=timedelta(seconds=settings.sending_timeout_seconds),
    )
    if verdict.overdue_live:
        log.warning(
            "%s deliveries sending for over %ss by live workers (%s); kept: their worker beats",
            len(verdict.overdue_live),
            settings.sending_timeout_seconds,
            ", ".join(sorted({c.owner for c in verdict.overdue_live})),
        )
    if not verdict.reconcile:
        return []
    with transaction(runtime.sessions) as session:
        moved = claim_store.mark_unknown(session, verdict.reconcile, now=now)
    if moved:
        log.warning(
            "claims reconciled: %s of dead workers (%s), %s timed out",
            len(verdict.dead_owner),
            ", ".join(sorted({c.owner for c in verdict.dead_owner})) or "none",
            len(verdict.timed_out),
        )
    return moved
