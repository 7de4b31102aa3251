"""The `outage-notify` command as an operator runs it: real processes, exit codes, sentences."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "outage_notify.cli"]


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


def test_templates_check_passes_on_the_shipped_templates() -> None:
    result = run("templates", "check")
    assert result.returncode == 0, result.stderr


def test_worker_refuses_embedded_mode_with_a_reason() -> None:
    result = run("worker")
    assert result.returncode == 2
    assert "BROKER_URL is not set" in " ".join(result.stderr.split())


def test_demo_plays_the_outage_and_shows_what_people_received() -> None:
    result = run("demo", timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    for stage in (
        "1-2. Detect and tell",
        "3-4. Troubleshoot and fix",
        "5. Verified",
        "6. For the post-outage",
    ):
        assert stage in out
    # Managers in Portuguese and English, users, partners and the org-wide room all heard.
    assert "E-mail fora do ar" in out and "Email is not working" in out
    assert out.count("messages reached the fake providers") == 3
