"""Shared plumbing for the benchmarks: fakes, service processes, databases, statistics, RSS.

Everything runs on loopback against the machine's Redis (database 4 unless
OUTAGE_NOTIFY_BENCH_REDIS says otherwise) and PostgreSQL (a throwaway database created and
dropped on the server at OUTAGE_NOTIFY_TEST_POSTGRES, as the tests do). Every process started
here runs in its own session and is killed, with its children, on the way out.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "benchmarks"
REDIS_URL = os.environ.get("OUTAGE_NOTIFY_BENCH_REDIS", "redis://127.0.0.1:6379/4")
PG_ADMIN_URL = os.environ.get("OUTAGE_NOTIFY_TEST_POSTGRES", "postgresql://127.0.0.1:5432/test")
TWILIO_SID = "AC" + "7" * 32
TWILIO_FROM = "+15005550006"
STAFF_TOKEN = "bench-staff-token-0123456789"
MONITOR_TOKEN = "bench-monitor-token-0123456789"
# "No rate limit": far above anything one machine can send.
UNLIMITED = "1000000"


# --- statistics -------------------------------------------------------------------------


def median(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def percentile(values: Sequence[float], p: float) -> float | None:
    """The p-th percentile (0-100), nearest-rank: the value at rank ceil(p/100·n)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(math.ceil(p / 100 * len(ordered)), 1)
    return ordered[rank - 1]


def max_in_window(times: Iterable[float], window: float = 1.0) -> int:
    """The most timestamps in any half-open interval [t, t + window) (sliding, two pointers)."""
    ordered = sorted(times)
    best = start = 0
    for end, t in enumerate(ordered):
        while ordered[start] <= t - window:
            start += 1
        best = max(best, end - start + 1)
    return best


