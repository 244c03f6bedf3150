"""Vectorised building blocks: weighted picks, per-group string formats, dates and ids."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np
import polars as pl
import pyarrow as pa

DAY = 86_400
# Every date in the sample falls in 2026-01-01..2026-10-31 (UTC), whatever today is.
START = 1_767_225_600  # 2026-01-01T00:00:00Z
END = START + 304 * DAY - 1  # 2026-10-31T23:59:59Z

Rng = np.random.Generator
IntArray = np.ndarray[tuple[int], np.dtype[np.int64]]
FloatArray = np.ndarray[tuple[int], np.dtype[np.float64]]


def sigmoid(x: FloatArray) -> FloatArray:
    """The logistic function."""
    return np.asarray(1.0 / (1.0 + np.exp(-x)), dtype=np.float64)


def strings(values: Sequence[str], index: IntArray) -> pl.Series:
    """values[index] as a string Series."""
    return pl.Series(values=list(values), dtype=pl.String).gather(index)


def rows_where(rng: Rng, n: int, rate: float | FloatArray) -> IntArray:
    """Indices of the rows that a coin with probability `rate` picks."""
    return np.flatnonzero(rng.random(n) < rate).astype(np.int64)


def pick(rng: Rng, n: int, weights: Sequence[float]) -> IntArray:
    """n draws of an index into `weights`, each with probability proportional to its weight."""
    p = np.asarray(weights, dtype=np.float64)
    return rng.choice(len(p), size=n, p=p / p.sum()).astype(np.int64)


def pick_in_groups(
    rng: Rng, group: IntArray, item_group: IntArray, item_weight: FloatArray
) -> IntArray:
    """For each row, an item of the row's group drawn by weight (items sorted by group)."""
    totals = np.bincount(item_group, weights=item_weight, minlength=int(group.max(initial=0)) + 1)
    within = np.cumsum(item_weight) - np.cumsum(totals)[item_group] + totals[item_group]
    # Cumulative weights rescaled to (0, 1] within each group, shifted by the group number, make
    # one sorted array that a single searchsorted answers for every row.
    keys = item_group + within / totals[item_group]
    last = np.cumsum(np.bincount(item_group, minlength=totals.size)) - 1
    found = np.searchsorted(keys, group + rng.random(group.size), side="right")
    return np.minimum(found, last[group]).astype(np.int64)


def by_group(
    group: IntArray, groups: int, build: Callable[[int, IntArray], pl.Series]
) -> pl.Series:
    """A String Series built group by group: build(g, rows) gives the values of those rows."""
    order = np.argsort(group, kind="stable")
    bounds = np.searchsorted(group[order], np.arange(groups + 1))
    parts = [
        build(g, order[bounds[g] : bounds[g + 1]])
        for g in range(groups)
        if bounds[g] < bounds[g + 1]
    ]
    if not parts:
        return pl.Series(values=[], dtype=pl.String)
    inverse = np.empty_like(order)
    inverse[order] = np.arange(order.size)
    return pl.concat(parts).gather(inverse)


def spell(digits: pl.Series, pattern: str) -> pl.Series:
    """Digits written through a pattern: each "N" takes the next digit ("(NNN) NNN-NNNN")."""
    pieces: list[pl.Expr] = []
    position = 0
    for run in re.findall(r"N+|[^N]+", pattern):
        if run.startswith("N"):
            pieces.append(pl.col("d").str.slice(position, len(run)))
            position += len(run)
        else:
            pieces.append(pl.lit(run))
    return pl.DataFrame({"d": digits}).select(pl.concat_str(pieces)).to_series()


def formatted_times(seconds: IntArray, fmt: str, millis: IntArray | None = None) -> pl.Series:
    """Epoch seconds (plus optional milliseconds) as text in a strftime format (UTC)."""
    moments = pl.Series(values=seconds * 1000 + (0 if millis is None else millis), dtype=pl.Int64)
    frame = pl.DataFrame({"t": moments})
    return frame.select(pl.from_epoch("t", time_unit="ms").dt.strftime(fmt)).to_series()


def mixed_times(rng: Rng, seconds: IntArray, formats: Sequence[str]) -> pl.Series:
    """Epoch seconds as text, each row in one of several formats ("epoch" for plain seconds)."""
    choice = rng.integers(0, len(formats), seconds.size)

    def build(g: int, rows: IntArray) -> pl.Series:
        if formats[g] == "epoch":
            return pl.Series(values=seconds[rows], dtype=pl.Int64).cast(pl.String)
        return formatted_times(seconds[rows], formats[g])

    return by_group(choice, len(formats), build)


def hex_ids(rng: Rng, n: int, nbytes: int) -> pl.Series:
    """n random lowercase hex strings of 2*nbytes digits (vendor object ids)."""
    raw = pa.py_buffer(rng.bytes(n * nbytes))
    array = pa.Array.from_buffers(pa.binary(nbytes), n, [None, raw])
    binary = pl.Series(values=array.cast(pa.large_binary()))
    return binary.bin.encode("hex").cast(pl.String)


def occurrence(keys: IntArray) -> IntArray:
    """For each row, how many earlier rows carry the same key (0 for the first)."""
    order = np.argsort(keys, kind="stable")
    ranked = keys[order]
    starts = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]])
    sizes = np.diff(np.r_[starts, ranked.size])
    within = np.arange(ranked.size) - np.repeat(starts, sizes)
    result = np.empty_like(within)
    result[order] = within
    return result.astype(np.int64)


def unique_numbers(rng: Rng, n: int, low: int) -> IntArray:
    """n distinct random-looking integers from `low` up: a permutation, spread out."""
    spread = 97
    return (rng.permutation(n) * spread + rng.integers(0, spread, n) + low).astype(np.int64)
