"""What a staff command's sender is told, for Slack and for SMS (pure).

A reply is a headline (what was done, or why not, in one sentence) and the incident's state
after it: id, title, phase, severity, ETA, next update, last update, times in the service's
time zone. An SMS reply always fits in two segments; Slack gets the whole text and the parts
to build blocks from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from outage_notify.core.records import IncidentRecord, UpdateRecord
from outage_notify.messages.catalogs import N_, Words
from outage_notify.messages.filters import format_time
from outage_notify.messages.sms_encoding import sms_segments
from outage_notify.messages.transliteration import transliterate_sms

Channel = Literal["slack", "sms"]
# done: the command ran (or showed the status); refused: the sender's role may not run it;
# failed: nothing to run it on, or text that is not a command (the reply says which).
Outcome = Literal["done", "refused", "failed"]
MAX_SMS_SEGMENTS = 2
SMS_HELP = N_(
    "STATUS | ETA 14:30 or +45m | UPDATE <text> | RESOLVE [text] | NOTE <text>."
    " Start with #<id> if several incidents are open."
)


@dataclass(frozen=True)
class IncidentFacts:
    """The incident as a reply shows it; times already in the service's time zone."""

    id: int
    title: str
    service: str
    phase: str
    severity: str
    eta: str
    next_update: str
    # "eta_changed 14:02 by ana: text" — what stakeholders heard last; "" if nothing yet.
    last_update: str
    # The zone the times are in (settings.timezone), for readers in another one.
    timezone: str = "UTC"


@dataclass(frozen=True)
class CommandReply:
    """What the sender is told: `text` for the channel, plus the parts Slack blocks show."""

    text: str
    outcome: Outcome
    # What was done or why not, in one sentence.
    headline: str
    verb: str = ""
    incident: IncidentFacts | None = None
    update_id: int | None = None

    @property
    def incident_id(self) -> int | None:
        return self.incident.id if self.incident is not None else None


def describe(
    row: IncidentRecord,
    last: UpdateRecord | None,
    *,
    zone: ZoneInfo,
    now: datetime,
    words: Words | None = None,
) -> IncidentFacts:
    """The reply's view of an incident and the last update stakeholders got, in the
    language of `words` (the organisation's, DEFAULT_LOCALE; English without it)."""
    words = words or Words()

    def local(moment: datetime | None) -> str:
        return format_time(moment, zone=zone, now=now, locale=words.locale) if moment else ""

    last_update = ""
    if last is not None:
        message = f": {last.message}" if last.message else ""
        last_update = words(
            "%(kind)s %(time)s by %(actor)s%(message)s",
            kind=last.kind,
            time=local(last.created_at),
            actor=last.created_by,
            message=message,
        )
    return IncidentFacts(
        id=row.id,
        title=row.title,
        service=row.service,
        phase=row.phase,
        severity=row.severity,
        eta=local(row.eta),
        next_update=local(row.next_update_at),
        last_update=last_update,
        timezone=zone.key,
    )


def slack_text(headline: str, shown: IncidentFacts | None, *, words: Words | None = None) -> str:
    """Plain text of a Slack reply (the notification and accessibility fallback of blocks)."""
    if shown is None:
        return headline
    words = words or Words()
    state = words(
        "#%(id)s %(title)s (%(service)s): %(phase)s, %(severity)s; ETA %(eta)s; next update "
        "%(next)s.",
        id=shown.id,
        title=shown.title,
        service=shown.service,
        phase=shown.phase,
        severity=shown.severity,
        eta=shown.eta or words("not set"),
        next=shown.next_update or words("none promised"),
    )
    return f"{headline} {state}".strip()


def sms_text(
    headline: str,
    shown: IncidentFacts | None,
    *,
    transliterate: bool = False,
    words: Words | None = None,
) -> str:
    """A reply that fits in two SMS segments: the headline, then as much state as fits."""
    words = words or Words()
    parts = [headline]
    if shown is not None:
        parts.append(f"#{shown.id} {shown.title[:60]}: {shown.phase}, {shown.severity}.")
        parts.append(words("ETA %(eta)s.", eta=shown.eta or words("not set")))
        if shown.next_update:
            parts.append(words("Next update %(time)s.", time=shown.next_update))
    text = " ".join(part for part in parts if part)
    if transliterate:
        text = transliterate_sms(text)
    if sms_segments(text) > MAX_SMS_SEGMENTS:
        # A long title or an emoji (UCS-2: 134 characters in two segments): cut to fit.
        while text and sms_segments(text + "...") > MAX_SMS_SEGMENTS:
            text = text[:-1]
        text = text.rstrip() + "..."
    return text