def fmt(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A rich table when rich is there (it is a dependency), else plain text."""
    cells = [[c if isinstance(c, str) else fmt(c) for c in row] for row in rows]
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:  # pragma: no cover - rich is a dependency of outage_notify
        print(title)
        print(" | ".join(columns))
        for row in cells:
            print(" | ".join(row))
        return
    table = Table(title=title)
    for column in columns:
        table.add_column(column, justify="right" if column != columns[0] else "left")
    for row in cells:
        table.add_row(*row)
    Console(width=200).print(table)


def print_json(payload: dict[str, Any]) -> None:
    """The one machine-readable line every benchmark ends with."""
    print(json.dumps(payload, default=str, sort_keys=True), flush=True)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- waiting ----------------------------------------------------------------------------


def wait_for(
    predicate: Callable[[], Any], *, timeout: float, interval: float = 0.05, what: str
) -> Any:
    """Poll until `predicate()` is truthy; raise TimeoutError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- memory -----------------------------------------------------------------------------


def _status_kb(pid: int, key: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def peak_rss_mb(pid: int) -> float | None:
    """Peak resident set size of one process, MB (psutil if installed, else VmHWM)."""
    try:
        import psutil  # type: ignore[import-untyped]

        info = psutil.Process(pid).memory_full_info()
        peak = getattr(info, "peak_wset", None)  # Windows only
        if peak:
            return float(peak) / 2**20
    except Exception:  # fall back to /proc, which has the peak on Linux
        pass
    kb = _status_kb(pid, "VmHWM")
    return kb / 1024 if kb is not None else None


def _stat(pid: int) -> list[str]:
    """/proc/<pid>/stat's fields after the command name (which may hold spaces): [0] state,
    [1] ppid, [2] process group, [11] utime, [12] stime, [13] cutime, [14] cstime (ticks)."""
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()


def _processes() -> Iterator[tuple[int, list[str]]]:
    """Every process on the machine and its stat fields (`_stat`); those gone meanwhile are
    skipped."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                yield int(entry.name), _stat(int(entry.name))


def group_pids(leader: int) -> list[int]:
    """The processes of a process group (a started service and its pool children)."""
    return sorted(pid for pid, fields in _processes() if int(fields[2]) == leader)


# --- processes --------------------------------------------------------------------------


@dataclass
class Processes:
    """Started processes, each in its own session so a kill takes its children too."""

    logs: Path
    running: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(
        self, name: str, argv: Sequence[str], *, env: dict[str, str], cwd: Path = ROOT
    ) -> subprocess.Popen[bytes]:
        output = (self.logs / f"{name}.log").open("ab")
        process = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        output.close()
        self.running[name] = process
        return process

    def cli(self, name: str, *args: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
        """Start `outage-notify ARGS` from this virtualenv."""
        return self.start(name, [sys.executable, "-m", "outage_notify.cli.main", *args], env=env)

    def alive(self, name: str) -> bool:
        return self.running[name].poll() is None

    def check(self) -> None:
        """Raise (with the log's tail) if a started process died."""
        for name, process in self.running.items():
            if process.poll() is not None:
                raise RuntimeError(
                    f"{name} exited with {process.returncode}:\n{self.log_tail(name)}"
                )

    def log_tail(self, name: str, lines: int = 30) -> str:
        path = self.logs / f"{name}.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def peak_rss(self, name: str) -> dict[str, float]:
        """Peak RSS (MB) of the process (`main`), its largest child, and all of them summed."""
        leader = self.running[name].pid
        peaks = {pid: peak_rss_mb(pid) or 0.0 for pid in group_pids(leader)}
        children = [mb for pid, mb in peaks.items() if pid != leader]
        return {
            "main": peaks.get(leader, 0.0),
            "max_child": max(children, default=0.0),
            "total": sum(peaks.values()),
        }

    def stop(self, name: str, timeout: float = 15.0) -> None:
        process = self.running.pop(name, None)
        if process is None:
            return
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        # Pool children that outlived their parent are still in the group.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)

    def stop_all(self) -> None:
        for name in list(self.running):
            self.stop(name)


@contextlib.contextmanager
def workspace(prefix: str) -> Iterator[tuple[Path, Processes]]:
    """A temporary folder (contacts, SQLite files, logs) and the processes started in it."""
    folder = Path(tempfile.mkdtemp(prefix=f"outage_notify_{prefix}_"))
    processes = Processes(folder)
    try:
        yield folder, processes
    except BaseException:
        for name in processes.running:
            tail = processes.log_tail(name, 10)
            if tail:
                log(f"--- last lines of {name}.log ---\n{tail}")
        raise
    finally:
        processes.stop_all()
        # Only now: a beat still running would have queued its next tick after a flush.
        with contextlib.suppress(Exception):
            flush_redis()
        if os.environ.get("OUTAGE_NOTIFY_BENCH_KEEP"):
            log(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


# --- the fakes --------------------------------------------------------------------------


class Fakes:
    """`benchmarks/_fakes.py` in its own process."""

    def __init__(self, processes: Processes, *, limit: float = 0.0) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        argv = [sys.executable, str(BENCH_DIR / "_fakes.py"), "--port", str(self.port)]
        self.pid = processes.start("fakes", [*argv, "--limit", str(limit)], env=env).pid
        self.http = httpx.Client(base_url=self.base_url, timeout=60)
        wait_for(self._up, timeout=30, what="the fake providers")

    def _up(self) -> bool:
        try:
            return self.http.get("/_bench/count").status_code == 200
        except httpx.TransportError:
            return False

    @property
    def twilio_url(self) -> str:
        return f"{self.base_url}/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"

    def reset(self, limit: float = 0.0) -> None:
        self.http.post("/_bench/reset", json={"limit": limit}).raise_for_status()

    def count(self, channel: str | None = None) -> int:
        params = {"channel": channel} if channel else {}
        return int(self.http.get("/_bench/count", params=params).json()["count"])

    def summary(self, channel: str | None = None, *, windows: bool = False) -> dict[str, Any]:
        params: dict[str, str] = {"channel": channel} if channel else {}
        if windows:
            params["windows"] = "1"
        return dict(self.http.get("/_bench/summary", params=params).json())

    def records_to(self, to: str) -> list[dict[str, Any]]:
        return list(self.http.get("/_bench/records", params={"to": to}).json()["records"])

    def stamps(self, channel: str | None = None) -> list[float]:
        params = {"channel": channel} if channel else {}
        return list(self.http.get("/_bench/stamps", params=params).json()["at"])

    def wait_count(self, n: int, *, timeout: float, interval: float = 0.1) -> None:
        wait_for(lambda: self.count() >= n, timeout=timeout, interval=interval, what=f"{n} msgs")

    def close(self) -> None:
        self.http.close()


# --- databases --------------------------------------------------------------------------


class Database:
    """A migrated database of one backend: a SQLite file, or a throwaway PostgreSQL database."""

    def __init__(self, kind: str, folder: Path) -> None:
        from outage_notify.store.engine import create_store_engine, upgrade

        self.kind = kind
        self.pg_name = ""
        if kind == "sqlite":
            self.url = f"sqlite:///{folder / f'bench-{uuid.uuid4().hex[:6]}.db'}"
        elif kind == "postgresql":
            import psycopg

            self.pg_name = f"outage_notify_bench_{uuid.uuid4().hex[:10]}"
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{self.pg_name}"')
            self.url = f"{PG_ADMIN_URL.rpartition('/')[0]}/{self.pg_name}"
        else:
            raise ValueError(f"unknown database {kind!r}; use sqlite or postgresql")
        engine = create_store_engine(self.url)
        upgrade(engine)
        engine.dispose()
        self._reader: Any = None

    def reader(self) -> Any:
        """A plain engine for the benchmark's own reads.

        Not the store's engine: on SQLite that one begins every transaction IMMEDIATE (it takes
        the write lock), so a poller built on it would queue behind the planner it measures.
        """
        if self._reader is None:
            from sqlalchemy import create_engine

            from outage_notify.store.engine import normalise_url

            self._reader = create_engine(normalise_url(self.url))
        return self._reader

    def scalar(self, sql: str, **params: Any) -> Any:
        from sqlalchemy import text

        with self.reader().connect() as connection:
            return connection.execute(text(sql), params).scalar()

    def row(self, sql: str, **params: Any) -> Any:
        from sqlalchemy import text

        with self.reader().connect() as connection:
            return connection.execute(text(sql), params).first()

    def empty(self) -> None:
        """Remove every row (between runs, with the workers idle)."""
        from sqlalchemy import text

        from outage_notify.store.engine import create_store_engine
        from outage_notify.store.tables import Base

        engine = create_store_engine(self.url)
        try:
            with engine.begin() as connection:
                if self.kind == "postgresql":
                    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
                    connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
                else:
                    for table in reversed(Base.metadata.sorted_tables):
                        connection.execute(table.delete())
        finally:
            engine.dispose()

    def drop(self) -> None:
        if self._reader is not None:
            self._reader.dispose()
        if self.pg_name:
            import psycopg

            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')


@contextlib.contextmanager
def database(kind: str, folder: Path) -> Iterator[Database]:
    db = Database(kind, folder)
    try:
        yield db
    finally:
        db.drop()


def epoch(value: Any) -> float | None:
    """A timestamp column (datetime, or SQLite's ISO text) as epoch seconds."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        from datetime import UTC

        value = value.replace(tzinfo=UTC)
    return float(value.timestamp())


# --- Redis ------------------------------------------------------------------------------


def flush_redis() -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.flushdb()
    finally:
        client.close()


# --- service processes ------------------------------------------------------------------


def write_contacts(
    folder: Path,
    users: int,
    *,
    managers: int = 0,
    users_when: str = "",
) -> tuple[Path, list[str]]:
    """A contacts folder: `users` SMS-first users (users.csv) and `managers` managers.

    Returns the folder and the managers' phone numbers. Routing: management always; users
    always, or only `when components_any: [users_when]`.
    """
    directory = folder / f"contacts-{users}-{managers}-{uuid.uuid4().hex[:4]}"
    directory.mkdir(parents=True)
    lines = ["audience,id,name,phone,slack,fallback,locale,channels,tags"]
    lines += [
        f"users,user{i},User {i},+55119{i:08d},U{i:09d},,{'pt-BR' if i % 3 else 'en'},sms|slack,"
        for i in range(users)
    ]
    (directory / "users.csv").write_text("\n".join(lines) + "\n")
    phones = [f"+5511980{i:06d}" for i in range(managers)]
    rules = []
    if managers:
        people = "".join(
            f'  - id: manager{i}\n    name: Manager {i}\n    phone: "{phone}"\n'
            f"    slack: UM{i:07d}\n    locale: en\n    channels: [sms, slack]\n"
            for i, phone in enumerate(phones)
        )
        (directory / "management.yaml").write_text(
            f"audience: management\ndeliver: first\ncontacts:\n{people}"
        )
        rules.append("  - audience: management\n")
    if users:
        when = f"    when:\n      - components_any: [{users_when}]\n" if users_when else ""
        rules.append(f"  - audience: users\n{when}")
    (directory / "routing.yaml").write_text("rules:\n" + "".join(rules))
    return directory, phones


def service_env(
    *, database_url: str, broker_url: str, contacts_dir: Path, fakes: Fakes | None, **extra: str
) -> dict[str, str]:
    """The environment of an `outage-notify` process pointed at the fakes and our stores."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OUTAGE_NOTIFY_", "TWILIO_", "SLACK_"))
    }
    env.update(
        {
            "OUTAGE_NOTIFY_DATABASE_URL": database_url,
            "OUTAGE_NOTIFY_BROKER_URL": broker_url,
            "OUTAGE_NOTIFY_CONTACTS_DIR": str(contacts_dir),
            "OUTAGE_NOTIFY_TEMPLATES_DIR": str(ROOT / "templates"),
            "OUTAGE_NOTIFY_API_TOKENS": f"staff:bench:{STAFF_TOKEN},monitor:am:{MONITOR_TOKEN}",
            "OUTAGE_NOTIFY_TWILIO_ACCOUNT_SID": TWILIO_SID,
            "OUTAGE_NOTIFY_TWILIO_AUTH_TOKEN": "bench-twilio-auth",
            "OUTAGE_NOTIFY_TWILIO_FROM_NUMBER": TWILIO_FROM,
            "OUTAGE_NOTIFY_TWILIO_BASE_URL": fakes.base_url if fakes else "http://127.0.0.1:9",
            "OUTAGE_NOTIFY_TWILIO_STATUS_CALLBACKS": "false",
            "OUTAGE_NOTIFY_SLACK_BOT_TOKEN": "xoxb-bench-token",
            "OUTAGE_NOTIFY_SLACK_BASE_URL": f"{fakes.base_url if fakes else 'http://127.0.0.1:9'}/api/",
            "OUTAGE_NOTIFY_RATELIMIT_TWILIO_PER_SECOND": UNLIMITED,
            "OUTAGE_NOTIFY_RATELIMIT_SLACK_CHANNEL_PER_SECOND": UNLIMITED,
            "OUTAGE_NOTIFY_RATELIMIT_SLACK_WORKSPACE_PER_SECOND": UNLIMITED,
            "OUTAGE_NOTIFY_LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


class Api:
    """`outage-notify serve` (embedded without BROKER_URL, else distributed) and a client."""

    def __init__(
        self,
        processes: Processes,
        env: dict[str, str],
        name: str = "api",
        serve_args: Sequence[str] = (),
    ) -> None:
        self.name = name
        self.port = free_port()
        self.process = processes.cli(name, "serve", "--port", str(self.port), *serve_args, env=env)
        self.processes = processes
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=60)
        wait_for(self._ready, timeout=90, interval=0.2, what="the API to be ready")

    def _ready(self) -> bool:
        self.processes.check()
        try:
            return self.http.get("/readyz").status_code == 200
        except httpx.TransportError:
            return False

    def declare(self, *, title: str, components: list[str], service: str = "email") -> int:
        response = self.http.post(
            "/api/v1/incidents",
            headers={"Authorization": f"Bearer {STAFF_TOKEN}"},
            json={
                "title": title,
                "severity": "critical",
                "components": components,
                "service": service,
            },
        )
        response.raise_for_status()
        return int(response.json()["incident"]["id"])

    def close(self) -> None:
        self.http.close()


# The lane layout of docker-compose.yml: bulk workers on the dispatch queue alone, at a lower CPU
# priority, and one small worker for the urgent and events queues.
BULK_WORKER_ARGS = ("--queues=outage_notify.dispatch", "--nice=10")
LANE_WORKER_ARGS = ("--queues=outage_notify.urgent,outage_notify.events", "--concurrency=2")


def start_workers(
    processes: Processes,
    env: dict[str, str],
    *,
    workers: int,
    concurrency: int,
    beat: bool,
    lanes: bool = False,
) -> list[str]:
    """`outage-notify worker` x workers (prefork, `concurrency` children each), and beat.

    Without `lanes` each worker serves every queue. With `lanes`, as docker-compose.yml: the
    `workers` serve only `outage_notify.dispatch` at nice 10, and one more worker (`lane`, 2
    children) the urgent and events queues. Returns the names of every worker started.
    """
    names = []
    for index in range(workers):
        name = f"worker{index + 1}"
        bulk = BULK_WORKER_ARGS if lanes else ()
        processes.cli(name, "worker", f"--concurrency={concurrency}", *bulk, env=env)
        names.append(name)
    if lanes:
        processes.cli("lane", "worker", *LANE_WORKER_ARGS, env=env)
        names.append("lane")
    if beat:
        processes.cli("beat", "beat", env=env)
    return names


def wait_workers_ready(processes: Processes, count: int, timeout: float = 90) -> None:
    """Until `count` Celery workers on our Redis answer a broadcast ping."""
    from celery import Celery

    app = Celery("bench-ping", broker=REDIS_URL, set_as_current=False)

    def ready() -> bool:
        processes.check()
        return len(app.control.ping(timeout=0.5) or []) >= count

    try:
        wait_for(ready, timeout=timeout, interval=0.2, what=f"{count} workers to answer a ping")
    finally:
        app.close()


# --- provenance -------------------------------------------------------------------------


def load_average() -> float:
    """The 1-minute load average (/proc/loadavg): how busy the machine was around a run."""
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return float(os.getloadavg()[0])


def provenance() -> dict[str, Any]:
    """What a printed figure was measured on: the commit (with `+dirty` for uncommitted
    changes), the CPUs and the load average when the benchmark started."""

    def git(*args: str) -> str:
        try:
            done = subprocess.run(
                ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10, check=False
            )
        except OSError:
            return ""
        return done.stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    return {
        "commit": commit + ("+dirty" if dirty else ""),
        "cpus": os.cpu_count(),
        "load_at_start": load_average(),
        "started_utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
    }


def cpu_seconds(pids: Iterable[int]) -> float:
    """User + system CPU seconds used so far by these processes (those still alive)."""
    used = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = _stat(pid)
            used += int(fields[11]) + int(fields[12])
    return used / os.sysconf("SC_CLK_TCK")


class ServerCpu:
    """CPU seconds a local server (`postgres`) spends between `start()` and `seconds()`: its
    main process, every child alive at either end (one that was born meanwhile counts whole)
    and, through the main process's reaped-children total, every child that ended meanwhile.
    Work for other databases on the same server counts too: measure on a quiet server."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.main: int | None = None
        self.before: dict[int, int] = {}
        self.reaped = 0

    def _snapshot(self) -> tuple[dict[int, int], int]:
        if self.main is None:
            return {}, 0
        children = {
            pid: int(fields[11]) + int(fields[12])
            for pid, fields in _processes()
            if int(fields[1]) == self.main
        }
        fields = _stat(self.main)
        children[self.main] = int(fields[11]) + int(fields[12])
        return children, int(fields[13]) + int(fields[14])

    def start(self) -> None:
        named = {pid: fields for pid, fields in _processes() if self._named(pid)}
        # The main process: the one whose parent is not the server itself.
        self.main = next((pid for pid, stat in named.items() if int(stat[1]) not in named), None)
        self.before, self.reaped = self._snapshot()

    def _named(self, pid: int) -> bool:
        try:
            return Path(f"/proc/{pid}/comm").read_text().strip() == self.name
        except OSError:
            return False

    def seconds(self) -> float | None:
        """None when no such server runs on this machine."""
        if self.main is None:
            return None
        after, reaped = self._snapshot()
        ticks = sum(used - self.before.get(pid, 0) for pid, used in after.items())
        # A child that ended meanwhile: its whole life is in `reaped`, its start in `before`.
        ticks += reaped - self.reaped - sum(v for p, v in self.before.items() if p not in after)
        return ticks / os.sysconf("SC_CLK_TCK")


def group_cpu_seconds(leader: int) -> float:
    """User + system CPU seconds used so far by a process group's live processes (a started
    service and its pool children): less sensitive to a busy machine than a rate."""
    return cpu_seconds(group_pids(leader))
