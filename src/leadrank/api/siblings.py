"""Which worker of a several-worker `leadrank serve` this process is, and the busy flags it
shares with its siblings: set by the worker before its app starts, read by what shares work
between workers (the scoring split)."""

from __future__ import annotations

from typing import Any

_siblings: tuple[Any, int] | None = None


def share_with_siblings(busy: Any, me: int) -> None:
    """Say this process is worker `me` of those whose busy flags are `busy`."""
    global _siblings
    _siblings = (busy, me)


def siblings() -> tuple[Any, int] | None:
    """(busy flags, this worker's place among them); None outside a several-worker server."""
    return _siblings
