"""Reasons in plain words from a model's own per-prediction contributions.

A column's points are how much the probability would fall (or rise) if that column alone were
at its training average: 100 * (p - p without its contribution). That is exact for one column at
a time, readable ("Seniority is VP (+12)"), and never recomputed from anything but the model.

Every lead gets reasons: pushes of at least MIN_POINTS, and its own ALWAYS strongest pushes
however small they are in points (when the outcome is rare, a whole lead's chance is a fraction
of a point: "Seniority is vp (+0.04)"). A column the lead has no value for is never a reason:
what it does to the score is said apart ("not known: revenue, employees").

Only the cells that end up in a reason are formatted: on a million leads with 80 columns that is
six million cells instead of eighty million.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa

from leadrank.kit.json_text import json_string
from leadrank.normalize.values import blank_to_null
from leadrank.training.bundle import Calibration, Matrix

TOP = 3
MIN_POINTS = 0.5  # smaller pushes are reasons only when they are among a lead's strongest
ALWAYS = 2  # a lead's strongest pushes, either way, are always among its reasons
VALUE_CHARS = 40
_WINDOW = re.compile(r"^ev_(.+?)_(count|days_since_last|days_since_first|active_days)(?:_(\d+)d)?$")


def column_label(name: str) -> str:
    """A readable name for a column: behavioural features say what they count."""
    match = _WINDOW.match(name)
    if match:
        kind, measure, days = match.groups()
        what = "any activity" if kind == "all" else kind.replace("_", " ")
        if measure == "count":
            return f"{what} {'in the last ' + days + ' days' if days else 'ever'} (count)"
        if measure == "days_since_last":
            return "last activity" if kind == "all" else f"last {what}"
        if measure == "days_since_first":
            return f"days since the first {what}"
        return f"days with {what}"
    if name == "age_days":
        return "Age (days)"
    return name.replace("_", " ").strip().capitalize() if name.islower() else name


@dataclass
class Reasons:
    """Per row: the top reasons for and against, and the cited values as a JSON object."""

    positive: pl.Series  # list of text
    negative: pl.Series  # list of text
    cited: pl.Series  # JSON text: {"Seniority": "vp", ...}


def model_reasons(
    columns: list[str],
    contributions: Matrix,
    source: pl.DataFrame,
    *,
    raw: Matrix,
    calibration: Calibration,
    unknown: npt.NDArray[np.bool_] | None = None,
) -> Reasons:
    """The top positive and negative reasons of each row. `source` holds the input columns
    (any type; absent ones read as missing); `unknown` cells are not reasons."""
    rows = contributions.shape[0]
    probability = calibration.apply(raw)
    sides = [
        _side(contributions, raw, probability, calibration, sign=sign, unknown=unknown)
        for sign in (1, -1)
    ]
    cited = pl.concat(sides).sort("col")
    bounds = np.searchsorted(cited.get_column("col").to_numpy(), np.arange(len(columns) + 1))
    values = [
        shown_values(source, name, cited.get_column("row").slice(lo, hi - lo))
        for name, lo, hi in zip(columns, bounds[:-1], bounds[1:], strict=True)
        if hi > lo
    ]
    labels = [column_label(c) for c in columns]
    texts = cited.with_columns(
        pl.concat(values) if values else pl.Series("value", [], dtype=pl.String),
        pl.col("col")
        .replace_strict(list(range(len(labels))), labels, return_dtype=pl.String)
        .alias("label"),
    )
    texts = texts.with_columns(
        pl.format("{} is {} ({})", "label", "value", _signed_texts(texts)).alias("text")
    )
    listed = []
    for side in (1, -1):
        chosen = texts.filter(pl.col("side") == side).sort("row", "rank")
        listed.append(_per_row(rows, chosen.get_column("row"), chosen.get_column("text")))
    members = texts.unique(["row", "col"]).sort("row", "col")
    pairs = members.select(
        pl.format("{}:{}", json_string(pl.col("label")), json_string(pl.col("value")))
    ).to_series()
    joined = _per_row(rows, members.get_column("row"), pairs).list.join(",")
    return Reasons(
        listed[0].alias("positive_reasons"),
        listed[1].alias("negative_reasons"),
        ("{" + joined + "}").alias("cited"),
    )


def _per_row(rows: int, row_of: pl.Series, texts: pl.Series) -> pl.Series:
    """Texts (sorted by row) as one list per row, rows without any getting an empty list;
    built from offsets, which is far cheaper than grouping a million rows."""
    counts = np.bincount(row_of.to_numpy(), minlength=rows)
    offsets = pa.array(np.concatenate([[0], np.cumsum(counts)]), type=pa.int64())
    values = texts.cast(pl.String).to_arrow().cast(pa.large_string())
    series = pl.from_arrow(pa.LargeListArray.from_arrays(offsets, values))
    assert isinstance(series, pl.Series)
    return series


@dataclass
class Pushes:
    """The strongest pushes of one sign, as parallel arrays: the row, its rank on that row
    (strongest first), the column, and its rounded points."""

    row: npt.NDArray[np.int64]
    rank: npt.NDArray[np.int64]
    col: npt.NDArray[np.int64]
    points: Matrix


def top_pushes(
    contributions: Matrix,
    raw: Matrix,
    probability: Matrix,
    calibration: Calibration,
    *,
    sign: int,
    unknown: npt.NDArray[np.bool_] | None = None,
) -> Pushes:
    """Per row, the TOP columns that pushed its probability most in direction `sign`, in
    points of probability (rounded by `shown_points`): those of at least MIN_POINTS, and the
    row's ALWAYS strongest pushes whatever their size. `unknown` cells are never chosen."""
    rows, width = contributions.shape
    top = min(TOP, width)
    if top == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Pushes(empty, empty, empty, np.zeros(0))
    if unknown is not None:
        contributions = np.where(unknown, 0.0, contributions)
    signed = -sign * contributions
    chosen = (
        np.argpartition(signed, top - 1, axis=1)[:, :top]
        if top < width
        else np.tile(np.arange(width), (rows, 1))
    )
    order = np.argsort(np.take_along_axis(signed, chosen, axis=1), axis=1, kind="stable")
    chosen = np.take_along_axis(chosen, order, axis=1)
    pushed = np.take_along_axis(contributions, chosen, axis=1)
    points = 100 * (probability[:, None] - calibration.apply(raw[:, None] - pushed))
    strongest = _strongest(contributions)
    among = (chosen[:, :, None] == strongest[:, None, :]).any(axis=2)
    keep = ((sign * points >= MIN_POINTS) | (among & (sign * pushed > 0))).ravel()
    return Pushes(
        np.repeat(np.arange(rows, dtype=np.int64), top)[keep],
        np.tile(np.arange(top, dtype=np.int64), rows)[keep],
        chosen.ravel().astype(np.int64)[keep],
        shown_points(points.ravel()[keep]),
    )


