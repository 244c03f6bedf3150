"""Whether JSON-like values can be stored as text: PostgreSQL refuses a NUL character, and a
lone half of a UTF-16 pair is not text at all. Checked at the edge so bad input is a 400 or
a 422, never a database error."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def unstorable(value: Any) -> str | None:
    """Why a value (strings, and lists and objects of them) cannot be stored, or None."""
    for text in _texts(value):
        if "\x00" in text:
            return "holds a NUL character"
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return "holds text that is not valid Unicode"
    return None


def _texts(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)
