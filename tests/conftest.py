"""Shared fixtures. Real services only: Redis, PostgreSQL, a Celery worker, fake providers.

Every test gets exactly one kind marker, set here from where it lives and what it uses (a test
may also set one by hand, which wins):
- `unit`: in-process only: no Redis, PostgreSQL, worker, subprocess or browser (SQLite files,
  the in-process fake providers and SMTP server are fine);
- `integration`: a real Redis, PostgreSQL, Celery worker, Dovecot or `outage-notify` process:
  tests in tests/worker/ or `PROCESS_FILES`, tests using a fixture in `SERVICE_FIXTURES` or
  `REDIS_FIXTURES`, tests parametrized onto PostgreSQL, and tests marked `integration` by hand
  (the odd test that starts a process itself, which no fixture shows);
- `e2e`: tests/e2e/, the whole service;
- `browser`: the status page and the console driven in Chromium.
Tests on PostgreSQL also get `postgres`. So `-m unit`, `-m "not e2e and not browser"`,
`-m postgres` select as expected. While a `unit` test runs, starting a process or connecting to
Redis or PostgreSQL fails it (see `_guard`): the kind cannot silently go wrong.

Test runs (`scripts/test` passes these flags on to pytest):
- default: everything but the chaos tests; fuzzing draws `OUTAGE_NOTIFY_FUZZ_EXAMPLES` (25)
  examples per operation;
- `--fast`: the edit-test loop: the `unit` tests only (pure and in-process: no Redis,
  PostgreSQL, worker, process or browser); the property tests among them draw
  `FAST_EXAMPLES` examples unless `OUTAGE_NOTIFY_FUZZ_EXAMPLES` says otherwise (the default
  run draws the full count);
- `--chaos`: only the fault tests (`@pytest.mark.chaos`: thousands of recipients, killed
  processes, lost services), which take minutes each;
- `--fuzz`: only the fuzz and property tests (`@pytest.mark.fuzz`), with 500 examples per
  operation unless `OUTAGE_NOTIFY_FUZZ_EXAMPLES` says otherwise.

Tests marked `wallclock` judge throughput against the real clock; in parallel processes
(pytest-xdist, `-n`) a starved CPU would fail them, so a parallel run leaves them out and
`--wallclock` (with any of the above) runs only them, in one process: `scripts/test` does both.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = [
    "tests.fixtures.databases",
    "tests.fixtures.providers",
    "tests.fixtures.service",
    "tests.fixtures.processes",
    "tests.fixtures.tcp_proxy",
    "tests.fixtures.live_api",
    "tests.fixtures.browser",
    "tests.fixtures.mail",
    # Fails the run if any log record holds a test secret or a full phone number.
    "tests.fixtures.log_audit",
]

MODES = ("fast", "chaos", "fuzz")
KINDS = ("unit", "integration", "e2e", "browser")
# The order tests run in: the slowest kinds first (see pytest_collection_modifyitems).
KIND_ORDER = {"browser": 0, "e2e": 1, "integration": 2, "unit": 3}
# Examples per property test in `--fast` (the default run draws 25, `--fuzz` 500).
FAST_EXAMPLES = "5"
# Files whose every test runs the real `outage-notify` command (or a script) in a process.
PROCESS_FILES = frozenset(
    {"test_cli.py", "test_cli_operator.py", "test_contacts_memory.py", "test_demo.py"}
)
# Files whose tests drive a browser.
BROWSER_FILES = frozenset(
    {"test_status_browser.py", "test_console_browser.py", "test_subscribe_browser.py"}
)
# Directories whose every test starts a Celery worker.
INTEGRATION_DIRECTORIES = frozenset({"worker"})
# Fixtures that start a Celery worker, `outage-notify` processes, a server or Dovecot, or hand
# out PostgreSQL: their tests are `integration` and never `--fast`.
SERVICE_FIXTURES = frozenset(
    {"service_factory", "processes", "fanout", "live_api", "dovecot", "mail_servers"}
    | {"imap_server", "postgres_url", "postgres_proxy"}
)
# Fixtures that hand out the test Redis: their tests are `integration`.
REDIS_FIXTURES = frozenset({"redis_url", "redis_server", "ratelimit_redis", "redis_proxy"})
# Ports of the services a `unit` test must not reach (Redis, PostgreSQL).
POSTGRES_PORTS = frozenset({5432})
SERVICE_PORTS = frozenset({6379}) | POSTGRES_PORTS


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
    # Read by the property tests at import; an explicit setting wins.
    if chosen == ["fuzz"]:
        os.environ.setdefault("OUTAGE_NOTIFY_FUZZ_EXAMPLES", "500")
    elif chosen == ["fast"]:
        os.environ.setdefault("OUTAGE_NOTIFY_FUZZ_EXAMPLES", FAST_EXAMPLES)
    # A passing start-up template check is remembered in the user's cache folder
    # (messages/check_memory.py): the suite's is under .pytest_cache, shared by its processes
    # and the services they start, so only the first start on the shipped files renders them.
    os.environ.setdefault("XDG_CACHE_HOME", str(config.rootpath / ".pytest_cache" / "xdg"))
    sys.addaudithook(_guard)


def _marked(item: pytest.Item, name: str) -> bool:
    return item.get_closest_marker(name) is not None


def _on_postgres(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    on_postgres = callspec is not None and "postgresql" in callspec.params.values()
    uses = set(getattr(item, "fixturenames", ()))
    return on_postgres or "postgres_url" in uses or _marked(item, "postgres")


def kind(item: pytest.Item) -> str:
    """The test's kind: one of `KINDS` (see the module docstring)."""
    for name in KINDS:
        if _marked(item, name):
            return name
    parts = item.path.relative_to(item.config.rootpath).parts
    directory = parts[1] if len(parts) > 2 else ""
    uses = set(getattr(item, "fixturenames", ()))
    if parts[-1] in BROWSER_FILES:
        return "browser"
    if directory == "e2e":
        return "e2e"
    if (
        directory in INTEGRATION_DIRECTORIES
        or parts[-1] in PROCESS_FILES
        or not uses.isdisjoint(SERVICE_FIXTURES | REDIS_FIXTURES)
        or _on_postgres(item)
    ):
        return "integration"
    return "unit"


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """`--wallclock`, `--chaos` and `--fuzz` read only the test modules that name their marker:
    importing the other 150, and rendering the golden messages for their parameters, cost the
    one-process pass 6 to 7 seconds of CPU for nothing."""
    if collection_path.suffix != ".py" or not collection_path.name.startswith("test_"):
        return None
    for mode in ("wallclock", "chaos", "fuzz"):
        if config.getoption(mode):
            return mode.encode() not in collection_path.read_bytes()
    return None


