"""JSON text built in Arrow, for columns written as JSON without a Python round trip."""

from __future__ import annotations

import polars as pl


def json_word_list(words: pl.Expr) -> pl.Expr:
    """A list-of-strings column as JSON text; the words must hold no quote or backslash
    (issue codes and quarantine reasons are our own words)."""
    return pl.format("[{}]", words.list.eval(pl.format('"{}"', pl.element())).list.join(","))
