"""Voice escalation's calls in the database: claim a slot, record what Twilio said.

`claim` is an INSERT under the unique (incident, recipient, attempt): the one transaction that
commits it places that call; any other (a racing check, a redelivered task) gets None and
places nothing. Outcomes are conditional UPDATEs from an in-flight state, so a late or
repeated status callback never overwrites an acknowledgement.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from outage_notify.incidents.voice_escalation import IN_FLIGHT, Call, CallState
from outage_notify.store.engine import add_unless_duplicate
from outage_notify.store.tables import VoiceCallRow

IN_FLIGHT_VALUES = tuple(state.value for state in IN_FLIGHT)


def calls_for(session: Session, incident_id: int, recipient_key: str) -> list[VoiceCallRow]:
    """A person's calls about an incident, first attempt first."""
    return list(
        session.scalars(
            select(VoiceCallRow)
            .where(
                VoiceCallRow.incident_id == incident_id,
                VoiceCallRow.recipient_key == recipient_key,
            )
            .order_by(VoiceCallRow.attempt)
        )
    )


def as_calls(rows: list[VoiceCallRow]) -> list[Call]:
    """The rows as the pure decision reads them."""
    return [
        Call(state=CallState(row.state), claimed_at=row.claimed_at, ended_at=row.ended_at)
        for row in rows
    ]


def claim(
    session: Session,
    *,
    incident_id: int,
    delivery_id: int,
    recipient_key: str,
    attempt: int,
    phone: str,
    now: datetime,
) -> VoiceCallRow | None:
    """Take call slot `attempt` for a person; None when someone else took it first."""
    row = VoiceCallRow(
        incident_id=incident_id,
        delivery_id=delivery_id,
        recipient_key=recipient_key,
        attempt=attempt,
        phone=phone,
        state=CallState.CLAIMED.value,
        call_sid="",
        answered_by="",
        error="",
        claimed_at=now,
    )
    return row if add_unless_duplicate(session, row) else None


def placed(session: Session, call_id: int, *, sid: str, error: str = "") -> None:
    """Twilio took the call (sid), or may have (error, no sid). A status callback may have
    beaten this (Twilio reports as soon as the call ends): the outcome stays, the sid is kept."""
    session.execute(
        update(VoiceCallRow)
        .where(VoiceCallRow.id == call_id)
        .values(call_sid=sid, error=error[:300])
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(VoiceCallRow)
        .where(VoiceCallRow.id == call_id, VoiceCallRow.state == CallState.CLAIMED.value)
        .values(state=CallState.PLACED.value)
        .execution_options(synchronize_session=False)
    )


def ended(
    session: Session,
    call_id: int,
    *,
    state: CallState,
    now: datetime,
    answered_by: str = "",
    error: str = "",
) -> bool:
    """Record a call's outcome once; False if it already had one."""
    values: dict[str, object] = {"state": state.value, "ended_at": now}
    if answered_by:
        values["answered_by"] = answered_by[:30]
    if error:
        values["error"] = error[:300]
    result = session.execute(
        update(VoiceCallRow)
        .where(VoiceCallRow.id == call_id, VoiceCallRow.state.in_(IN_FLIGHT_VALUES))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


def get(session: Session, call_id: int) -> VoiceCallRow | None:
    """One call by id."""
    return session.get(VoiceCallRow, call_id)


def acknowledged(session: Session, call_id: int, *, now: datetime) -> None:
    """The person pressed 1: whatever the call's other outcome, it reached them."""
    session.execute(
        update(VoiceCallRow)
        .where(VoiceCallRow.id == call_id)
        .values(state=CallState.ACKNOWLEDGED.value, ended_at=now)
        .execution_options(synchronize_session=False)
    )


def release(session: Session, call_id: int) -> None:
    """Give back a claim that was never placed (no rate-limit token): the slot is free again."""
    session.execute(
        delete(VoiceCallRow).where(
            VoiceCallRow.id == call_id,
            VoiceCallRow.state == CallState.CLAIMED.value,
            VoiceCallRow.call_sid == "",
        )
    )
