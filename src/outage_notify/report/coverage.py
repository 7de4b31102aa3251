"""Who an incident reached, per audience: the figures `store.coverage` computes in SQL and the
report, the incident API and the CLI show."""

from __future__ import annotations

from dataclasses import dataclass, field


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
class CalledContact:
    """Someone listed unreached after voice escalation's calls rang `calls` times unanswered
    (calls Twilio refused to place are not counted: they never rang)."""

    name: str
    calls: int


@dataclass(frozen=True)
class CallCoverage:
    """Voice escalation's phone calls to one audience's contacts (`voice_calls`, one row a call).

    Answered: a person picked up (pressed 1, or hung up without); a voicemail greeting is not.
    """

    # Contacts phoned at least once.
    people: int = 0
    # Calls Twilio took, or may have (it did not answer the request): all but the refused.
    placed: int = 0
    answered: int = 0
    # Answered and pressed 1: acknowledged by keypress.
    confirmed: int = 0
    no_answer: int = 0
    busy: int = 0
    voicemail: int = 0
    # Twilio refused to place the call, or reported it failed.
    failed: int = 0
    # Placed (or about to be) with no outcome reported yet.
    in_progress: int = 0
    # Contacts still unreached once their calls ended without a keypress (VOICE_MAX_CALLS).
    unreached: tuple[CalledContact, ...] = ()


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
    # The audience's phone calls (voice escalation); zeros when nobody was phoned.
    calls: CallCoverage = field(default_factory=CallCoverage)