def _fast(item: pytest.Item) -> bool:
    """In `--fast`: a unit test (no Redis, PostgreSQL, worker, process or browser)."""
    if _marked(item, "fuzz") or _marked(item, "chaos"):
        return False
    return item.stash[_KIND] == "unit"


_KIND = pytest.StashKey[str]()
_HAND_MARKED = pytest.StashKey[bool]()


def _parallel(config: pytest.Config) -> bool:
    """Whether this process is one of several pytest-xdist workers."""
    return bool(os.environ.get("PYTEST_XDIST_WORKER"))


def pytest_collection_finish(session: pytest.Session) -> None:
    """Moves what collection built (modules, the rendered golden messages, every test item)
    out of the garbage collector's sight: CPython's full collections otherwise walk those
    hundreds of thousands of objects again and again while the tests allocate, which cost
    10 to 15 % of the CPU of the API and console tests (measured alternately, one process)."""
    gc.collect()
    gc.freeze()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        found = kind(item)
        item.stash[_KIND] = found
        item.stash[_HAND_MARKED] = _marked(item, found)
        if not _marked(item, found):
            item.add_marker(found)
        if _on_postgres(item) and not _marked(item, "postgres"):
            item.add_marker("postgres")
    if config.getoption("chaos"):
        keep = [item for item in items if _marked(item, "chaos")]
    elif config.getoption("fuzz"):
        keep = [item for item in items if _marked(item, "fuzz")]
    elif config.getoption("fast"):
        keep = [item for item in items if _fast(item)]
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
    # The slow kinds first (a stable sort keeps each module's tests together within a kind):
    # xdist's load scheduler then hands the minute-long end-to-end tests out at the start and
    # the millisecond unit tests fill the gaps at the end, instead of one end-to-end test
    # started last holding the whole run up.
    items[:] = sorted(keep, key=lambda item: KIND_ORDER[item.stash[_KIND]])


# The test running now and the ports it may not reach, while `_guard` watches it.
_watched: list[tuple[str, str, frozenset[int]]] = []
PROCESS_EVENTS = frozenset({"subprocess.Popen", "os.posix_spawn", "os.fork", "os.system"})


def _guard(event: str, args: tuple[Any, ...]) -> None:
    """An audit hook: a test classed `unit` that starts a process or reaches a
    service its kind excludes fails.

    Audit hooks see every process start and socket connection in the process, whoever makes
    it, so no helper can hide one (multiprocessing's spawn raises no event: mark those by
    hand). A `unit` test may reach neither Redis nor PostgreSQL.
    """
    if not _watched:
        return
    if event in PROCESS_EVENTS:
        what = f"starts a process ({args[0]!r})" if args else "starts a process"
    elif event == "socket.connect":
        address = args[1]
        ports = _watched[0][2]
        if not (isinstance(address, tuple) and len(address) >= 2 and address[1] in ports):
            return
        what = f"connects to {address[0]}:{address[1]}"
    else:
        return
    nodeid, classed = _watched[0][:2]
    raise RuntimeError(
        f"{nodeid} is classed {classed} but {what}: use the fixture that provides the "
        "service, or mark the test `integration` (tests/conftest.py)"
    )


@pytest.fixture(autouse=True)
def _kind_guard(request: pytest.FixtureRequest) -> Iterator[None]:
    """Arms `_guard` for a `unit` test (its fixtures included)."""
    item = request.node
    found = item.stash.get(_KIND, None)
    if found == "unit":
        _watched.append((item.nodeid, "`unit`", SERVICE_PORTS))
    else:
        yield
        return
    try:
        yield
    finally:
        _watched.clear()
