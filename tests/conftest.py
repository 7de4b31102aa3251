"""Shared fixtures. Real services only: Redis, PostgreSQL, a Celery worker, fake providers.

Test runs (`scripts/test` passes these flags on to pytest):
- default: everything but the chaos tests; fuzzing draws `OUTAGE_NOTIFY_FUZZ_EXAMPLES` (25)
  examples per operation;
- `--fast`: the tests that need no Celery worker, subprocess, browser or PostgreSQL (SQLite
  only), for the edit-test loop;
- `--chaos`: only the fault tests (`@pytest.mark.chaos`: thousands of recipients, killed
  processes, lost services), which take minutes each;
- `--fuzz`: only the fuzz and property tests (`@pytest.mark.fuzz`), with 500 examples per
  operation unless `OUTAGE_NOTIFY_FUZZ_EXAMPLES` says otherwise.

Tests marked `wallclock` judge throughput against the real clock; in parallel processes
(pytest-xdist, `-n`) a starved CPU would fail them, so a parallel run leaves them out and
`--wallclock` (with any of the above) runs only them, in one process: `scripts/test` does both.
"""

from __future__ import annotations

import os

import pytest

pytest_plugins = [
    "tests.fixtures.databases",
    "tests.fixtures.providers",
    "tests.fixtures.service",
    "tests.fixtures.processes",
    "tests.fixtures.tcp_proxy",
    "tests.fixtures.live_api",
    "tests.fixtures.mail",
    # Fails the run if any log record holds a test secret or a full phone number.
    "tests.fixtures.log_audit",
]

MODES = ("fast", "chaos", "fuzz")
# Directories whose tests start a Celery worker, processes or a browser: never `--fast`.
SLOW_DIRECTORIES = ("e2e", "worker")
# Files whose tests run the real `outage-notify` command in a subprocess (seconds each).
SLOW_FILES = frozenset({"test_cli.py", "test_cli_operator.py", "test_contacts_memory.py"})
# Fixtures that start a Celery worker, `outage-notify` processes, a server or Dovecot.
SLOW_FIXTURES = frozenset(
    {"service_factory", "processes", "fanout", "live_api", "dovecot", "mail_servers"}
    | {"postgres_url"}
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("outage_notify runs")
    group.addoption("--fast", action="store_true", help="only tests needing no worker or PG")
    group.addoption("--chaos", action="store_true", help="only the chaos (fault) tests")
    group.addoption("--fuzz", action="store_true", help="only fuzz tests, 500 examples each")
    group.addoption("--wallclock", action="store_true", help="only the wallclock-marked tests")


def pytest_configure(config: pytest.Config) -> None:
    chosen = [mode for mode in MODES if config.getoption(mode)]
    if len(chosen) > 1:
        raise pytest.UsageError(f"choose one of --fast, --chaos, --fuzz (got {chosen})")
    if chosen == ["fuzz"]:
        # Read by the fuzz tests at import; an explicit setting wins.
        os.environ.setdefault("OUTAGE_NOTIFY_FUZZ_EXAMPLES", "500")


def _slow(item: pytest.Item) -> bool:
    parts = item.path.relative_to(item.config.rootpath).parts
    in_slow_directory = len(parts) > 2 and parts[1] in SLOW_DIRECTORIES
    in_slow_directory = in_slow_directory or parts[-1] in SLOW_FILES
    callspec = getattr(item, "callspec", None)
    on_postgres = callspec is not None and "postgresql" in callspec.id
    starts_services = not SLOW_FIXTURES.isdisjoint(getattr(item, "fixturenames", ()))
    return in_slow_directory or on_postgres or starts_services or _marked(item, "fuzz")


def _marked(item: pytest.Item, name: str) -> bool:
    return item.get_closest_marker(name) is not None


def _parallel(config: pytest.Config) -> bool:
    """Whether this process is one of several pytest-xdist workers."""
    return bool(os.environ.get("PYTEST_XDIST_WORKER"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("chaos"):
        keep = [item for item in items if _marked(item, "chaos")]
    elif config.getoption("fuzz"):
        keep = [item for item in items if _marked(item, "fuzz")]
    elif config.getoption("fast"):
        keep = [item for item in items if not _marked(item, "chaos") and not _slow(item)]
    else:
        keep = [item for item in items if not _marked(item, "chaos")]
    if config.getoption("wallclock"):
        keep = [item for item in keep if _marked(item, "wallclock")]
    elif _parallel(config):
        keep = [item for item in keep if not _marked(item, "wallclock")]
    kept = {id(item) for item in keep}
    dropped = [item for item in items if id(item) not in kept]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep
