"""The mess real exports carry: blanks, placeholders, stray spaces, broken emails, typos, rows
that identify nobody, and rows exported twice."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import polars as pl

from leadrank.sample.columns import IntArray, Rng, rows_where

PLACEHOLDERS = ("N/A", "n/a", "-", "NULL", "none", "#N/A")


def _replace(series: pl.Series, rows: IntArray, values: pl.Series | None) -> pl.Series:
    out = series.clone()
    if rows.size:
        out.scatter(rows, values)
    return out


def _apply(frame: pl.DataFrame, rows: IntArray, column: str, expr: pl.Expr) -> pl.DataFrame:
    """Rewrite `column` on the given rows with an expression over the frame's columns."""
    if not rows.size:
        return frame
    values = frame[rows].select(expr).to_series()
    return frame.with_columns(_replace(frame[column], rows, values))


def blanks(rng: Rng, frame: pl.DataFrame, rates: dict[str, float]) -> pl.DataFrame:
    """Empty some cells of each column, at that column's rate."""
    return frame.with_columns(
        _replace(frame[name], rows_where(rng, frame.height, rate), None)
        for name, rate in rates.items()
    )


def placeholders(
    rng: Rng, frame: pl.DataFrame, columns: Iterable[str], rate: float
) -> pl.DataFrame:
    """Write "N/A"-style placeholders into some cells."""
    for name in columns:
        rows = rows_where(rng, frame.height, rate)
        values = pl.Series(values=list(PLACEHOLDERS), dtype=pl.String).gather(
            rng.integers(0, len(PLACEHOLDERS), rows.size)
        )
        frame = frame.with_columns(_replace(frame[name], rows, values))
    return frame


def stray_spaces(
    rng: Rng, frame: pl.DataFrame, columns: Iterable[str], rate: float
) -> pl.DataFrame:
    """Trailing (and sometimes leading) spaces, as copy-paste leaves them."""
    for name in columns:
        rows = rows_where(rng, frame.height, rate)
        leading = pl.Series(values=rng.random(rows.size) < 0.3)
        frame = _apply(
            frame,
            rows,
            name,
            pl.when(pl.lit(leading)).then(" " + pl.col(name) + "  ").otherwise(pl.col(name) + " "),
        )
    return frame


def broken_emails(rng: Rng, frame: pl.DataFrame, column: str, rate: float) -> pl.DataFrame:
    """Addresses no mail server accepts: "john.doe@", "jane at acme.com", "x@acme", "a@@b.com"."""
    rows = rows_where(rng, frame.height, rate)
    kind = pl.lit(pl.Series(values=rng.integers(0, 4, rows.size)))
    local = pl.col(column).str.extract(r"^\s*([^@]+)@", 1)
    domain = pl.col(column).str.extract(r"@([^@\s]+)", 1)
    expr = (
        pl.when(kind == 0)
        .then(local + "@")
        .when(kind == 1)
        .then(local + " at " + domain)
        .when(kind == 2)
        .then(local + "@" + domain.str.extract(r"^([^.]+)", 1))
        .otherwise(local + "@@" + domain)
    )
    return _apply(frame, rows, column, expr)


def typos(rng: Rng, frame: pl.DataFrame, column: str, rate: float) -> pl.DataFrame:
    """Drop or double one letter inside some values ("Brightwave" -> "Brigthwave"-style)."""
    rows = rows_where(rng, frame.height, rate)
    u = pl.lit(pl.Series(values=rng.random(rows.size)))
    doubled = pl.lit(pl.Series(values=rng.random(rows.size) < 0.5))
    text = pl.col(column)
    at = (u * (text.str.len_chars() - 2).clip(lower_bound=1)).floor().cast(pl.Int64) + 1
    expr = (
        pl.when(doubled)
        .then(text.str.slice(0, at + 1) + text.str.slice(at))
        .otherwise(text.str.slice(0, at) + text.str.slice(at + 1))
    )
    return _apply(frame, rows, column, expr)


def anonymous_rows(
    rng: Rng, frame: pl.DataFrame, columns: Sequence[str], rate: float
) -> pl.DataFrame:
    """Rows with nothing that identifies a person (no email, profile, phone, id or name)."""
    rows = rows_where(rng, frame.height, rate)
    return frame.with_columns(_replace(frame[name], rows, None) for name in columns)


def with_duplicates(rng: Rng, frame: pl.DataFrame, rate: float) -> pl.DataFrame:
    """Some rows exported twice, the whole file in an arbitrary order."""
    copies = rows_where(rng, frame.height, rate)
    order = np.concatenate([np.arange(frame.height), copies])
    return frame[rng.permutation(order)]


def choose(rng: Rng, column: pl.Series, variants: Sequence[tuple[float, pl.Expr]]) -> pl.Series:
    """Per row, one of several spellings of a value: (probability, expression over "v")."""
    probs = np.array([p for p, _ in variants])
    which = pl.lit(
        pl.Series(values=rng.choice(len(variants), size=column.len(), p=probs / probs.sum()))
    )
    expr = pl.col("v")
    for index, (_, variant) in enumerate(variants):
        expr = pl.when(which == index).then(variant).otherwise(expr)
    return pl.DataFrame({"v": column}).select(expr).to_series()
