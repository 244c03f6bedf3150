"""Whether JSON-like values can be stored: PostgreSQL refuses a NUL character, a lone half of
a UTF-16 pair is not text at all, NaN and infinities are no JSON numbers (PostgreSQL's JSON
refuses them), and no record is nested hundreds of levels deep. Checked at the edge so bad
input is a 400 or a 422, never a database error."""

from __future__ import annotations

import math
from typing import Any

MAX_DEPTH = 64  # objects within lists within objects...: far more than any vendor nests


def unstorable(value: Any) -> str | None:
    """Why a value (strings, numbers, and lists and objects of them) cannot be stored, or
    None. Walked without recursion, so no depth makes it fail."""
    waiting: list[tuple[Any, int]] = [(value, 0)]
    while waiting:
        item, depth = waiting.pop()
        if isinstance(item, str):
            problem = _text_problem(item)
            if problem:
                return problem
        elif isinstance(item, float) and not math.isfinite(item):
            return "holds NaN or an infinite number, which JSON cannot carry"
        elif isinstance(item, dict | list):
            if depth >= MAX_DEPTH:
                return f"is nested more than {MAX_DEPTH} levels deep"
            if isinstance(item, dict):
                waiting.extend((str(key), depth) for key in item)
                waiting.extend((child, depth + 1) for child in item.values())
            else:
                waiting.extend((child, depth + 1) for child in item)
    return None


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "holds a NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "holds text that is not valid Unicode"
    return None
