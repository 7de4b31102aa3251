"""A batch's outcomes come back from the database as they were written, whatever the text.

PostgreSQL writes them as binary arrays through `unnest` (store/batch_sql.py), SQLite as an
executemany: the texts a provider hands back (error texts with quotes, braces, backslashes,
commas, any script) and the times (microseconds, any offset) must survive both unchanged.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from outage_notify.core.models import ChannelName, DeliveryState
from outage_notify.delivery.send import Outcome, Result, Step
from outage_notify.store import deliveries as delivery_store
from outage_notify.store.engine import transaction
from outage_notify.store.tables import AttemptRow, DeliveryRow
from tests.fixtures.databases import Sessions
from tests.store.test_store import _plan

# No NUL (PostgreSQL text cannot hold it; `storable` removes it before anything is written)
# and no lone surrogates (not encodable); the array syntax's own words and characters on
# purpose (a bare NULL is the text format's null).
_TEXT = st.lists(
    st.one_of(
        st.sampled_from(["NULL", "null", '""', "{}", "\\", ",", " ", "'", "\n", "\t"]),
        st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=8),
    ),
    max_size=5,
).map("".join)
_TIMES = st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2100, 1, 1),
    timezones=st.sampled_from(
        [UTC, timezone(timedelta(hours=-3)), timezone(timedelta(hours=5, minutes=45))]
    ),
)


_RESULTS: tuple[Result, ...] = ("sent", "transient", "permanent", "unknown")


@st.composite
def _outcome(draw: st.DrawFn, delivery_id: int) -> tuple[Outcome, Step]:
    result = draw(st.sampled_from(_RESULTS))
    started = draw(_TIMES)
    outcome = Outcome(
        delivery_id,
        ChannelName.SMS,
        draw(_TEXT.filter(bool)),
        started,
        draw(_TIMES),
        result,
        provider_id=draw(_TEXT),
        error_code=draw(_TEXT),
        error_text=draw(_TEXT),
    )
    state = DeliveryState.SENT if result == "sent" else DeliveryState.PLANNED
    retry = None if result == "sent" else draw(st.none() | _TIMES)
    return outcome, Step(state, draw(st.integers(0, 3)), draw(st.integers(0, 9)), retry)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_recorded_outcomes_read_back_unchanged(sessions: Sessions, data: st.DataObject) -> None:
    ids = _plan(sessions, 3)
    results = [data.draw(_outcome(delivery_id)) for delivery_id in ids]
    now = datetime(2026, 12, 6, 18, 0, 0, 1, tzinfo=UTC)
    with transaction(sessions) as session:
        delivery_store.record(session, results, now=now)
    with sessions() as session:
        attempts = session.scalars(
            select(AttemptRow).where(AttemptRow.delivery_id.in_(ids)).order_by(AttemptRow.id)
        ).all()
        rows = [session.get_one(DeliveryRow, i) for i in ids]
    assert [
        (a.address, a.started_at, a.finished_at, a.provider_id, a.error_code, a.error_text)
        for a in attempts
    ] == [
        (o.address, o.started_at, o.finished_at, o.provider_id, o.error_code, o.error_text)
        for o, _ in results
    ]
    for row, (outcome, step) in zip(rows, results, strict=True):
        assert (row.state, row.route_index, row.attempts_on_route, row.next_attempt_at) == (
            step.state.value,
            step.route_index,
            step.attempts_on_route,
            step.next_attempt_at,
        )
        sent = outcome.result == "sent"
        assert row.provider_id == (outcome.provider_id if sent else "")
        assert row.sent_at == (outcome.finished_at if sent else None)
        expected_error = "" if sent else f"{outcome.error_code} {outcome.error_text}".strip()
        assert row.error == expected_error
        assert row.updated_at == now
