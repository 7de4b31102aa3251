"""Voice escalation's calls in an incident's coverage: one grouped query on `voice_calls`.

The calls carry no audience of their own: each names the delivery it is about, whose audience
it counts under (the same as the person's other deliveries). One query folds the incident's
calls into (audience, person, state) counts, using the incident_id index and the deliveries'
primary key; an incident without calls costs one empty index lookup.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from outage_notify.incidents.voice_escalation import IN_FLIGHT, CallState
from outage_notify.report.coverage import CallCoverage, CalledContact
from outage_notify.store.tables import DeliveryRow, VoiceCallRow

IN_FLIGHT_STATES = frozenset(state.value for state in IN_FLIGHT)


@dataclass
class PersonCalls:
    """One person's calls about the incident, by state."""

    states: Counter[str] = field(default_factory=Counter)
    # Calls Twilio refused to place (failed without a call sid): attempts, but never rang.
    refused: int = 0

    @property
    def total(self) -> int:
        return sum(self.states.values())

    @property
    def placed(self) -> int:
        """Calls that rang, or may have: not a claim not yet handed to Twilio, nor refused."""
        return self.total - self.states[CallState.CLAIMED.value] - self.refused

    @property
    def ended_unanswered(self) -> bool:
        """Every call over, at least one rang, none acknowledged by keypress."""
        acknowledged = self.states[CallState.ACKNOWLEDGED.value]
        ringing = any(self.states[s] for s in IN_FLIGHT_STATES)
        return self.placed > 0 and not acknowledged and not ringing


def calls_by_audience(session: Session, incident_id: int) -> dict[str, dict[str, PersonCalls]]:
    """Audience -> recipient key -> their calls, for one incident."""
    c = VoiceCallRow
    refused = and_(c.state == CallState.FAILED.value, c.call_sid == "")
    rows = session.execute(
        select(
            DeliveryRow.audience,
            c.recipient_key,
            c.state,
            func.count(),
            func.sum(case((refused, 1), else_=0)),
        )
        .join(DeliveryRow, DeliveryRow.id == c.delivery_id)
        .where(c.incident_id == incident_id)
        .group_by(DeliveryRow.audience, c.recipient_key, c.state)
    ).all()
    found: dict[str, dict[str, PersonCalls]] = {}
    for audience, key, state, count, not_placed in rows:
        person = found.setdefault(audience, {}).setdefault(key, PersonCalls())
        person.states[state] += int(count)
        person.refused += int(not_placed or 0)
    return found


def call_coverage(people: Mapping[str, PersonCalls], unreached: Mapping[str, str]) -> CallCoverage:
    """One audience's call figures; `unreached` maps the audience's unreached recipient keys to
    their names (`store.coverage`), so a person is listed only while coverage lists them."""
    states: Counter[str] = Counter()
    for person in people.values():
        states.update(person.states)
    confirmed = states[CallState.ACKNOWLEDGED.value]
    return CallCoverage(
        people=len(people),
        placed=sum(person.placed for person in people.values()),
        answered=confirmed + states[CallState.COMPLETED.value],
        confirmed=confirmed,
        no_answer=states[CallState.NO_ANSWER.value],
        busy=states[CallState.BUSY.value],
        voicemail=states[CallState.MACHINE.value],
        failed=states[CallState.FAILED.value],
        in_progress=sum(states[state] for state in IN_FLIGHT_STATES),
        unreached=tuple(
            sorted(
                (
                    CalledContact(name=name, calls=people[key].placed)
                    for key, name in unreached.items()
                    if key in people and people[key].ended_unanswered
                ),
                key=lambda called: called.name,
            )
        ),
    )
