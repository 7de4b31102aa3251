"""The `outage-notify` command as an operator runs it: real processes, exit codes, sentences."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fixtures.service import REDIS_KEY_PREFIX, wait_for
from tests.fixtures.webhooks import webhook_body

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "outage_notify.cli.main"]


def run(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60, columns: int = 200
) -> subprocess.CompletedProcess[str]:
    """The CLI as an operator runs it: a real process, no OUTAGE_NOTIFY_* from this shell."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("OUTAGE_NOTIFY_")}
    return subprocess.run(
        [*CLI, *args],
        cwd=ROOT,
        env={**base, "COLUMNS": str(columns), **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_contacts_check_passes_on_the_shipped_examples() -> None:
    result = run("contacts", "check")
    assert result.returncode == 0, result.stderr
    assert "contacts: OK" in result.stdout
    assert "users" in result.stdout and "300" in result.stdout


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {
                "team.yaml": (
                    "audience: management\ncontacts:\n  - id: a\n    name: A\n    phone: '12345'\n"
                )
            },
            ["team.yaml", "phone"],
        ),
        (
            {
                "users.csv": "audience,id,name,phone,slack,fallback,locale,channels,tags\n"
                "users,u1,U One,+5511990000001,,,en,email,\n"
            },
            ["users.csv", "row 2", "channels", "email"],
        ),
    ],
)
def test_a_bad_contacts_file_is_one_sentence_naming_file_and_field(
    tmp_path: Path, files: dict[str, str], expected: list[str]
) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    for command in (("contacts", "check"), ("serve", "--port", "1")):
        result = run(*command, env={"OUTAGE_NOTIFY_CONTACTS_DIR": str(tmp_path)})
        assert result.returncode == 2, command
        assert "Traceback" not in result.stderr
        message = " ".join(result.stderr.split())
        for word in expected:
            assert word in message, (command, message)


def test_invalid_configuration_is_named_not_a_traceback() -> None:
    result = run("contacts", "check", env={"OUTAGE_NOTIFY_DELIVERY_BATCH_SIZE": "many"})
    assert result.returncode == 2
    assert "delivery.batch_size" in result.stderr and "Traceback" not in result.stderr


# Both commands read the URL through `load_settings`: every kind of bad URL through one, one
# through the other (each case is a process start, seconds on a loaded machine; the kinds
# themselves are tests/store/test_database_url.py's).
@pytest.mark.parametrize(
    ("command", "url", "words"),
    [
        (("serve", "--port", "1"), "garbage", ["cannot be read as a database URL"]),
        (("serve", "--port", "1"), "postgresql://bot:s3cret@db:notaport/outage", ["notaport"]),
        (("serve", "--port", "1"), "mysql://bot@db/outage", ["mysql", "not supported"]),
        (("worker",), "postgresql://bot:s3cret@db:notaport/outage", ["notaport"]),
    ],
)
def test_a_bad_database_url_is_named_not_a_traceback(
    command: tuple[str, ...], url: str, words: list[str]
) -> None:
    result = run(
        *command,
        env={
            "OUTAGE_NOTIFY_DATABASE_URL": url,
            "OUTAGE_NOTIFY_BROKER_URL": "redis://127.0.0.1:1/0",
        },
    )
    message = " ".join(result.stderr.split())
    assert result.returncode == 2, message
    assert "Traceback" not in result.stderr
    assert "database_url" in message and all(word in message for word in words), message
    assert "s3cret" not in result.stderr + result.stdout


@pytest.mark.parametrize("command", [("db", "upgrade"), ("serve", "--port", "1")])
@pytest.mark.parametrize(
    ("url", "words"),
    [
        # Nothing listens on port 1; the database of the second does not exist.
        ("postgresql://bot:s3cret@127.0.0.1:1/outage", ["Connection refused"]),
        ("postgresql://127.0.0.1:5432/outage_notify_missing_db", ["does not exist"]),
    ],
)
def test_a_database_it_cannot_use_is_one_sentence_not_a_traceback(
    command: tuple[str, ...], url: str, words: list[str]
) -> None:
    result = run(*command, env={"OUTAGE_NOTIFY_DATABASE_URL": url})
    message = " ".join(result.stderr.split())
    assert result.returncode == 2, message
    assert "Traceback" not in result.stderr and message.count("error:") == 1, message
    assert "DATABASE_URL" in message and all(word in message for word in words), message
    assert "s3cret" not in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("env", "shown"),
    [
        ({"OUTAGE_NOTIFY_TIMEZONE": "[/x]"}, "'[/x]'"),
        (
            {"OUTAGE_NOTIFY_API_TOKENS": "admin:[red]alice:changeme,admin:[red]alice:changeme2"},
            "[red]alice",
        ),
    ],
)
def test_a_refusal_shows_the_setting_as_written_not_as_terminal_markup(
    env: dict[str, str], shown: str
) -> None:
    result = run("contacts", "check", env=env)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert shown in " ".join(result.stderr.split())


