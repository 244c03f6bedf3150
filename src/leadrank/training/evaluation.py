"""How good a binary classifier is on a held-out split: ranking, calibration, lift and segments.

Pure numpy in, pydantic out, so the same figures feed the training report, the model registry and
the CLI. Undefined metrics (an AUC on a split with one class, a lift with no positives) are None
rather than an exception or a sklearn warning: a small or skewed split is a fact to report, not a
crash.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    log_loss,
    precision_recall_curve,
    roc_auc_score,
    roc_curve,
)

LIFT_SHARES = (0.05, 0.1, 0.2, 0.3, 0.5)
MAX_CURVE_POINTS = 200
MIN_SEGMENT_ROWS = 30
MAX_SEGMENT_VALUES = 20
MISSING_SEGMENT = "(missing)"
_EPSILON = 1e-15

Curve = list[tuple[float, float]]


class CalibrationBin(BaseModel):
    """One equal-width band of predicted probability and what actually happened in it."""

    lower: float
    upper: float
    rows: int
    mean_predicted: float
    observed_rate: float


class LiftPoint(BaseModel):
    """The top `share` of rows by probability: how pure it is and how much it beats random."""

    share: float
    rows: int
    precision: float
    recall: float | None  # None when the split has no positives
    lift: float | None  # precision / base_rate; None when the base rate is 0


class SegmentMetrics(BaseModel):
    """The model's quality within one value of one segment column (e.g. country = "DE")."""

    column: str
    value: str
    rows: int
    positives: int
    roc_auc: float | None
    brier: float
    mean_predicted: float
    observed_rate: float


class Evaluation(BaseModel):
    """Every held-out metric of one model; serialisable with model_dump(mode="json")."""

    rows: int
    positives: int
    base_rate: float
    roc_auc: float | None
    pr_auc: float | None
    brier: float
    log_loss: float
    calibration: list[CalibrationBin]
    lift: list[LiftPoint]
    precision_at_10: float
    precision_at_20: float
    lift_at_10: float | None
    lift_at_20: float | None
    roc_curve: Curve  # (false positive rate, true positive rate), ascending
    pr_curve: Curve  # (recall, precision), ascending recall
    gains_curve: Curve  # (share of rows contacted, share of positives captured)
    segments: list[SegmentMetrics]

    def summary_lines(self) -> list[str]:
        """A few lines a person reads first: headline metrics, top-decile lift and the split size."""
        lines = [
            f"ROC-AUC {_fmt(self.roc_auc)}  PR-AUC {_fmt(self.pr_auc)}  "
            f"Brier {_fmt(self.brier)}  log-loss {_fmt(self.log_loss)}",
            f"top 10%: precision {self.precision_at_10:.2f}, lift {_fmt_lift(self.lift_at_10)}; "
            f"top 20%: precision {self.precision_at_20:.2f}, lift {_fmt_lift(self.lift_at_20)}",
            f"held-out rows {self.rows:,} ({self.base_rate:.1%} positive)",
        ]
        if self.roc_auc is None:
            lines.append("only one class in the held-out split: ranking metrics are undefined")
        return lines


def evaluate(
    y_true: npt.ArrayLike,
    probability: npt.ArrayLike,
    *,
    segments: dict[str, npt.ArrayLike] | None = None,
    bins: int = 10,
) -> Evaluation:
    """Metrics of predicted probabilities against 0/1 outcomes, overall and per segment value."""
    y, p = _checked(y_true, probability)
    if bins < 1:
        raise ValueError(f"bins must be at least 1, got {bins}")
    rows = len(y)
    positives = int(y.sum())
    base_rate = positives / rows
    both_classes = 0 < positives < rows
    lift = _lift(y, p)
    at = {point.share: point for point in lift}
    return Evaluation(
        rows=rows,
        positives=positives,
        base_rate=base_rate,
        roc_auc=float(roc_auc_score(y, p)) if both_classes else None,
        pr_auc=float(average_precision_score(y, p)) if both_classes else None,
        brier=_brier(y, p),
        log_loss=float(log_loss(y, np.clip(p, _EPSILON, 1 - _EPSILON), labels=[0, 1])),
        calibration=_calibration(y, p, bins),
        lift=lift,
        precision_at_10=at[0.1].precision,
        precision_at_20=at[0.2].precision,
        lift_at_10=at[0.1].lift,
        lift_at_20=at[0.2].lift,
        roc_curve=_roc_curve(y, p) if both_classes else [],
        pr_curve=_pr_curve(y, p) if both_classes else [],
        gains_curve=_gains_curve(y, p),
        segments=_segments(y, p, segments or {}),
    )


