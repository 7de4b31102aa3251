"""`outage-notify doctor` on configurations that cannot run: a sentence per line, never a
traceback, and the settings line refusing while the other lines still run when they can."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_cli import run

# Each test runs the real command in a process.
pytestmark = pytest.mark.integration


def test_checking_as_production_fails_the_settings_line_and_still_runs_the_others(
    tmp_path: Path,
) -> None:
    env = {"OUTAGE_NOTIFY_DATABASE_URL": f"sqlite:///{tmp_path / 'none.db'}"}
    result = run("doctor", "--json", "--environment", "production", "--timeout", "1", env=env)
    assert "Traceback" not in result.stderr
    payload = json.loads(result.stdout)
    lines = {line["name"]: line for line in payload["checks"]}
    assert result.returncode == payload["exit_code"] == 2
    settings = lines["settings"]
    assert settings["status"] == "fail"
    assert "BROKER_URL is empty" in settings["detail"] and settings["fix"]
    # Read as for development, the rest is still checked: here, channels that only pretend.
    assert lines["channel sms"]["status"] == "warn" and "dry run" in lines["channel sms"]["detail"]
    assert lines["templates"]["status"] == "ok"
    assert not (tmp_path / "none.db").exists(), "doctor must never create a database"


def test_settings_that_cannot_be_read_give_one_line_and_exit_2() -> None:
    result = run("doctor", env={"OUTAGE_NOTIFY_TIMEZONE": "Mars/Olympus_Mons"}, columns=250)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    assert "unknown IANA time zone" in result.stdout and "fail" in result.stdout


def test_an_unknown_environment_is_one_sentence() -> None:
    result = run("doctor", "--environment", "staging")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "--environment must be development or production" in " ".join(result.stderr.split())
