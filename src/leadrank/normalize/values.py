"""Helpers shared by the normalisers: placeholder cells and per-distinct-value mapping."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import polars as pl

# Per-value normalisers remember this many answers: lists repeat companies, titles, countries
# and domains across chunks and files, so later chunks mostly hit the cache.
CACHE_SIZE = 1 << 18

# Cells that mean "not answered": CRM picklist defaults, spreadsheet errors, null spellings.
PLACEHOLDERS: frozenset[str] = frozenset(
    {
        "",
        "-",
        "--",
        "---",
        "?",
        ".",
        "n/a",
        "na",
        "n.a.",
        "none",
        "null",
        "nil",
        "nan",
        "#n/a",
        "undefined",
        "unknown",
        "select",
        "not provided",
        "not available",
        "not specified",
        "(blank)",
        "(none)",
    }
)


def blank_to_null(column: str | pl.Expr) -> pl.Expr:
    """The column with outer white space removed and placeholder cells as null."""
    expr = pl.col(column) if isinstance(column, str) else column
    stripped = expr.str.strip_chars()
    # when(keep).then(value) keeps the column's name (then(None) would name it "literal").
    return pl.when(~stripped.str.to_lowercase().is_in(list(PLACEHOLDERS))).then(stripped)


def fold(text: str) -> str:
    """Lower-case ASCII with accents removed and spaces collapsed, for dictionary lookups."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join(decomposed.encode("ascii", "ignore").decode().split())


def map_distinct(
    values: pl.Series,
    function: Callable[[str], Sequence[Any]],
    schema: Mapping[str, pl.DataType | type[pl.DataType]],
) -> pl.DataFrame:
    """Apply `function` once per distinct non-null value; one result row per input row.

    Lead lists repeat the same company, title, country and domain many times, so this runs the
    slow, exact library code far fewer times than there are rows.
    """
    key = "__value__"
    distinct = values.drop_nulls().unique(maintain_order=True)
    rows = [tuple(function(value)) for value in distinct.to_list()]
    table = pl.DataFrame(rows, schema=dict(schema), orient="row").with_columns(
        distinct.alias(key).cast(pl.String)
    )
    return (
        values.cast(pl.String)
        .alias(key)
        .to_frame()
        .join(table, on=key, how="left", maintain_order="left", nulls_equal=False)
        .drop(key)
    )