def test_a_template_problem_quoting_markup_is_shown_as_written(tmp_path: Path) -> None:
    # Each problem names its file: a folder called `[red]templates` printed as `templates`.
    templates = tmp_path / "[red]templates"
    shutil.copytree(ROOT / "templates", templates)
    (templates / "en" / "sms" / "opened.default.j2").write_text("{% if %}")
    result = run("templates", "check", env={"OUTAGE_NOTIFY_TEMPLATES_DIR": str(templates)})
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "[red]templates/en/sms/opened.default.j2" in "".join(result.stderr.split()), (
        result.stderr
    )


def test_templates_check_passes_on_the_shipped_templates() -> None:
    result = run("templates", "check")
    assert result.returncode == 0, result.stderr


def test_serve_refuses_several_processes_in_embedded_mode() -> None:
    result = run("serve", "--port", "1", "--workers", "2")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "--workers 2 needs BROKER_URL" in " ".join(result.stderr.split())


@contextlib.contextmanager
def in_own_session(
    tmp_path: Path, redis_url: str, *arguments: str, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """`outage-notify *arguments` on a Redis broker and a SQLite file, leading a session of its
    own (as a supervisor starts it); its whole process group is stopped afterwards."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("OUTAGE_NOTIFY_")}
    full_env = {
        **base,
        "OUTAGE_NOTIFY_BROKER_URL": redis_url,
        "OUTAGE_NOTIFY_REDIS_KEY_PREFIX": REDIS_KEY_PREFIX,
        "OUTAGE_NOTIFY_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
        **(env or {}),
    }
    with (tmp_path / f"{arguments[0]}.log").open("wb") as log:
        process = subprocess.Popen(
            [*CLI, *arguments],
            cwd=ROOT,
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield process
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)


def test_serve_runs_several_api_processes_on_one_port(tmp_path: Path, redis_url: str) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    url = f"http://127.0.0.1:{port}"
    with in_own_session(
        tmp_path,
        redis_url,
        *("serve", "--port", str(port), "--workers", "2"),
        env={"OUTAGE_NOTIFY_API_TOKENS": "monitor:am:test-monitor-token"},
    ) as serve:
        wait_for(lambda: _status(f"{url}/readyz") == 200, timeout=90, what="serve --workers 2")
        body = webhook_body("alertmanager_firing.json")
        answers = [_post_webhook(f"{url}/api/v1/webhooks/alertmanager", body) for _ in range(2)]
        assert answers == ["accepted", "duplicate"]
        # The supervisor spawned two API processes (and multiprocessing's resource tracker).
        assert len(_spawned(serve.pid)) == 2


def _status(url: str) -> int:
    try:
        return httpx.get(url, timeout=5).status_code
    except httpx.TransportError:
        return 0


def _post_webhook(url: str, body: bytes) -> str:
    response = httpx.post(
        url,
        content=body,
        headers={"Authorization": "Bearer test-monitor-token", "Content-Type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 202, response.text
    return str(response.json()["status"])


def _spawned(leader: int) -> list[int]:
    """Processes that multiprocessing spawned in the process group `leader` leads."""
    found = []
    for pid in _group(leader):
        with contextlib.suppress(OSError):
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(pid)
    return found


def test_worker_refuses_embedded_mode_with_a_reason() -> None:
    result = run("worker")
    assert result.returncode == 2
    assert "BROKER_URL is not set" in " ".join(result.stderr.split())


def test_worker_nice_lowers_the_priority_of_the_worker_and_its_children(
    tmp_path: Path, redis_url: str
) -> None:
    with in_own_session(
        tmp_path,
        redis_url,
        *("worker", "--nice", "5", "--queues", "outage_notify.dispatch", "--concurrency", "2"),
        env={"OUTAGE_NOTIFY_LOG_LEVEL": "WARNING"},
    ) as worker:

        def pool_started() -> list[int]:
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()
            group = _group(worker.pid)
            return group if len(group) >= 3 else []

        group = wait_for(pool_started, timeout=90, what="the worker and its 2 pool children")
        # Added to the niceness it was started with (this test's own, usually 0).
        expected = min(os.getpriority(os.PRIO_PROCESS, 0) + 5, 19)
        niceness = {pid: os.getpriority(os.PRIO_PROCESS, pid) for pid in group}
        assert niceness == dict.fromkeys(group, expected)
        # Under autogroup scheduling, the session's group is niced too (or a nice value would
        # count only against the worker's own children).
        autogroup = Path(f"/proc/{worker.pid}/autogroup")
        if autogroup.exists():
            assert autogroup.read_text().split()[-2:] == ["nice", str(expected)]


def _group(leader: int) -> list[int]:
    """The processes of the process group `leader` leads (it included)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if os.getpgid(int(entry.name)) == leader:
                    found.append(int(entry.name))
    return found


@pytest.mark.parametrize(
    ("arguments", "env", "expected"),
    [
        (["--nice", "20"], {}, ["Invalid value for '--nice'", "less than or equal to 19"]),
        (["--nice", "-1"], {}, ["Invalid value for '--nice'", "greater than or equal to 0"]),
        ([], {"OUTAGE_NOTIFY_WORKER_NICE": "25"}, ["worker_nice", "less than or equal to 19"]),
    ],
)
def test_worker_refuses_a_niceness_out_of_range_with_a_sentence(
    arguments: list[str], env: dict[str, str], expected: list[str]
) -> None:
    result = run(
        "worker", *arguments, env={"OUTAGE_NOTIFY_BROKER_URL": "redis://127.0.0.1:9", **env}
    )
    assert result.returncode == 2
    message = " ".join(result.stderr.split())
    assert "Traceback" not in message
    for words in expected:
        assert words in message, message


def wordy_templates(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the shipped templates whose users SMS update is too long without free text."""
    folder = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", folder)
    wordy = folder / "en" / "sms" / "update.users.j2"
    wordy.write_text(wordy.read_text() + "Please read this carefully. " * 30 + "\n")
    return folder, wordy


@pytest.mark.parametrize("command", [("templates", "preview"), ("templates", "check"), ("worker",)])
def test_a_template_too_long_without_free_text_is_refused_naming_its_file(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    folder, wordy = wordy_templates(tmp_path)
    broker = os.environ.get("OUTAGE_NOTIFY_TEST_REDIS", "redis://127.0.0.1:6379/13")

    result = run(
        *command,
        env={"OUTAGE_NOTIFY_TEMPLATES_DIR": str(folder), "OUTAGE_NOTIFY_BROKER_URL": broker},
    )

    assert result.returncode != 0
    output = " ".join((result.stdout + result.stderr).split())
    # The users file, or the default file that extends it (preview stops at the first).
    assert str(wordy.parent / "update.") in output and "without any free text" in output
    assert "Traceback" not in output


def test_reload_in_embedded_mode_says_how_instead() -> None:
    result = run("reload")
    assert result.returncode == 2
    assert "SIGHUP" in result.stderr and "--url" in result.stderr


def test_sighup_reloads_serve_and_a_broken_template_leaves_it_degraded(
    tmp_path: Path, redis_url: str
) -> None:
    """Embedded `serve`: the API and its worker share one snapshot, which SIGHUP reloads."""
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    update = templates / "en" / "sms" / "update.users.j2"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    url = f"http://127.0.0.1:{port}"

    def config() -> dict[str, Any]:
        found: dict[str, Any] = httpx.get(f"{url}/readyz", timeout=5).json()
        return found

    with in_own_session(
        tmp_path,
        redis_url,
        *("serve", "--port", str(port)),
        env={"OUTAGE_NOTIFY_BROKER_URL": "", "OUTAGE_NOTIFY_TEMPLATES_DIR": str(templates)},
    ) as serve:
        wait_for(lambda: _status(f"{url}/readyz") == 200, timeout=90, what="serve")
        first = config()["config"]["hash"]
        update.write_text(update.read_text().replace("Email still", "Mail still", 1))
        os.kill(serve.pid, signal.SIGHUP)
        wait_for(lambda: config()["config"]["reloads"] == 1, timeout=90, what="the reload")
        second = config()["config"]["hash"]
        assert second != first

        update.write_text(update.read_text().replace("{% if message %}", "{% if message %", 1))
        os.kill(serve.pid, signal.SIGHUP)
        wait_for(lambda: config()["config"]["failures"] == 1, timeout=90, what="the refusal")
        ready = config()
        assert ready["status"] == "ok" and ready["config"]["hash"] == second
        assert ready["checks"]["config"].startswith(f"degraded: reload refused, snapshot {second}")
        assert "update.users.j2" in ready["config"]["error"]
        assert serve.poll() is None