def _strongest(contributions: Matrix) -> npt.NDArray[np.int64]:
    """Per row, the columns of its ALWAYS largest pushes either way."""
    width = contributions.shape[1]
    if width <= ALWAYS:
        return np.tile(np.arange(width), (contributions.shape[0], 1))
    size = -np.abs(contributions)
    return np.argpartition(size, ALWAYS - 1, axis=1)[:, :ALWAYS]


def shown_points(points: npt.ArrayLike) -> Matrix:
    """Points as reasons show them: whole from about one point up, then tenths, then
    hundredths, so a rare outcome's small pushes still read as numbers."""
    points = np.asarray(points, dtype=np.float64)
    size = np.abs(points)
    return np.where(
        size >= 0.95,
        np.round(points),
        np.where(size >= 0.095, np.round(points, 1), np.round(points, 2)),
    )


def _side(
    contributions: Matrix,
    raw: Matrix,
    probability: Matrix,
    calibration: Calibration,
    *,
    sign: int,
    unknown: npt.NDArray[np.bool_] | None,
) -> pl.DataFrame:
    """`top_pushes` as a frame: row, rank, col, points, side."""
    pushes = top_pushes(contributions, raw, probability, calibration, sign=sign, unknown=unknown)
    return pl.DataFrame(
        {
            "row": pushes.row,
            "rank": pushes.rank,
            "col": pushes.col,
            "points": pushes.points,
            "side": np.full(len(pushes.row), sign, dtype=np.int64),
        },
        schema={
            "row": pl.Int64,
            "rank": pl.Int64,
            "col": pl.Int64,
            "points": pl.Float64,
            "side": pl.Int64,
        },
    )


