"""JSON text built in Arrow, for columns written as JSON without a Python round trip."""

from __future__ import annotations

import polars as pl


def json_word_list(words: pl.Expr) -> pl.Expr:
    """A list-of-strings column as JSON text; the words must hold no quote or backslash
    (issue codes and quarantine reasons are our own words)."""
    return pl.format("[{}]", words.list.eval(pl.format('"{}"', pl.element())).list.join(","))


def json_compact_object(frame: pl.DataFrame, columns: list[str]) -> pl.Expr:
    """Each row's filled, non-zero values of `columns` as one JSON object ({"a":1.5,"b":"x"}):
    a feature snapshot a tenth the size of every value spelled out."""
    members: list[pl.Expr] = []
    for name in columns:
        dtype = frame.schema[name]
        column = pl.col(name)
        key = json_string(pl.lit(name))
        if dtype == pl.Boolean:
            value = pl.when(column).then(pl.lit("true")).otherwise(pl.lit("false"))
            keep = column.is_not_null()
        elif dtype.is_numeric():
            value = column.round(3).cast(pl.String) if dtype.is_float() else column.cast(pl.String)
            keep = column.is_not_null() & (column != 0) & column.is_finite()
        else:
            value = json_string(column.cast(pl.String))
            keep = column.is_not_null()
        members.append(pl.when(keep).then(pl.format("{}:{}", key, value)))
    if not members:
        return pl.lit("{}")
    joined = pl.concat_list(members).list.drop_nulls().list.join(",")
    return pl.concat_str(pl.lit("{"), joined, pl.lit("}"))


def json_string(text: pl.Expr) -> pl.Expr:
    """Text as a JSON string literal (quotes, backslashes and control characters escaped)."""
    escaped = (
        text.str.replace_all("\\", "\\\\", literal=True)
        .str.replace_all('"', '\\"', literal=True)
        .str.replace_all("\n", "\\n", literal=True)
        .str.replace_all("\r", "\\r", literal=True)
        .str.replace_all("\t", "\\t", literal=True)
        .str.replace_all(r"[\x00-\x1f]", " ")
    )
    return pl.format('"{}"', escaped)
