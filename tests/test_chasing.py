"""Re-notify until reached (pure): what happens to someone who has not acknowledged yet."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from outage_notify.core.models import DeliveryState
from outage_notify.incidents.chasing import (
    Chase,
    Latest,
    Unreached,
    decide,
    next_answerable,
    unreached_message,
)

NOW = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)
FIVE = timedelta(minutes=5)
S = DeliveryState


def latest(
    state: DeliveryState = S.SENT,
    *,
    route: int = 0,
    routes: int = 2,
    channels: tuple[str, ...] = (),
    sent_minutes_ago: float | None = 6,
    ack_required: bool = True,
) -> Latest:
    sent_at = None if sent_minutes_ago is None else NOW - timedelta(minutes=sent_minutes_ago)
    channels = channels or ("sms", "slack", "sms")[:routes]
    return Latest(state, route, channels, sent_at, ack_required)


@pytest.mark.parametrize(
    ("seen", "resolved", "expected"),
    [
        # Still on its way: whatever the clock says, wait for the send to finish.
        (latest(S.PLANNED), False, Chase.WAIT),
        (latest(S.SENDING), False, Chase.WAIT),
        (latest(S.UNKNOWN), False, Chase.WAIT),
        # Out, but the person has had less than renotify_after to answer.
        (latest(S.SENT, sent_minutes_ago=4.9), False, Chase.WAIT),
        (latest(S.DELIVERED, sent_minutes_ago=1), False, Chase.WAIT),
        # Exactly renotify_after, or longer: the next channel.
        (latest(S.SENT, sent_minutes_ago=5), False, Chase.RENOTIFY),
        (latest(S.DELIVERED, sent_minutes_ago=30), False, Chase.RENOTIFY),
        (latest(S.SENT, route=1, routes=3), False, Chase.RENOTIFY),
        # No channel left after this one: give up and tell the lead.
        (latest(S.SENT, route=1, routes=2), False, Chase.UNREACHED),
        (latest(S.DELIVERED, route=0, routes=1), False, Chase.UNREACHED),
        (latest(S.SENT, route=1, routes=2, sent_minutes_ago=2), False, Chase.WAIT),
        # Every channel failed: nothing else to try, at once.
        (latest(S.FAILED, sent_minutes_ago=None), False, Chase.UNREACHED),
        # A dry run told nobody: never taken for delivered, unreached at once.
        (latest(S.DRY_RUN, sent_minutes_ago=None), False, Chase.UNREACHED),
        (latest(S.DRY_RUN, sent_minutes_ago=1), False, Chase.UNREACHED),
        # A newer update (not itself asking) carries the news: it is what gets chased.
        (latest(S.SENT, ack_required=False), False, Chase.RENOTIFY),
        # Resolved: only chased when the resolution itself asks.
        (latest(S.SENT, ack_required=False), True, Chase.WAIT),
        (latest(S.FAILED, ack_required=False), True, Chase.WAIT),
        (latest(S.SENT, ack_required=True), True, Chase.RENOTIFY),
        # Only channels nobody can answer on are left (ntfy, a webhook): the news goes there
        # without the request and the person is unreached at once, not after another wait.
        (latest(channels=("sms", "fallback")), False, Chase.INFORM),
        (latest(channels=("slack", "fallback", "fallback")), False, Chase.INFORM),
        (latest(route=1, channels=("fallback", "fallback")), False, Chase.UNREACHED),
        # A channel that takes an answer further on is asked, the one in between skipped.
        (latest(channels=("sms", "fallback", "slack")), False, Chase.RENOTIFY),
        # Every delivery superseded: nothing left to judge.
        (None, False, Chase.WAIT),
        (latest(S.SUPERSEDED), False, Chase.WAIT),
    ],
)
def test_decide(seen: Latest | None, resolved: bool, expected: Chase) -> None:
    assert decide(seen, renotify_after=FIVE, now=NOW, resolved=resolved) is expected


@pytest.mark.parametrize(
    ("channels", "route", "expected"),
    [
        (("sms", "slack"), 0, 1),
        (("sms", "fallback", "slack"), 0, 2),
        (("sms", "fallback"), 0, None),
        (("fallback", "sms"), 0, 1),
        (("sms", "slack"), 1, None),
    ],
)
def test_the_chase_asks_only_where_a_person_can_answer(
    channels: tuple[str, ...], route: int, expected: int | None
) -> None:
    assert next_answerable(latest(route=route, channels=channels)) == expected


def test_a_send_with_no_recorded_time_is_chased_rather_than_forgotten() -> None:
    seen = latest(S.SENT, sent_minutes_ago=None)

    assert decide(seen, renotify_after=FIVE, now=NOW, resolved=False) is Chase.RENOTIFY


def test_the_leads_list_has_one_line_per_person_with_the_number_to_call() -> None:
    people = [
        Unreached("Silent Sam", "management", "+5521990000004"),
        Unreached("Bia Reis", "partners"),
    ]

    assert unreached_message(people) == (
        "Silent Sam (management) +5521990000004\nBia Reis (partners)"
    )
