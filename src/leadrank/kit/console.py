"""Consoles, progress bars and the user's name, shared by every command."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from leadrank.kit.progress import Progress as ProgressCallback

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


@contextmanager
def progress_bar(description: str) -> Iterator[ProgressCallback]:
    """A rich progress bar (on stderr, hidden when not a terminal) fed by stage callbacks."""
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    )
    tasks: dict[str, TaskID] = {}

    def update(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(f"{description}: {stage}", total=total)
        bar.update(tasks[stage], completed=done, total=total)

    with bar:
        yield update


def system_user() -> str:
    """The name of who runs the command; containers may have none."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""
