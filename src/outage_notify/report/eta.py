"""ETA accuracy: every ETA given, against when the incident was actually resolved (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from outage_notify.core.models import UpdateKind
from outage_notify.core.records import EtaRecord, UpdateRecord
from outage_notify.report.model import EtaAccuracy, EtaOutcome, EtaSource

# Resolving within this of the ETA counts as on time: nobody plans to the second.
ON_TIME = timedelta(minutes=5)


@dataclass(frozen=True)
class _Given:
    set_at: datetime
    set_by: str
    eta: datetime | None
    announced: bool


def etas_given(
    eta_history: Sequence[EtaRecord], updates: Sequence[UpdateRecord]
) -> tuple[EtaSource, list[_Given]]:
    """The ETAs from eta_history; for incidents older than that table, the ETA changes the
    stakeholder updates announced."""
    if eta_history:
        rows = sorted(eta_history, key=lambda e: (e.set_at, e.id or 0))
        return "eta_history", [_Given(e.set_at, e.set_by, e.eta, bool(e.announced)) for e in rows]
    given: list[_Given] = []
    previous: datetime | None = None
    for update in updates:
        # A resolution repeats the last ETA; reminders go to the lead only.
        if update.kind == UpdateKind.RESOLVED.value or update.recipients:
            continue
        if update.eta != previous:
            given.append(_Given(update.created_at, update.created_by, update.eta, True))
            previous = update.eta
    return ("updates" if given else "none"), given


def judge(
    eta: datetime | None, *, resolved_at: datetime | None, now: datetime
) -> tuple[EtaOutcome, float | None]:
    """How one ETA turned out, and by how many seconds (positive = late)."""
    if eta is None:
        return "cleared", None
    if resolved_at is not None:
        delta = resolved_at - eta
        if abs(delta) <= ON_TIME:
            return "on_time", delta.total_seconds()
        return ("late" if delta > ON_TIME else "early"), delta.total_seconds()
    if now > eta:
        return "overrun", (now - eta).total_seconds()
    return "open", None


def eta_accuracy(
    eta_history: Sequence[EtaRecord],
    updates: Sequence[UpdateRecord],
    *,
    resolved_at: datetime | None,
    now: datetime,
) -> tuple[EtaSource, list[EtaAccuracy]]:
    """Each ETA given, early or late against the resolution (or overrun if still open)."""
    source, given = etas_given(eta_history, updates)
    judged = []
    for item in given:
        outcome, error = judge(item.eta, resolved_at=resolved_at, now=now)
        judged.append(
            EtaAccuracy(
                set_at=item.set_at,
                set_by=item.set_by,
                eta=item.eta,
                announced=item.announced,
                outcome=outcome,
                error_seconds=error,
            )
        )
    return source, judged
