"""API tokens kept as hashes: the entries, the check, and `outage-notify hash-token`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from outage_notify.config.api_tokens import Role
from outage_notify.config.token_hashes import Scheme, hash_token, matches, split_scheme
from tests.fixtures.settings import build_settings

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "a-long-random-token-0123456789abcdef"


@pytest.mark.parametrize("scheme", ["sha256", "scrypt"])
def test_a_hash_matches_its_token_and_nothing_else(scheme: Scheme) -> None:
    kind, stored = split_scheme(hash_token(TOKEN, scheme=scheme))
    assert kind == scheme
    assert matches(TOKEN, scheme=kind, stored=stored)
    for other in ("", TOKEN[:-1], TOKEN + "x", TOKEN.upper(), stored):
        assert not matches(other, scheme=kind, stored=stored)


def test_scrypt_hashes_are_salted() -> None:
    assert hash_token(TOKEN, scheme="scrypt") != hash_token(TOKEN, scheme="scrypt")


@pytest.mark.parametrize(
    ("entry", "role", "name", "scheme"),
    [
        (f"staff:alice:{hash_token(TOKEN)}", Role.STAFF, "alice", "sha256"),
        (f"admin:{hash_token(TOKEN)}", Role.ADMIN, "admin-1", "sha256"),
        (f"monitor:am:{hash_token(TOKEN, scheme='scrypt')}", Role.MONITOR, "am", "scrypt"),
        (f"staff:bob:{TOKEN}", Role.STAFF, "bob", "plain"),
        (f"staff:{TOKEN}", Role.STAFF, "staff-1", "plain"),
    ],
    # Not the entries: a scrypt hash is salted anew in each process, and parallel test
    # processes (pytest-xdist) must collect the same test ids.
    ids=["sha256-named", "sha256-unnamed", "scrypt-named", "plain-named", "plain-unnamed"],
)
def test_entries_name_their_scheme(entry: str, role: Role, name: str, scheme: str) -> None:
    (token,) = build_settings(api_tokens=entry).api_tokens
    assert (token.role, token.name, token.scheme) == (role, name, scheme)
    assert token.matches(TOKEN)
    assert not token.matches("some-other-token-0123456789abcdef")


DIGEST = hash_token(TOKEN).partition(":")[2]


@pytest.mark.parametrize(
    "entry",
    [
        f"admin: sha256:{DIGEST}",
        f"admin:SHA256:{DIGEST}",
        f"admin:alice:Sha256:{DIGEST}",
        f"admin:alice: sha256 :{DIGEST}",
        f"admin:alice:sha256: {DIGEST} ",
    ],
)
def test_a_hash_written_loosely_is_still_a_hash_never_a_plain_token(entry: str) -> None:
    # `admin: sha256:<hex>` became a plain admin token whose value was the hash: whoever read
    # the configuration (which is meant to hold no usable token) could act as admin.
    (token,) = build_settings(api_tokens=entry).api_tokens
    assert token.scheme == "sha256"
    assert token.matches(TOKEN)
    assert not token.matches(DIGEST)
    assert not token.matches(f"sha256:{DIGEST}")


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ("staff:alice:sha256:abc123", "entry 1: a sha256 token hash is 64 hexadecimal digits"),
        ("staff:alice:SHA256:abc123", "entry 1: a sha256 token hash is 64 hexadecimal digits"),
        # Meant as hashes, written so they would be plain tokens equal to the hash.
        (f"admin:ops:sha-256:{DIGEST}", "entry 1: looks like a token hash"),
        (f"admin:ops:sha256={DIGEST}", "entry 1: looks like a token hash"),
        (f"admin:ops:{DIGEST}", "entry 1: looks like a token hash"),
        (f"admin:sh256:{DIGEST}", "entry 1: looks like a token hash"),
        (f"admin:ops:sha256\u200b:{DIGEST}", "entry 1: looks like a token hash"),
        # Two entries joined by `;` or a line break were one admin token; bob's never worked.
        (f"admin:alice:{TOKEN};staff:bob:{TOKEN}x", "entry 1: a token holds no ';'"),
        (f"admin:alice:{TOKEN}\nstaff:bob:{TOKEN}x", "entry 1: a token holds no "),
        ("staff:alice:sha256:" + "z" * 64, "64 hexadecimal digits"),
        ("staff:alice:scrypt:14:8:1:!!:??", "entry 1: a scrypt token hash is"),
        ("staff:alice:scrypt:30:8:1:c2FsdA==:" + "A" * 44, "log2N <= 20"),
        (f"staff:alice:{TOKEN},admin:alice:{TOKEN}x", "alice used twice"),
    ],
)
def test_malformed_entries_are_refused_without_echoing_them(entry: str, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem) as caught:
        build_settings(api_tokens=entry)
    assert TOKEN not in str(caught.value)


def test_production_accepts_hashed_tokens_it_cannot_check_for_placeholders() -> None:
    settings = build_settings(
        environment="production",
        broker_url="redis://r",
        api_tokens=f"staff:alice:{hash_token('changeme')}",
    )
    assert settings.api_tokens[0].scheme == "sha256"


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"webhooks": {"grafana_secret": "changeme"}}, "WEBHOOKS_GRAFANA_SECRET"),
        ({"webhooks": {"generic_secret": "short"}}, "WEBHOOKS_GENERIC_SECRET"),
    ],
)
def test_production_refuses_placeholder_webhook_secrets(
    values: dict[str, object], problem: str
) -> None:
    with pytest.raises(ValidationError, match=problem):
        build_settings(
            environment="production",
            broker_url="redis://r",
            api_tokens=f"staff:alice:{hash_token(TOKEN)}",
            **values,
        )


def hash_token_cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OUTAGE_NOTIFY_")}
    return subprocess.run(
        [sys.executable, "-m", "outage_notify.cli.main", "hash-token", *args],
        cwd=ROOT,
        env={**env, "COLUMNS": "200"},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.integration  # runs a process (conftest cannot see it)
@pytest.mark.parametrize("scheme", ["sha256", "scrypt"])
def test_the_cli_prints_an_entry_that_accepts_the_token_read_from_stdin(scheme: str) -> None:
    result = hash_token_cli(
        "--role", "admin", "--name", "ops-lead", "--scheme", scheme, stdin=TOKEN + "\n"
    )
    assert result.returncode == 0, result.stderr
    entry = result.stdout.strip()
    assert (
        entry.startswith(f"admin:ops-lead:{scheme}:") and TOKEN not in result.stdout + result.stderr
    )
    (token,) = build_settings(api_tokens=entry).api_tokens
    assert token.matches(TOKEN) and token.role == Role.ADMIN


@pytest.mark.integration  # runs a process (conftest cannot see it)
def test_the_cli_can_generate_a_token_shown_once_on_stderr() -> None:
    result = hash_token_cli("--name", "alertmanager", "--role", "monitor", "--generate")
    assert result.returncode == 0, result.stderr
    generated = result.stderr.strip().splitlines()[-1]
    (token,) = build_settings(api_tokens=result.stdout.strip()).api_tokens
    assert token.matches(generated) and generated not in result.stdout


@pytest.mark.parametrize(
    ("args", "stdin", "problem"),
    [
        (["--name", "alice"], "changeme\n", "placeholder or shorter than 16"),
        (["--name", "al:ice"], TOKEN + "\n", "--name must be"),
        (["--name", "alice", "--scheme", "md5"], TOKEN + "\n", "unknown --scheme"),
    ],
)
@pytest.mark.integration  # runs a process (conftest cannot see it)
def test_the_cli_refuses_weak_tokens_and_bad_names(
    args: list[str], stdin: str, problem: str
) -> None:
    result = hash_token_cli(*args, stdin=stdin)
    assert result.returncode == 2
    assert problem in result.stderr and result.stdout == ""
