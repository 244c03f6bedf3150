"""The progress callback long work reports through, so an edge (a CLI bar, a job row) can show it."""

from __future__ import annotations

from collections.abc import Callable

# progress(stage, done, total): called as work advances so an edge can draw a bar.
Progress = Callable[[str, int, int], None]


def no_progress(stage: str, done: int, total: int) -> None:
    """A progress callback that shows nothing."""
