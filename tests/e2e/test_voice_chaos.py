"""Voice escalation under faults (issue 20): no call doubled, nobody called past VOICE_MAX_CALLS.

Six SMS-only managers never answer their texts, so the acknowledgement chase phones them, with
the real clock: a re-notification after 3 s, calls 6 s apart, three at most. The API, worker
and beat are `outage-notify` processes; the fake Twilio places the calls and posts their
status callbacks and keypresses to the API, signed. While the calls go on, the worker is
SIGKILLed inside `calls.create` (Twilio has the call, we never hear so) and restarted, Twilio
answers one request 500, drops one answer and holds one past our timeout, and every call's
final status is posted again and again, stale ones among them; one manager presses 1 and the
keypress is posted twice more. The verdict comes from the fake's own call records.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from sqlalchemy import Engine, select

from outage_notify.integrations.fake_server import FakeProviders
from outage_notify.store.tables import DeliveryRow, VoiceCallRow
from tests.fixtures import voice
from tests.fixtures.dovecot import free_port
from tests.fixtures.processes import Processes, service_env
from tests.fixtures.service import TOKENS, wait_for

pytestmark = pytest.mark.chaos

MAX_CALLS = 3
# Manager -> (what their phone does, the fault on their first calls.create).
PHONES: dict[str, tuple[str, dict[str, Any]]] = {
    "+5511990000031": ("answer", {"delay": 4.0}),  # the worker is killed while Twilio holds on
    "+5511990000032": ("no-answer", {"http_status": 500}),
    "+5511990000033": ("busy", {"drop": True}),
    "+5511990000034": ("no-answer", {"delay": 6.0}),  # past OUTAGE_NOTIFY_TWILIO_TIMEOUT (5 s)
    "+5511990000035": ("answer", {}),  # presses 1 on the first call
    "+5511990000036": ("machine", {}),
}
KILLED, REFUSED, PRESSES = "+5511990000031", "+5511990000032", "+5511990000035"
LEAD = "+5511990000030"
ROUTING = """
rules:
  - audience: management
acknowledge:
  - audience: management
    renotify_after_minutes: 0.05
"""


@pytest.fixture
def providers() -> Iterator[FakeProviders]:
    """Fake providers of this test's own: they hold its phones and calls."""
    with FakeProviders() as fake:
        fake.twilio_auth_token = "test-twilio-auth"  # the services' token: callbacks signed
        yield fake