def _checked(
    y_true: npt.ArrayLike, probability: npt.ArrayLike
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    y_raw = np.asarray(y_true)
    p = np.asarray(probability, dtype=np.float64)
    if y_raw.ndim != 1 or p.ndim != 1:
        raise ValueError("y_true and probability must be one-dimensional")
    if len(y_raw) == 0:
        raise ValueError("cannot evaluate an empty held-out split: no rows")
    if len(y_raw) != len(p):
        raise ValueError(f"y_true has {len(y_raw)} rows but probability has {len(p)}")
    if not np.isin(y_raw, (0, 1)).all():
        raise ValueError("y_true must hold only 0 and 1")
    if not np.isfinite(p).all() or p.min() < 0 or p.max() > 1:
        raise ValueError("probability must hold finite values in [0, 1]")
    return y_raw.astype(np.int64), p


def _brier(y: npt.NDArray[np.int64], p: npt.NDArray[np.float64]) -> float:
    # labels pins the positive class, so a split of only 0s or only 1s is still well-defined
    return float(brier_score_loss(y, p, labels=[0, 1]))


def _by_probability(p: npt.NDArray[np.float64]) -> npt.NDArray[np.intp]:
    # stable, so tied probabilities keep input order and results are reproducible
    return np.argsort(-p, kind="stable")


def _lift(y: npt.NDArray[np.int64], p: npt.NDArray[np.float64]) -> list[LiftPoint]:
    ranked = y[_by_probability(p)]
    positives = int(y.sum())
    base_rate = positives / len(y)
    points = []
    for share in LIFT_SHARES:
        # round, not ceil: 0.3 * 10 is 3.0000000000000004 in floating point
        top = max(1, round(share * len(y)))
        hits = int(ranked[:top].sum())
        precision = hits / top
        points.append(
            LiftPoint(
                share=share,
                rows=top,
                precision=precision,
                recall=hits / positives if positives else None,
                lift=precision / base_rate if base_rate else None,
            )
        )
    return points


def _calibration(
    y: npt.NDArray[np.int64], p: npt.NDArray[np.float64], bins: int
) -> list[CalibrationBin]:
    # a probability of exactly 1.0 belongs to the last band, not to an extra one
    index = np.minimum((p * bins).astype(np.int64), bins - 1)
    result = []
    for band in range(bins):
        members = index == band
        count = int(members.sum())
        if count == 0:
            continue
        result.append(
            CalibrationBin(
                lower=band / bins,
                upper=(band + 1) / bins,
                rows=count,
                mean_predicted=float(p[members].mean()),
                observed_rate=float(y[members].mean()),
            )
        )
    return result


def _thinned(xs: npt.NDArray[np.float64], ys: npt.NDArray[np.float64]) -> Curve:
    """At most MAX_CURVE_POINTS points, evenly spaced along the curve, both ends kept."""
    keep = np.unique(np.linspace(0, len(xs) - 1, min(len(xs), MAX_CURVE_POINTS)).round())
    return [(float(xs[i]), float(ys[i])) for i in keep.astype(np.int64)]


def _roc_curve(y: npt.NDArray[np.int64], p: npt.NDArray[np.float64]) -> Curve:
    fpr, tpr, _ = roc_curve(y, p)
    return _thinned(fpr, tpr)


def _pr_curve(y: npt.NDArray[np.int64], p: npt.NDArray[np.float64]) -> Curve:
    precision, recall, _ = precision_recall_curve(y, p)
    # sklearn gives recall descending; charts and readers expect it ascending
    return _thinned(recall[::-1], precision[::-1])


def _gains_curve(y: npt.NDArray[np.int64], p: npt.NDArray[np.float64]) -> Curve:
    positives = int(y.sum())
    if positives == 0:
        return []
    captured = np.concatenate(([0.0], np.cumsum(y[_by_probability(p)]) / positives))
    contacted = np.arange(len(y) + 1, dtype=np.float64) / len(y)
    return _thinned(contacted, captured)


def _labels(values: npt.ArrayLike, rows: int, column: str) -> npt.NDArray[np.str_]:
    raw = np.asarray(values, dtype=object)
    if raw.shape != (rows,):
        raise ValueError(f"segment {column!r} has shape {raw.shape}, expected ({rows},)")
    return np.array([_label(value) for value in raw], dtype=np.str_)


def _label(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING_SEGMENT
    text = str(value).strip()
    return text or MISSING_SEGMENT


def _segments(
    y: npt.NDArray[np.int64], p: npt.NDArray[np.float64], columns: dict[str, npt.ArrayLike]
) -> list[SegmentMetrics]:
    result = []
    for column, values in columns.items():
        labels = _labels(values, len(y), column)
        names, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
        # largest first; the name breaks ties so the order does not depend on the data's order
        order = sorted(range(len(names)), key=lambda i: (-counts[i], str(names[i])))
        for i in order[:MAX_SEGMENT_VALUES]:
            if counts[i] < MIN_SEGMENT_ROWS:
                break
            members = inverse == i
            result.append(_segment(column, str(names[i]), y[members], p[members]))
    return result


def _segment(
    column: str, value: str, y: npt.NDArray[np.int64], p: npt.NDArray[np.float64]
) -> SegmentMetrics:
    positives = int(y.sum())
    return SegmentMetrics(
        column=column,
        value=value,
        rows=len(y),
        positives=positives,
        roc_auc=float(roc_auc_score(y, p)) if 0 < positives < len(y) else None,
        brier=_brier(y, p),
        mean_predicted=float(p.mean()),
        observed_rate=positives / len(y),
    )


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _fmt_lift(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}x"
