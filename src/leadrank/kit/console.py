"""Consoles, progress bars, tables that fit the terminal, and the user's name, shared by every
command."""

from __future__ import annotations

import getpass
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from rich import box
from rich.cells import cell_len
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
from rich.table import Table
from rich.text import Text

from leadrank.kit.progress import Progress as ProgressCallback

# Control characters (an escape sequence in a lead's name would recolour or move the terminal).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

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


def percent(probability: float | None) -> str:
    """A probability as a percentage with three significant digits, so that leads with small
    chances still tell apart: 0.371 -> "37.1%", 0.00123 -> "0.123%"."""
    if probability is None:
        return ""
    return f"{probability * 100:.3g}%"


@dataclass(frozen=True)
class Column:
    """A column of a fitted table: fixed columns (numbers, grades) keep their width, word
    columns share what is left; a column with a `drop` rank goes first when room is short."""

    header: str
    fixed: bool = False
    right: bool = False  # numbers line up on the right
    share: int = 1  # weight of a word column in the room left for words
    drop: int = 0  # 0: always shown; else dropped before columns of lower rank


NUMBER = {"fixed": True, "right": True}
_GAP = 3  # what a SIMPLE_HEAD table without edges puts between two columns
_READABLE = 10  # a word column cut shorter than this says too little to keep


def fitted_table(columns: Sequence[Column], rows: Sequence[Sequence[str]], *, width: int) -> Table:
    """One line per row within `width` cells: fixed columns at their full width, word columns
    at theirs when everything fits, else sharing the room left by weight and cut short with an
    ellipsis; when a word column would be cut too short, the columns with the highest `drop`
    rank go first (a wrapped table at 80 columns is unreadable)."""
    rows = [[printable(cell) for cell in row] for row in rows]
    shown = list(range(len(columns)))
    while True:
        widths = _widths(
            [columns[i] for i in shown], [[row[i] for i in shown] for row in rows], width
        )
        cramped = any(
            w < _READABLE and not columns[i].fixed and w < _natural(columns[i], rows, i)
            for i, w in zip(shown, widths, strict=True)
        )
        droppable = [i for i in shown if columns[i].drop]
        if not cramped or not droppable:
            break
        shown.remove(max(droppable, key=lambda i: columns[i].drop))
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    for i, size in zip(shown, widths, strict=True):
        table.add_column(
            columns[i].header,
            width=size,
            no_wrap=True,
            overflow="ellipsis",
            justify="right" if columns[i].right else "left",
        )
    for row in rows:  # as plain text: no markup, no control characters
        table.add_row(*(Text(row[i]) for i in shown))
    return table


def _natural(column: Column, rows: Sequence[Sequence[str]], i: int) -> int:
    return max([cell_len(column.header), *(cell_len(row[i]) for row in rows)])


def _widths(columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int) -> list[int]:
    """Each column's width: the natural one, or a share of the room left for words."""
    natural = [_natural(column, rows, i) for i, column in enumerate(columns)]
    widths = list(natural)
    words = [i for i, column in enumerate(columns) if not column.fixed]
    room = width - _GAP * (len(columns) - 1) - sum(natural) + sum(natural[i] for i in words)
    if sum(natural[i] for i in words) <= room:
        return widths
    left, remaining = room, list(words)
    while remaining:  # columns narrower than their share keep their width; the rest split
        shares = sum(columns[i].share for i in remaining)
        fair = {i: max(3, left * columns[i].share // shares) for i in remaining}
        narrow = [i for i in remaining if natural[i] <= fair[i]]
        if not narrow:
            for i in remaining:
                widths[i] = fair[i]
            break
        for i in narrow:
            left -= natural[i]
            remaining.remove(i)
    return widths


def printable(text: str) -> str:
    """Text safe to print as it came from a file: control characters written out ("\\x1b")."""
    return _CONTROL.sub(lambda found: f"\\x{ord(found.group()):02x}", text)
