"""Writing a batch's outcomes, again and again while the database is away.

By the time a batch's outcomes are known its messages have left: an outcome that is not
written leaves its deliveries `sending`, and after the sending timeout they are reconciled,
which for a target that keeps no record (Apprise) means sent again. So the worker keeps the
outcomes in memory and retries the write with backoff for `OUTCOME_WRITE_RETRY_SECONDS`
before it gives up (and the sweeper's reconciliation takes over, as before).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from outage_notify.core.clock import SYSTEM_CLOCK, Clock
from outage_notify.core.models import ChannelName
from outage_notify.delivery.send import Outcome, Step
from outage_notify.store import acknowledgements
from outage_notify.store import deliveries as delivery_store
from outage_notify.store.engine import transaction

log = logging.getLogger(__name__)
# Backoff between tries: from the first to the cap, doubling. The cap keeps the write close
# behind the database's return, so the outcomes land before anything reconciles them.
FIRST_WAIT_SECONDS = 0.5
MAX_WAIT_SECONDS = 4.0


def database_away(error: Exception) -> bool:
    """Whether `error` says the database could not be reached, rather than refused the write."""
    if isinstance(error, OperationalError):
        return True
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


def write_outcomes(
    sessions: sessionmaker[Session],
    results: Sequence[tuple[Outcome, Step]],
    *,
    retry_seconds: float,
    clock: Clock = SYSTEM_CLOCK,
) -> int:
    """Record `results`; return how many tries it took.

    Raises the database's error when it is still away after `retry_seconds`, or at once for an
    error that is not about reaching it.
    """
    deadline = clock.monotonic() + retry_seconds
    texted = [
        (outcome.address, outcome.started_at)
        for outcome, _ in results
        if outcome.channel in {ChannelName.SMS.value, ChannelName.WHATSAPP.value}
        and outcome.result == "sent"
    ]
    wait = FIRST_WAIT_SECONDS
    tries = 0
    while True:
        tries += 1
        try:
            with transaction(sessions) as session:
                delivery_store.record(session, results, now=clock.now())
                early = acknowledgements.acknowledge_early_replies(session, texted)
        except DBAPIError as error:
            if not database_away(error) or clock.monotonic() + wait > deadline:
                log.error(
                    "could not write the outcomes of %s deliveries after %s tries: %s",
                    len(results),
                    tries,
                    type(error).__name__,
                )
                raise
            log.warning(
                "database unreachable writing %s outcomes (try %s, %s); trying again in %.1f s",
                len(results),
                tries,
                type(error).__name__,
                wait,
            )
            clock.wait(wait)
            wait = min(wait * 2, MAX_WAIT_SECONDS)
            continue
        if tries > 1:
            log.warning("wrote the outcomes of %s deliveries at try %s", len(results), tries)
        for acked in early:
            log.info(
                "an SMS reply that came before its send was recorded acknowledged delivery %s",
                acked.delivery_id,
            )
        return tries
