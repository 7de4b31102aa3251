"""`outage-notify worker` builds, before its pool forks, what each child built on its first
batch of an outage: the ORM's configured mappers and the claim statement. A child forked after
it finds both done and builds nothing (each spent 29-51 ms of CPU on them, measured in forked
children; 7-12 ms is left, the child's own compile of the claim into its engine's cache)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

CHILD = textwrap.dedent(
    """
    import os, sys
    from outage_notify.store import batch_sql
    from outage_notify.store.tables import DeliveryRow

    batch_sql.build_before_fork(sys.argv[1])
    built = batch_sql._claim_statement.cache_info().currsize
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # a pool child: what is left for it to configure and build?
        pending = not all(mapper.configured for mapper in DeliveryRow.registry.mappers)
        misses = batch_sql._claim_statement.cache_info().misses
        batch_sql._claim_statement()
        rebuilt = batch_sql._claim_statement.cache_info().misses - misses
        os.write(write, f"{int(pending)} {rebuilt}".encode())
        os._exit(0)
    os.waitpid(pid, 0)
    print(built, os.read(read, 64).decode())
    """
)


@pytest.mark.integration  # a Python process of its own, which forks
@pytest.mark.parametrize(
    ("url", "built"),
    [("postgresql://127.0.0.1:5432/test", "1"), ("sqlite:///never-opened.db", "0")],
)
def test_a_pool_child_inherits_the_mappers_and_the_claim_statement(url: str, built: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", CHILD, url], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    parent_built, pending, rebuilt = result.stdout.split()
    # SQLite claims without the statement: nothing is built for it, nothing opened.
    assert parent_built == built
    assert pending == "0"
    assert rebuilt == ("0" if built == "1" else "1")