def signed_points(points: float, sign: int = 0) -> str:
    """ "+12", "-8", "+0.4", "+0.03", or "+<0.01" from points `shown_points` rounded; `sign`
    (+1 or -1) says which way a push too small to show went."""
    size = abs(points)
    way = "-" if (sign < 0 if size < 0.005 else points < 0) else "+"
    if size >= 0.95:
        return f"{way}{round(size)}"
    if size >= 0.095:
        return f"{way}{size:.1f}"
    if size >= 0.005:
        return f"{way}{size:.2f}"
    return f"{way}<0.01"


_POINTS = re.compile(r"\s*\(([+-])(<)?(\d+(?:\.\d+)?)\)\s*$")


def reason_points(reason: str) -> tuple[str, float | None]:
    """A reason split into its words and its signed points, as `signed_points` wrote them:
    "Seniority is vp (+0.9)" gives ("Seniority is vp", 0.9); "+<0.01" reads as 0.005; a
    reason with no points gives (the reason, None)."""
    found = _POINTS.search(reason)
    if found is None:
        return reason.strip(), None
    sign, below, number = found.groups()
    size = float(number) / 2 if below else float(number)
    return reason[: found.start()].strip(), -size if sign == "-" else size


def shown_values(source: pl.DataFrame, name: str, rows: pl.Series) -> pl.Series:
    """Some rows of a column as a person reads them: 81.4 rather than 81.39328, 3 rather than
    3.0, "missing" for an empty cell."""
    if name not in source.columns:
        return pl.Series("value", ["missing"] * rows.len(), dtype=pl.String)
    values = source.get_column(name).gather(rows)
    frame = values.to_frame("value")
    value = pl.col("value")
    if name.endswith("_days_since_last"):
        # "last email replied is 12 days ago", "last page view is never".
        days = value.cast(pl.Float64).round(0).cast(pl.Int64).cast(pl.String)
        shown = (days + pl.lit(" days ago")).fill_null("never")
        return frame.select(shown.alias("value")).to_series()
    if values.dtype.is_temporal():
        value = value.dt.strftime("%Y-%m-%d")  # the day is what a person acts on
    elif values.dtype.is_float():
        value = value.round(1).cast(pl.String).str.replace(r"\.0$", "")
    shown = blank_to_null(value.cast(pl.String)).str.slice(0, VALUE_CHARS).fill_null("missing")
    return frame.select(shown.alias("value")).to_series()


def _signed_texts(cited: pl.DataFrame) -> pl.Expr:
    """Each push's points as `signed_points` writes them: a few distinct values, each
    formatted once."""
    key = pl.col("side") * (pl.col("points").abs() + 1_000.0)
    pairs = cited.select(key.alias("key"), "points", "side").unique("key")
    texts = {
        k: signed_points(p, int(s))
        for k, p, s in zip(pairs["key"], pairs["points"], pairs["side"], strict=True)
    }
    if not texts:
        return pl.lit("", dtype=pl.String)
    return key.replace_strict(texts, return_dtype=pl.String)