def write_managers(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["audience: management", "contacts:"]
    lines.append(f'  - {{id: lead, name: Lia Lead, phone: "{LEAD}", channels: [sms]}}')
    for n, phone in enumerate(PHONES, start=1):
        lines.append(f'  - {{id: m{n}, name: Manager {n}, phone: "{phone}", channels: [sms]}}')
    (folder / "management.yaml").write_text("\n".join(lines) + "\n")
    (folder / "routing.yaml").write_text(ROUTING)


def everyone_done(engine: Engine) -> bool:
    """Every manager but the lead (m1...m6) acknowledged or listed unreached."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(DeliveryRow.acked_at, DeliveryRow.unreached_at).where(
                DeliveryRow.recipient_key.like("contact:m%")
            )
        ).all()
    return bool(rows) and all(acked or unreached for acked, unreached in rows)


def state(engine: Engine) -> list[tuple[object, ...]]:
    """Deliveries and calls, to explain a failure."""
    with engine.connect() as connection:
        deliveries = connection.execute(
            select(
                DeliveryRow.recipient_key,
                DeliveryRow.state,
                DeliveryRow.acked_at,
                DeliveryRow.unreached_at,
            )
        ).all()
        calls = connection.execute(
            select(VoiceCallRow.recipient_key, VoiceCallRow.attempt, VoiceCallRow.state)
        ).all()
    return [tuple(row) for row in [*deliveries, *calls]]


def killed_slot(engine: Engine) -> tuple[str, str]:
    """The state and Twilio sid recorded for the first call to KILLED."""
    with engine.connect() as connection:
        row = connection.execute(
            select(VoiceCallRow.state, VoiceCallRow.call_sid).where(
                VoiceCallRow.phone == KILLED, VoiceCallRow.attempt == 1
            )
        ).one()
    return str(row.state), str(row.call_sid)


def replay_statuses(providers: FakeProviders) -> int:
    """Post the final status of every ended call again (a retry, or a stale one)."""
    posted = 0
    for call in voice.fake_calls(providers):
        if call["status"] == "in-progress":
            continue
        extra = {"AnsweredBy": call["answered_by"]} if call["answered_by"] else {}
        form = voice.call_form(call, call["status"], **extra)
        answer = voice.replay(call["status_callback"], form, providers.twilio_auth_token)
        assert answer.status_code == 204, answer.text
        posted += 1
    return posted


def test_calls_under_kills_vendor_faults_and_replayed_callbacks_are_never_doubled(
    tmp_path: Path,
    postgres_url: str,
    redis_url: str,
    providers: FakeProviders,
    fault_db: Engine,
    processes: Processes,
) -> None:
    write_managers(tmp_path / "contacts")
    port = free_port()
    env = service_env(
        database_url=postgres_url,
        broker_url=redis_url,
        contacts_dir=tmp_path / "contacts",
        providers=providers,
        OUTAGE_NOTIFY_PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        OUTAGE_NOTIFY_DEFAULT_LEAD="lead",
        OUTAGE_NOTIFY_ACK_CHECK_INTERVAL_SECONDS="1",
        OUTAGE_NOTIFY_VOICE_ENABLED="true",
        OUTAGE_NOTIFY_VOICE_RETRY_MINUTES="0.1",
        OUTAGE_NOTIFY_VOICE_MAX_CALLS=str(MAX_CALLS),
        OUTAGE_NOTIFY_VOICE_CALLS_PER_SECOND="50",
    )
    for phone, (outcome, fault) in PHONES.items():
        voice.phone_does(providers, phone, outcome)
        if fault:
            providers.add_fault("voice", to=phone, method="calls.create", times=1, **fault)
    processes.start("api", "serve", "--port", str(port), env=env)
    processes.start("worker-1", "worker", env=env)
    processes.start("beat", "beat", env=env)
    api = f"http://127.0.0.1:{port}"
    wait_for(lambda: up(api), timeout=60, what="API up")
    declared = httpx2.post(
        f"{api}/api/v1/incidents",
        headers={"Authorization": f"Bearer {TOKENS['staff']}"},
        json={"title": "Email is down", "severity": "critical", "lead": "lead"},
        timeout=30,
    )
    assert declared.status_code == 201, declared.text
    incident = declared.json()["incident"]["id"]

    # Twilio has the first call to KILLED and holds its answer: the worker dies waiting.
    wait_for(lambda: voice.calls_to(providers, KILLED), timeout=90, what="the call to be killed")
    processes.kill("worker-1")
    # Killed after its claim and Twilio's call, before Twilio's answer: claimed, no sid.
    assert killed_slot(fault_db) == ("claimed", "")
    processes.start("worker-1", "worker", env=env)

    pressed = False
    replayed = 0
    started = time.monotonic()
    while not everyone_done(fault_db):
        assert time.monotonic() - started < 150, f"escalation did not finish: {state(fault_db)}"
        replayed += replay_statuses(providers)
        first = voice.calls_to(providers, PRESSES)
        if first and not pressed:
            answer = voice.press(providers, first[0]["sid"], "1")
            assert answer["status"] == 200, answer
            form = voice.call_form(first[0], "in-progress", Digits="1")
            for _ in range(2):  # the Gather action posted again: Twilio retrying it
                again = voice.replay(first[0]["action"], form, providers.twilio_auth_token)
                assert again.status_code == 200 and "<Hangup" in again.text, again.text
            pressed = True
        time.sleep(0.5)
    # A retry interval more, with the statuses posted again: nothing more rings.
    time.sleep(6 + 2)
    replayed += replay_statuses(providers)

    calls = voice.assert_no_call_doubled(providers, fault_db, max_calls=MAX_CALLS)
    per_phone = {phone: len(voice.calls_to(providers, phone)) for phone in PHONES}
    # The killed call counts as its slot; the refused one (500) rang nobody but spent its slot.
    assert per_phone == {phone: 1 if phone == PRESSES else 3 for phone in PHONES} | {REFUSED: 2}, (
        per_phone
    )
    assert all(call["to"] != LEAD for call in calls)
    assert replayed > 10
    with fault_db.connect() as connection:
        acked = connection.execute(
            select(DeliveryRow.recipient_key, DeliveryRow.acked_via).where(
                DeliveryRow.acked_at.is_not(None)
            )
        ).all()
    assert [tuple(row) for row in acked] == [("contact:m5", "voice")]
    timeline = httpx2.get(
        f"{api}/api/v1/incidents/{incident}",
        headers={"Authorization": f"Bearer {TOKENS['staff']}"},
        timeout=30,
    ).json()["timeline"]
    acknowledged = [t for t in timeline if t["kind"] == "acknowledged"]
    assert [t["text"] for t in acknowledged] == ["Manager 5 (management) acknowledged by voice"]
    unreached = [t["text"] for t in timeline if t["kind"] == "unreached"]
    assert len(unreached) == len(PHONES) - 1, unreached


def up(api: str) -> bool:
    try:
        return httpx2.get(f"{api}/healthz", timeout=2).status_code == 200
    except httpx2.HTTPError:
        time.sleep(0.2)
        return False
