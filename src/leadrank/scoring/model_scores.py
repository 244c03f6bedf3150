"""Scoring a table with a trained model: calibrated probability, confidence, and the top
reasons for and against, all from one pass over the features."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from leadrank.leads.normalize.values import blank_to_null
from leadrank.scoring.reasons import model_reasons
from leadrank.training.bundle import Matrix, ModelBundle
from leadrank.training.fit import column_contributions

BATCH_ROWS = 200_000  # bounds the memory of contributions on large tables


@dataclass
class ModelScores:
    """Per row: probability, confidence and reasons."""

    probability: Matrix
    confidence: Matrix
    positive: pl.Series  # list of text
    negative: pl.Series


def score_frame(bundle: ModelBundle, frame: pl.DataFrame) -> ModelScores:
    """Score every row of `frame`, in batches so a million rows fit in memory."""
    parts = [
        _score_batch(bundle, frame.slice(start, BATCH_ROWS))
        for start in range(0, max(frame.height, 1), BATCH_ROWS)
    ]
    return ModelScores(
        np.concatenate([p.probability for p in parts]),
        np.concatenate([p.confidence for p in parts]),
        pl.concat([p.positive for p in parts]),
        pl.concat([p.negative for p in parts]),
    )


def _score_batch(bundle: ModelBundle, frame: pl.DataFrame) -> ModelScores:
    features = bundle.matrix(frame)
    raw = bundle.raw(features)
    columns, contributions = column_contributions(bundle, features)
    values = frame.select(_shown(frame, c) for c in columns)
    positive, negative = model_reasons(
        columns, contributions, values, raw=raw, calibration=bundle.calibration
    )
    return ModelScores(
        bundle.calibration.apply(raw), confidence(bundle, values), positive, negative
    )


def _shown(frame: pl.DataFrame, column: str) -> pl.Expr:
    """A column's values as a person reads them: 81.4 rather than 81.39328, 3 rather than 3.0."""
    if column not in frame.columns:
        return pl.lit(None, pl.String).alias(column)
    value = pl.col(column)
    if frame.schema[column].is_float():
        value = value.round(1).cast(pl.String).str.replace(r"\.0$", "")
    return blank_to_null(value.cast(pl.String)).alias(column)


def confidence(bundle: ModelBundle, values: pl.DataFrame) -> Matrix:
    """How much of what the model relies on is known for each row: the importance-weighted
    share of its input columns that are filled (1 when everything that matters is there)."""
    weights = dict(bundle.metadata.get("importances") or [])
    columns = [c for c in values.columns if weights.get(c, 0) > 0]
    total = sum(weights[c] for c in columns)
    if not columns or total <= 0:
        return np.ones(values.height)
    present = values.select(pl.col(c).is_not_null().cast(pl.Float64) * weights[c] for c in columns)
    return np.asarray(present.sum_horizontal().to_numpy() / total, dtype=np.float64)
