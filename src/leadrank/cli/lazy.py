"""A command group whose commands are imported when one of them runs, not to list them, so
`leadrank --help` and `leadrank --version` start at once instead of loading every domain
(and SQLAlchemy, polars and the learners behind them)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from difflib import get_close_matches
from importlib import import_module
from typing import Any, ClassVar

import typer
from typer import _click
from typer.core import TyperCommand, TyperGroup


@dataclass(frozen=True)
class Lazy:
    """A command (a function) or a group of commands (a Typer app) at "module:attribute",
    with the one-line help `leadrank --help` shows for it."""

    target: str
    help: str

    def load(self, name: str) -> _click.Command:
        """The click command of the target, imported now, with logging set up for it."""
        module, attribute = self.target.split(":")
        found: Any = getattr(import_module(module), attribute)
        _log_masked()
        if isinstance(found, typer.Typer):
            group: _click.Command = typer.main.get_group(found)
            group.name = name
            return group
        single = typer.Typer(add_completion=False)
        single.command(name=name)(found)
        return typer.main.get_command(single)


def _log_masked() -> None:
    """Log lines of a command that runs (a worker's, an import's) as JSON with emails and
    phone numbers masked, as the API's are; set up here, where the command's own imports have
    paid for the logging libraries, rather than for `leadrank --help`."""
    from leadrank.config import get_settings
    from leadrank.errors import AppError
    from leadrank.kit.logs import configure_logging

    try:
        level = get_settings().log_level
    except AppError:  # the command itself will say which setting cannot be used
        level = "WARNING"
    configure_logging(level)


class LazyGroup(TyperGroup):
    """A Typer group that also holds `lazy` commands: listed from their one-line help, imported
    on first use."""

    lazy: ClassVar[Mapping[str, Lazy]] = {}
    _listing = False

    def list_commands(self, ctx: _click.Context) -> list[str]:
        """Every command, the lazy ones in their declared order after the loaded ones."""
        loaded = super().list_commands(ctx)
        return [*loaded, *(name for name in self.lazy if name not in loaded)]

    def get_command(self, ctx: _click.Context, cmd_name: str) -> _click.Command | None:
        """The command; a lazy one is imported, unless only its help line is wanted."""
        if cmd_name in self.commands or cmd_name not in self.lazy:
            return super().get_command(ctx, cmd_name)
        entry = self.lazy[cmd_name]
        if self._listing:
            return TyperCommand(name=cmd_name, help=entry.help, short_help=entry.help)
        command = entry.load(cmd_name)
        self.add_command(command, cmd_name)
        return command

    def resolve_command(
        self, ctx: _click.Context, args: list[str]
    ) -> tuple[str | None, _click.Command | None, list[str]]:
        """The command `args` name; a typo is answered with the commands it is close to,
        the lazy ones included."""
        try:
            return self._click_resolve_command(ctx, args)
        except _click.exceptions.UsageError as exc:
            matches = get_close_matches(args[0], self.list_commands(ctx)) if args else []
            if matches:
                names = ", ".join(repr(match) for match in matches)
                exc.message = f"{exc.message.rstrip('.')}. Did you mean {names}?"
            raise

    def format_help(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        """The group's help, listing the lazy commands without importing them."""
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False
