"""Word lists shipped with the package (free-mail, disposable and role mailboxes)."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def word_list(name: str) -> frozenset[str]:
    """The lower-case entries of data/<name>.txt, comments and blank lines skipped."""
    text = resources.files("leadrank.normalize").joinpath("data", f"{name}.txt").read_text()
    return frozenset(
        line.strip().lower()
        for line in text.splitlines()
        if line.strip() and not line.startswith("#")
    )
