"""Subcommands imported only when they run.

Importing every subcommand's module made each `outage-notify` start cost about a second of
CPU, half of it modules the command never used (`incident update` loaded the worker's rate
limiter for `send-test`). A command named here is a module path and an attribute, a Typer app
or a command function; its module is imported when the command is looked up: to run it, or
to list it in `--help`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import typer
from typer import _click as click  # Typer's own copy of click, which its groups are made of
from typer.core import TyperGroup

# name -> (module, attribute): the attribute is a typer.Typer or a command function.
Lazy = dict[str, tuple[str, str]]


class LazyGroup(TyperGroup):
    """A Typer group whose `lazy` commands come from their modules on first use."""

    lazy: Lazy = {}
    # Where each command is listed in `--help`: the order the commands are listed here.
    order: tuple[str, ...] = ()

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = [*super().list_commands(ctx), *self.lazy]
        rank = {name: index for index, name in enumerate(self.order)}
        return sorted(dict.fromkeys(names), key=lambda name: rank.get(name, len(rank)))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            module, attribute = self.lazy[cmd_name]
            found = getattr(importlib.import_module(module), attribute)
            self.commands[cmd_name] = _command(cmd_name, found)
        return super().get_command(ctx, cmd_name)


def _command(name: str, found: typer.Typer | Callable[..., Any]) -> click.Command:
    """The click command Typer would have made of `found` registered under `name`."""
    holder = typer.Typer()
    if isinstance(found, typer.Typer):
        holder.add_typer(found, name=name)
    else:
        holder.command(name)(found)
        # A Typer of one command is that command; add a second so it stays a group to look in.
        holder.command("_")(lambda: None)
    group = typer.main.get_command(holder)
    assert isinstance(group, TyperGroup)
    return group.commands[name]
