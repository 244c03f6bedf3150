"""Reasons in plain words from a model's own per-prediction contributions.

A column's points are how much the probability would fall (or rise) if that column alone were
at its training average: 100 * (p - p without its contribution). That is exact for one column at
a time, readable ("Seniority is VP (+12)"), and never recomputed from anything but the model.
"""

from __future__ import annotations

import re

import numpy as np
import polars as pl

from leadrank.training.bundle import Calibration, Matrix

TOP = 3
MIN_POINTS = 0.5  # smaller pushes are noise, not reasons
VALUE_CHARS = 40
_WINDOW = re.compile(r"^ev_(.+?)_(count|days_since_last|days_since_first|active_days)(?:_(\d+)d)?$")


def column_label(name: str) -> str:
    """A readable name for a column: behavioural features say what they count."""
    match = _WINDOW.match(name)
    if match:
        kind, measure, days = match.groups()
        what = "any activity" if kind == "all" else kind.replace("_", " ")
        if measure == "count":
            return f"{what} count, {'last ' + days + ' days' if days else 'all time'},"
        if measure == "days_since_last":
            return f"days since last {what}"
        if measure == "days_since_first":
            return f"days since the first {what}"
        return f"days with {what}"
    return name.replace("_", " ").strip().capitalize() if name.islower() else name


def model_reasons(
    columns: list[str],
    contributions: Matrix,
    values: pl.DataFrame,
    *,
    raw: Matrix,
    calibration: Calibration,
) -> tuple[pl.Series, pl.Series]:
    """The top positive and negative reasons of each row, as two list-of-text series.
    `values` holds each column's input as text, in `columns` order."""
    probability = calibration.apply(raw)
    shown = values.select(
        pl.col(c).cast(pl.String).str.slice(0, VALUE_CHARS).fill_null("missing").alias(f"v{i}")
        for i, c in enumerate(columns)
    )
    labels = [column_label(c) for c in columns]
    positive = _side(shown, labels, contributions, raw, probability, calibration, sign=1)
    negative = _side(shown, labels, contributions, raw, probability, calibration, sign=-1)
    return positive.alias("positive_reasons"), negative.alias("negative_reasons")


def _side(
    shown: pl.DataFrame,
    labels: list[str],
    contributions: Matrix,
    raw: Matrix,
    probability: Matrix,
    calibration: Calibration,
    *,
    sign: int,
) -> pl.Series:
    rows = np.arange(contributions.shape[0])
    order = np.argsort(-sign * contributions, axis=1, kind="stable")[:, :TOP]
    slots: list[pl.Expr] = []
    frame = shown
    for slot in range(order.shape[1]):
        index = order[:, slot]
        pushed = contributions[rows, index]
        points = 100 * (probability - calibration.apply(raw - pushed))
        keep = sign * points >= MIN_POINTS
        frame = frame.with_columns(
            pl.Series(f"i{slot}", index, dtype=pl.Int32),
            pl.Series(f"p{slot}", np.where(keep, np.round(points), np.nan)),
        )
        value = pl.coalesce(
            [pl.when(pl.col(f"i{slot}") == j).then(pl.col(f"v{j}")) for j in range(len(labels))]
        )
        label = pl.col(f"i{slot}").replace_strict(
            list(range(len(labels))), labels, return_dtype=pl.String
        )
        text = pl.format("{} is {} ({})", label, value, _signed(pl.col(f"p{slot}")))
        slots.append(pl.when(pl.col(f"p{slot}").is_not_nan()).then(text))
    if not slots:
        return pl.Series([[] for _ in rows], dtype=pl.List(pl.String))
    return frame.select(pl.concat_list(slots).list.drop_nulls().alias("reasons")).to_series()


def _signed(points: pl.Expr) -> pl.Expr:
    """ "+12" / "-8" from a rounded float."""
    whole = points.fill_nan(0).cast(pl.Int64).cast(pl.String)
    return pl.when(points >= 0).then(pl.lit("+") + whole).otherwise(whole)
