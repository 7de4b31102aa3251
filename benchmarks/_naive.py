"""The naive design fanout.py compares with: one Celery task per message, synchronous send.

Each task sends one SMS with twilio-python's synchronous client (TwilioHttpClient: requests,
pooled keep-alive connection per worker process) to the fake. Celery is configured as
outage_notify's own app is (JSON, acks late, prefetch 1), and the task does nothing else: no
database, no rendering, no rate limiter. So this is an upper bound for the naive design.

Workers: `celery -A _naive worker` with cwd benchmarks/ and NAIVE_BROKER_URL,
NAIVE_TWILIO_BASE_URL in the environment.
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery

QUEUE = "bench.naive"
TASK = "bench.naive.send"
ACCOUNT_SID = "AC" + "7" * 32
FROM = "+15005550006"

app = Celery("bench_naive", broker=os.environ.get("NAIVE_BROKER_URL", "memory://"))
app.conf.update(
    task_serializer="json",
    accept_content=["json"],
    task_ignore_result=True,
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_default_queue=QUEUE,
    task_default_exchange="",
    worker_hijack_root_logger=False,
    worker_send_task_events=False,
)
_client: Any = None


def client() -> Any:
    """One Twilio client per worker process, built after the fork."""
    global _client
    if _client is None:
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        _client = Client(ACCOUNT_SID, "bench-twilio-auth", http_client=TwilioHttpClient(timeout=5))
        _client.api.base_url = os.environ["NAIVE_TWILIO_BASE_URL"]
    return _client


@app.task(name=TASK)  # type: ignore[untyped-decorator]
def send(to: str, body: str) -> None:
    client().messages.create(to=to, from_=FROM, body=body)
