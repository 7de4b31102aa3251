"""CPU priority of a worker process: how a bulk worker yields to the lane worker on one host.

A worker that serves only `outage_notify.dispatch` runs the batches of a 100,000-recipient
fan-out on every child it has. On a host it shares with the worker of the urgent and events
queues, a manager's first message (an event, a plan and one small batch) would otherwise wait
for CPU behind those batches; at a higher niceness the bulk worker still gets all the CPU the
lane worker leaves idle, and gives it back as soon as the lane has work.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

AUTOGROUP = Path("/proc/self/autogroup")


def lower_cpu_priority(increment: int) -> int:
    """Add `increment` to this process's niceness (its children inherit it); return the new one."""
    if not increment:
        # Nothing to do; and os.nice does not exist on Windows.
        return 0
    niceness = os.nice(increment)
    # Linux's autogroup scheduling (on by default in most distributions) weighs a process's
    # niceness only against processes of its own session: a worker started in a session of its
    # own (setsid, a supervisor, a terminal tab) would still take an equal share from the lane
    # worker's session. A worker that leads its session therefore gives the session's group the
    # same niceness (no privilege is needed to raise it). Inside a container or a systemd unit with
    # its own CPU cgroup, the cgroup's weight decides instead (compose's `cpu_shares`).
    if increment and os.getsid(0) == os.getpid():
        with contextlib.suppress(OSError):
            AUTOGROUP.write_text(f"{niceness}\n")
    return niceness
