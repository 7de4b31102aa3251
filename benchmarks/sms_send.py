"""The SMS send path alone, in one process: `SmsChannel.send` (the twilio SDK on our aiohttp
transport) against the Twilio fake, N messages, --concurrency in flight, as a worker child's
event loop sends a batch. Per run: this process's CPU milliseconds per message (user + system)
and messages/s; medians of --runs. The fake runs in a process of its own, so its CPU is not
counted. In the fan-out, this path is about half of a worker's CPU a message
(benchmarks/README.md); this isolates it from the database and Celery, and it is far less
noisy than fanout.py:

    .venv/bin/python benchmarks/sms_send.py
    PYTHONPATH=/elsewhere/src .venv/bin/python benchmarks/sms_send.py   # another checkout
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

from _harness import (
    TWILIO_SID,
    Fakes,
    log,
    median,
    print_json,
    print_table,
    provenance,
    workspace,
)
from pydantic import SecretStr

from outage_notify.config.sections import TwilioSettings
from outage_notify.core.models import ChannelName, OutboundMessage
from outage_notify.integrations.twilio.sms import SmsChannel

# A typical update: one GSM-7 segment and a bit, as the shipped templates write them.
BODY = (
    "[ACME IT] Email is down: you cannot send or receive mail. We expect it back by 14:30. "
    "Meanwhile call the service desk on 555-0100 or use Slack #it-help."
)


async def run_once(settings: TwilioSettings, count: int, concurrency: int) -> dict[str, Any]:
    channel = SmsChannel(settings, status_callback_url="http://127.0.0.1:9/callbacks")
    gate = asyncio.Semaphore(concurrency)

    async def send(index: int) -> None:
        async with gate:
            message = OutboundMessage(f"+1555{index:07d}", BODY, reference=f"bench-{index}")
            await channel.send(message)

    try:
        # Warm-up: the connection pool, the SDK's lazy imports, the interpreter's caches.
        await asyncio.gather(*(send(i) for i in range(min(200, count))))
        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.gather(*(send(i) for i in range(count)))
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    finally:
        await channel.aclose()
    return {"cpu_ms_per_msg": cpu / count * 1000, "per_s": count / wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=50, help="DELIVERY_CONCURRENCY")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    origin = provenance()
    runs: list[dict[str, Any]] = []
    with workspace("sms_send") as (_folder, processes):
        fakes = Fakes(processes)
        settings = TwilioSettings(
            account_sid=TWILIO_SID,
            auth_token=SecretStr("bench-twilio-auth"),
            from_number="+15550000000",
            base_url=fakes.base_url,
        )
        try:
            for run in range(args.runs):
                result = asyncio.run(run_once(settings, args.messages, args.concurrency))
                log(f"run {run + 1}: {result}")
                runs.append(result)
        finally:
            processes.stop_all()
    cpu = median(r["cpu_ms_per_msg"] for r in runs)
    rate = median(r["per_s"] for r in runs)
    print_table(
        f"SMS send path: {args.messages:,} messages, {args.concurrency} in flight, "
        f"medians of {args.runs} runs; commit {origin['commit']}, load {origin['load_at_start']}",
        ["", "CPU ms/msg", "msgs/s"],
        [["SmsChannel.send", cpu, rate]],
    )
    print_json(
        {
            "benchmark": "sms_send",
            **origin,
            "channel": ChannelName.SMS.value,
            "messages": args.messages,
            "concurrency": args.concurrency,
            "cpu_ms_per_msg": cpu,
            "per_s": rate,
            "runs": runs,
        }
    )


if __name__ == "__main__":
    main()
