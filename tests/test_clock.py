"""The injected clock: the system one is the machine's, a manual one moves only when told, and
the API and its staff actions read the time from the clock they were given."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from outage_notify.core.clock import SYSTEM_CLOCK
from outage_notify.store.engine import create_store_engine, upgrade
from tests.fixtures.app import api_client
from tests.fixtures.clock import MONOTONIC_START, ManualClock
from tests.fixtures.settings import service_settings

START = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
STAFF = {"Authorization": "Bearer clock-test-staff-token"}


def test_the_system_clock_is_the_machines() -> None:
    before = datetime.now(UTC)
    now = SYSTEM_CLOCK.now()
    assert now.tzinfo is UTC and before <= now <= datetime.now(UTC)
    first = SYSTEM_CLOCK.monotonic()
    SYSTEM_CLOCK.wait(0.01)
    asyncio.run(SYSTEM_CLOCK.sleep(0.01))
    assert SYSTEM_CLOCK.monotonic() - first >= 0.02


def test_a_manual_clock_moves_wall_and_monotonic_time_together_and_never_back() -> None:
    clock = ManualClock(START)
    assert (clock.now(), clock.monotonic()) == (START, MONOTONIC_START)
    clock.advance(90)
    clock.advance(timedelta(minutes=1))
    clock.wait(0.5)
    assert clock.now() == START + timedelta(seconds=150.5)
    assert clock.monotonic() == MONOTONIC_START + 150.5
    with pytest.raises(ValueError, match="never goes back"):
        clock.advance(-1)


def test_sleepers_wake_in_time_order_and_at_once_in_real_time() -> None:
    clock = ManualClock(START)
    woke: list[tuple[str, float]] = []

    async def sleeper(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        woke.append((name, clock.monotonic() - MONOTONIC_START))

    async def main() -> None:
        await asyncio.gather(sleeper("hour", 3600), sleeper("second", 1), sleeper("now", 0))
        # A cancelled sleeper does not hold the clock back, nor move it.
        forgotten = asyncio.create_task(clock.sleep(7200))
        await asyncio.sleep(0)
        forgotten.cancel()
        await sleeper("after", 2)

    started = time.monotonic()
    clock.run(main())
    assert time.monotonic() - started < 5
    assert woke == [("now", 0), ("second", 1), ("hour", 3600), ("after", 3602)]
    assert clock.now() == START + timedelta(seconds=3602)


def test_advancing_by_hand_wakes_a_sleeper_on_a_plain_event_loop() -> None:
    clock = ManualClock(START)

    async def main() -> bool:
        sleeping = asyncio.create_task(clock.sleep(60))
        await asyncio.sleep(0)
        clock.advance(59)
        await asyncio.sleep(0)
        early = sleeping.done()
        clock.advance(1)
        await asyncio.wait_for(sleeping, 5)
        return early

    assert asyncio.run(main()) is False


def test_staff_actions_through_the_api_happen_at_the_apps_clock(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'clock.db'}"
    upgrade(create_store_engine(database_url))
    settings = service_settings(
        database_url=database_url,
        api_tokens="staff:alice:clock-test-staff-token",
        timezone="America/Sao_Paulo",
    )
    clock = ManualClock(START)
    with api_client(settings, clock=clock) as api:
        declared = api.post("/api/v1/incidents", json={"title": "Mail down"}, headers=STAFF)
        assert declared.status_code == 201, declared.text
        incident = declared.json()["incident"]
        clock.advance(timedelta(minutes=25))
        noted = api.post(
            f"/api/v1/incidents/{incident['id']}/notes", json={"text": "MX full"}, headers=STAFF
        )
        assert noted.status_code == 201, noted.text

        assert datetime.fromisoformat(incident["opened_at"]) == START
        detail = api.get(f"/api/v1/incidents/{incident['id']}", headers=STAFF).json()
        note = next(entry for entry in detail["timeline"] if entry["kind"] == "note")
        assert datetime.fromisoformat(note["at"]) == START + timedelta(minutes=25)
        # The next update is promised from the declaration's time on the app's clock.
        assert datetime.fromisoformat(incident["next_update_at"]) > START
        assert datetime.fromisoformat(incident["next_update_at"]) < START + timedelta(days=1)
