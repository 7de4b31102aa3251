"""`outage-notify login` and where the staff CLI finds its service and token.

The URL comes from OUTAGE_NOTIFY_URL, else the config file; the token from
OUTAGE_NOTIFY_TOKEN, else the config file: `$XDG_CONFIG_HOME/outage-notify/config.toml`
(`~/.config/…` without XDG_CONFIG_HOME), written by `login` readable by its owner only.
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from outage_notify.cli.http_client import ServiceError, StaffClient
from outage_notify.cli.output import console, fail


@dataclass(frozen=True)
class Connection:
    url: str
    token: str


def config_path() -> Path:
    """Where `login` writes and the CLI reads the URL and token."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "outage-notify" / "config.toml"


def read_config(path: Path) -> dict[str, str]:
    """The file's `url` and `token`; {} when there is none; one sentence when it is broken."""
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        fail(f"cannot read {path}: {error}; run `outage-notify login` again")
    return {key: str(value) for key, value in data.items() if key in ("url", "token")}


def write_config(path: Path, *, url: str, token: str) -> None:
    """Write the file readable and writable by its owner only (it holds a token)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # JSON strings are valid TOML basic strings: quotes, backslashes and controls escaped.
    text = f"url = {json.dumps(url)}\ntoken = {json.dumps(token)}\n"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)
    os.chmod(path, 0o600)


def connection() -> Connection:
    """The service and token to use, or one sentence saying how to give them."""
    stored = read_config(config_path())
    url = os.environ.get("OUTAGE_NOTIFY_URL") or stored.get("url", "")
    token = os.environ.get("OUTAGE_NOTIFY_TOKEN") or stored.get("token", "")
    if not url or not token:
        fail(
            "no service to talk to: run `outage-notify login`, or set OUTAGE_NOTIFY_URL and "
            "OUTAGE_NOTIFY_TOKEN"
        )
    return Connection(url.rstrip("/"), token)


def login_command(
    url: Annotated[str, typer.Option(prompt="Service URL", help="e.g. https://outage.example.org")],
    token: Annotated[
        str, typer.Option(prompt="Staff token", hide_input=True, help="A staff or admin token.")
    ],
) -> None:
    """Check a staff token against the service and keep both in the config file (0600)."""
    url = url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        fail(f"{url!r} is not a URL; give e.g. https://outage.example.org")
    try:
        with StaffClient(url, token.strip()) as client:
            who = client.json("GET", "/api/v1/whoami")
    except ServiceError as error:
        fail(str(error), code=error.code or 1)
    path = config_path()
    write_config(path, url=url, token=token.strip())
    console.print(
        f"Signed in to {who['organisation']} at {url} as {who['name']} ({who['role']}); "
        f"times in {who['timezone']}. Saved to {path}.",
        highlight=False,
    )
