"""Who an incident reached, per audience: the figures `store.coverage` computes in SQL and the
report, the incident API and the CLI show."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DeadlineCoverage:
    """The audience's "acknowledged within N minutes" promise, per recipient asked."""

    minutes: float
    # Acknowledged within `minutes` of the first delivery that asked them.
    met: int
    # Acknowledged later, or not at all and the time is up.
    missed: int
    # Not acknowledged yet, and there is still time.
    pending: int


@dataclass(frozen=True)
class AudienceCoverage:
    """How far one audience's news got: contacts counted once each, broadcasts apart."""

    audience: str
    # Distinct contacts with a delivery in the incident.
    recipients: int
    # Contacts with a message handed to a provider at least once (states sent or delivered).
    sent: int
    # Contacts with a message a provider confirmed delivered.
    delivered: int
    # Contacts who acknowledged (by SMS reply or Slack button).
    acknowledged: int
    # Contacts asked to acknowledge.
    ack_required: int
    # Names of contacts marked unreached, or whose every delivery failed, or whose news went
    # only to a dry run, who have not acknowledged since: call them.
    unreached: tuple[str, ...]
    # Only when the audience's acknowledgement rule has a deadline.
    deadline: DeadlineCoverage | None
    # Broadcast targets (Slack channels, fallback URLs) and how many were posted to.
    broadcasts: int
    broadcasts_sent: int
    # Contacts whose news went only to a dry run (a channel not configured), never out: they
    # are in `unreached`, and this says why.
    dry_run: int = 0
