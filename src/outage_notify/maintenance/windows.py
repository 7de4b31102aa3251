"""What a maintenance window is and what time does to it (pure: the caller passes `now`).

A window moves scheduled → active → (verifying →) completed, or is cancelled before it ends.
Every announcement is a *step* with a key ("scheduled", "reminder_24", "started",
"extended_1", "completed"); the store writes one row per (window, key) under a unique key,
so a step is taken once even when two beat ticks race.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

# A start this far in the past is still accepted: the form took a minute to fill in.
START_GRACE = timedelta(minutes=5)
# Longer than this is not maintenance but an outage someone planned; staff split it.
MAX_DURATION = timedelta(days=7)
# Further ahead than this is a typo in the year.
MAX_LEAD = timedelta(days=366)
# How far a failing probe at the end pushes the end, each time (announced as "extended").
PROBE_EXTENSION = timedelta(minutes=30)
# The actor of the steps time takes (on the timeline and the announcements).
ACTOR = "maintenance"


class WindowState(StrEnum):
    SCHEDULED = "scheduled"
    ACTIVE = "active"
    # The end has come and the window waits for a passing mail probe (require_probes).
    VERIFYING = "verifying"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


OPEN_STATES = frozenset({WindowState.SCHEDULED, WindowState.ACTIVE, WindowState.VERIFYING})
# States in which alerts of the window's service and components are silenced.
SILENCING_STATES = frozenset({WindowState.ACTIVE, WindowState.VERIFYING})


class StepKind(StrEnum):
    """The message kinds of maintenance, as the templates name them."""

    SCHEDULED = "maintenance_scheduled"
    REMINDER = "maintenance_reminder"
    STARTED = "maintenance_started"
    COMPLETED = "maintenance_completed"
    EXTENDED = "maintenance_extended"


@dataclass(frozen=True)
class Window:
    """The facts of a window that decide what is due."""

    id: int
    service: str
    components: tuple[str, ...]
    starts_at: datetime
    ends_at: datetime
    state: WindowState
    require_probes: bool
    created_at: datetime


@dataclass(frozen=True)
class Step:
    """One announcement to take: its unique key, kind, and the hours of a reminder."""

    key: str
    kind: StepKind
    hours: int | None = None


def schedule_problem(
    *, starts_at: datetime, ends_at: datetime, now: datetime
) -> tuple[str, str] | None:
    """(field, sentence) when a new window's times cannot be right; None when they can."""
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        return ("start", "times need a zone offset, such as 2026-12-06T22:00:00-03:00")
    if ends_at <= starts_at:
        return ("end", "field 'end' must be after 'start'")
    if starts_at < now - START_GRACE:
        return ("start", "field 'start' is in the past; a window starts now or later")
    if starts_at > now + MAX_LEAD:
        return ("start", "field 'start' is more than a year ahead")
    if ends_at - starts_at > MAX_DURATION:
        return ("end", "a window lasts at most 7 days; schedule several")
    return None


def extension_problem(window: Window, *, new_end: datetime, now: datetime) -> str | None:
    """The sentence refusing an extension to `new_end`; None when it may be taken."""
    if window.state not in OPEN_STATES:
        return f"maintenance {window.id} is {window.state.value}; only an open window is extended"
    if new_end.tzinfo is None:
        return "field 'end' needs a zone offset, such as 2026-12-06T23:00:00-03:00"
    if new_end <= window.ends_at:
        return "field 'end' must be after the current end"
    if new_end <= now:
        return "field 'end' is in the past"
    if new_end - window.starts_at > MAX_DURATION:
        return "a window lasts at most 7 days; schedule another"
    return None


def reminder_steps(
    hours: Sequence[int], *, starts_at: datetime, scheduled_at: datetime
) -> list[tuple[Step, datetime]]:
    """The window's reminders and when each is due, earliest first; those already past when
    the window was scheduled are left out (nobody is reminded of what they just heard)."""
    found = []
    for hour in sorted(set(hours), reverse=True):
        due = starts_at - timedelta(hours=hour)
        if due >= scheduled_at:
            found.append((Step(f"reminder_{hour}", StepKind.REMINDER, hour), due))
    return found


def due_steps(
    window: Window, *, now: datetime, reminder_hours: Sequence[int], taken: Iterable[str]
) -> tuple[list[Step], list[Step]]:
    """(steps to announce, steps to count as taken silently) before and at the start.

    A worker that was down through several reminders sends one, the latest, and counts the
    earlier ones as taken; once the window started no reminder is sent at all.
    """
    done = set(taken)
    if window.state is not WindowState.SCHEDULED:
        return [], []
    announce: list[Step] = []
    if "scheduled" not in done:
        announce.append(Step("scheduled", StepKind.SCHEDULED))
    reminders = [
        step
        for step, due in reminder_steps(
            reminder_hours, starts_at=window.starts_at, scheduled_at=window.created_at
        )
        if due <= now and step.key not in done
    ]
    silent: list[Step] = []
    if now >= window.starts_at:
        silent.extend(reminders)
        announce.append(Step("started", StepKind.STARTED))
    elif reminders:
        silent.extend(reminders[:-1])
        announce.append(reminders[-1])
    return announce, silent


class EndAction(StrEnum):
    WAIT = "wait"  # not yet the end, or waiting for a probe
    COMPLETE = "complete"
    EXTEND = "extend"  # probes fail at the end: visibly longer, never silently completed


def at_end(window: Window, *, now: datetime, probe_since_end: bool | None) -> EndAction:
    """What the end of an active window does: `probe_since_end` is the newest mail probe's
    result since the end (None: no probe yet)."""
    if window.state not in SILENCING_STATES or now < window.ends_at:
        return EndAction.WAIT
    if not window.require_probes or probe_since_end is True:
        return EndAction.COMPLETE
    if probe_since_end is False:
        return EndAction.EXTEND
    return EndAction.WAIT


def silences(window: Window, *, service: str, components: Sequence[str]) -> bool:
    """Whether an alert of `service` naming `components` falls in the window: a window on
    some components silences only alerts about those; one on no component, the whole service.
    An alert naming no component is silenced only by a whole-service window."""
    if window.state not in SILENCING_STATES or window.service != service:
        return False
    if not window.components:
        return True
    return bool(components) and set(components) <= set(window.components)
