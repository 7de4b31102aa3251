"""`outage-notify`'s subcommands imported on first use (cli/lazy_group.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from outage_notify.cli.lazy_group import LazyGroup
from outage_notify.cli.main import Commands, app

TOY = '''
import typer

toy_app = typer.Typer(no_args_is_help=True, help="A toy group.")


@toy_app.command()
def hello(name: str) -> None:
    """Say hello."""
    print(f"hello {name}")


def ping() -> None:
    """Answer pong."""
    print("pong")
'''


def test_every_command_is_found_and_listed_in_the_help_order() -> None:
    group = typer.main.get_command(app)
    assert isinstance(group, LazyGroup)

    context = typer.Context(group)
    assert group.list_commands(context) == list(Commands.order)
    for name in Commands.lazy:
        command = group.get_command(context, name)
        assert command is not None and command.name == name


def test_a_lazy_command_is_imported_only_when_it_is_looked_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "outage_notify_toy_cli.py").write_text(TOY)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "outage_notify_toy_cli", raising=False)

    class Toy(LazyGroup):
        lazy = {
            "toy": ("outage_notify_toy_cli", "toy_app"),
            "ping": ("outage_notify_toy_cli", "ping"),
        }
        order = ("ping", "version", "toy")

    cli = typer.Typer(cls=Toy, no_args_is_help=True)

    @cli.callback()
    def toy() -> None:
        """A toy command (a callback, so one eager command still makes a group)."""

    @cli.command()
    def version() -> None:
        print("1.0")

    runner = CliRunner()
    assert runner.invoke(cli, ["version"]).output == "1.0\n"
    assert "outage_notify_toy_cli" not in sys.modules

    assert runner.invoke(cli, ["toy", "hello", "Ana"]).output == "hello Ana\n"
    assert "outage_notify_toy_cli" in sys.modules
    assert runner.invoke(cli, ["ping"]).output == "pong\n"
    listed = runner.invoke(cli, ["--help"]).output
    assert listed.index("ping") < listed.index("version") < listed.index("A toy group.")
