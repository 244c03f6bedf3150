"""Scoring a table with a trained model: calibrated probability, confidence, and the top
reasons for and against, all from one pass over the features; what the lead does not have
earns it nothing (`unknown`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from leadrank.scoring.reasons import model_reasons
from leadrank.scoring.unknown import filled, not_known, unknown_cells, without_unknown_credit
from leadrank.training.bundle import Matrix, ModelBundle
from leadrank.training.fit import column_contributions

BATCH_ROWS = 200_000  # bounds the memory of contributions on large tables


@dataclass
class ModelScores:
    """Per row: probability, confidence, reasons and the values those reasons cite."""

    probability: Matrix
    confidence: Matrix
    positive: pl.Series  # list of text
    negative: pl.Series
    cited: pl.Series  # JSON text
    not_known: pl.Series  # list of text: what the model relies on that the lead lacks


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
        pl.concat([p.cited for p in parts]),
        pl.concat([p.not_known for p in parts]),
    )


def _score_batch(bundle: ModelBundle, frame: pl.DataFrame) -> ModelScores:
    features = bundle.matrix(frame)
    raw, per_feature = bundle.raw_and_contributions(features)
    columns, contributions = column_contributions(bundle, features, per_feature)
    unknown = unknown_cells(frame, columns)
    raw, contributions = without_unknown_credit(raw, contributions, unknown)
    reasons = model_reasons(
        columns, contributions, frame, raw=raw, calibration=bundle.calibration, unknown=unknown
    )
    return ModelScores(
        bundle.calibration.apply(raw),
        confidence(bundle, frame, columns),
        reasons.positive,
        reasons.negative,
        reasons.cited,
        pl.Series(
            "not_known",
            not_known(unknown, columns, dict(bundle.metadata.get("importances") or [])),
            dtype=pl.List(pl.String),
        ),
    )


def confidence(bundle: ModelBundle, frame: pl.DataFrame, columns: list[str]) -> Matrix:
    """How much of what the model relies on is known for each row: the importance-weighted
    share of its input columns that are filled (1 when everything that matters is there)."""
    weights = dict(bundle.metadata.get("importances") or [])
    weighted = [c for c in columns if weights.get(c, 0) > 0]
    total = sum(weights[c] for c in weighted)
    if not weighted or total <= 0:
        return np.ones(frame.height)
    present = frame.select(
        (filled(frame, c).cast(pl.Float64) * weights[c]).alias(c)
        if c in frame.columns
        else pl.repeat(0.0, frame.height).alias(c)
        for c in weighted
    )
    return np.asarray(present.sum_horizontal().to_numpy() / total, dtype=np.float64)
