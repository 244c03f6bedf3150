"""Leakage checks: columns that give the answer away instead of predicting it.

Three signals, each reported with its evidence:
- a column that alone predicts the target almost perfectly (out-of-fold AUC of its values);
- a column that is filled for one outcome and empty for the other, as fields that sales fill in
  after contact are (a smaller gap is reported too, and kept: it is often a real signal);
- a column whose name says it records the sales process itself (status, stage, outcome, tags,
  lead quality, last activity). Weaker names (scores, ratings, indexes from other systems) are
  only warned about.
The first three kinds are excluded by default; the message says how to keep them.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl
from sklearn.metrics import roc_auc_score

from leadrank.features.auto import FeaturePlan
from leadrank.normalize.values import blank_to_null
from leadrank.training.groups import Groups, row_groups

ALONE_AUC = 0.9  # one column this good on its own is an answer, not a predictor
PRESENCE_GAP = 0.5  # filled for 80% of one outcome and 30% of the other, or worse
PRESENCE_HINT = 0.25  # a smaller gap is reported, and kept: it is often a real signal
FOLDS = 5
BINS = 20
# A status, stage or quality of the lead or deal (not "Email Status" or a data quality score).
_PROCESS_NAME = re.compile(
    r"\b((lead|deal|opportunity|opp|sales|lifecycle|pipeline|account|customer|contact|crm)\s+"
    r"(status|stage|quality)|^(status|stage)$|outcome|result|disposition|tags?|won|lost|"
    r"closed?|converted|conversion|churn(ed)?|last (notable )?activity|reason)\b",
    re.IGNORECASE,
)
_ASSESSMENT_NAME = re.compile(r"\b(score|rating|grade|index|profile|activity)\b", re.IGNORECASE)


@dataclass(frozen=True)
class LeakSuspect:
    """One column and why it looks like it leaks the outcome."""

    column: str
    evidence: str
    exclude: bool  # excluded unless the user keeps it

    def message(self, target: str) -> str:
        """A warning line that says what happens and how to change it."""
        action = (
            f"left out; keep it with --keep '{self.column}'"
            if self.exclude
            else f"kept; if it is filled in after contact, leave it out with --exclude '{self.column}'"
        )
        return f"possible leak of {target}: '{self.column}' {self.evidence}: {action}"


def find_leaks(
    frame: pl.DataFrame,
    y: npt.NDArray[np.int8],
    plan: FeaturePlan,
    *,
    seed: int = 0,
    trusted_names: Collection[str] = (),
    groups: Groups | None = None,
) -> list[LeakSuspect]:
    """Columns of `frame` (labelled rows only) that look like they leak `y`; the names of
    `trusted_names` are not held against them (their values still are). Rows of one group
    share a fold."""
    suspects: list[LeakSuspect] = []
    codes = groups if groups is not None else row_groups(None, len(y))
    folds = np.random.default_rng(seed).integers(0, FOLDS, size=int(codes.max()) + 1)[codes]
    for column in plan.used:
        name = column.name
        if name not in frame.columns:
            continue
        text = frame.select(blank_to_null(pl.col(name).cast(pl.String))).to_series()
        auc = max(_alone_auc(_value_codes(text), y, folds), _ordered_auc(text, y))
        present = text.is_not_null().to_numpy()
        gap = abs(present[y == 1].mean() - present[y == 0].mean())
        if auc >= ALONE_AUC:
            evidence = f"alone predicts it almost perfectly (out-of-fold AUC {auc:.2f})"
            suspects.append(LeakSuspect(name, evidence, exclude=True))
        elif gap >= PRESENCE_GAP:
            evidence = (
                f"is filled for {present[y == 1].mean():.0%} of positives but "
                f"{present[y == 0].mean():.0%} of negatives, as if filled in after the outcome"
            )
            suspects.append(LeakSuspect(name, evidence, exclude=True))
        elif abs(gap) >= PRESENCE_HINT and name not in trusted_names:
            suspects.append(LeakSuspect(name, _presence_hint(present, y), exclude=False))
        elif name in trusted_names:
            continue
        elif _PROCESS_NAME.search(_spaced(name)):
            evidence = f"is named like a field of the sales process (AUC alone {auc:.2f})"
            suspects.append(LeakSuspect(name, evidence, exclude=True))
        elif _ASSESSMENT_NAME.search(_spaced(name)):
            evidence = f"is named like an assessment made by a team or tool (AUC alone {auc:.2f})"
            suspects.append(LeakSuspect(name, evidence, exclude=False))
    return suspects


def _presence_hint(present: npt.NDArray[np.bool_], y: npt.NDArray[np.int8]) -> str:
    """Why an empty-or-not gap is worth a look, said in the direction it goes."""
    positives, negatives = present[y == 1].mean(), present[y == 0].mean()
    if positives > negatives:
        return (
            f"is filled for {positives:.0%} of positives but {negatives:.0%} of negatives, "
            "as a field filled in after contact would be"
        )
    return (
        f"is empty for {1 - positives:.0%} of positives but {1 - negatives:.0%} of negatives; "
        "empty values earn no points when leads are scored"
    )


def _spaced(name: str) -> str:
    """ "lastActivity_type" -> "last Activity type", so word patterns see the words."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])|[_\-.]+", " ", name)


def _value_codes(text: pl.Series) -> npt.NDArray[np.int64]:
    """Each row's value as a small integer: numbers by quantile bin, the rest by value, and
    empty cells as their own code, so "missing" can be a signal too."""
    numbers = text.str.replace_all(",", "").cast(pl.Float64, strict=False)
    if int(numbers.is_not_null().sum()) >= 0.95 * max(int(text.is_not_null().sum()), 1):
        ranks = numbers.rank("dense").fill_null(0).to_numpy().astype(np.int64)
        top = max(int(ranks.max()), 1)
        return np.where(ranks > 0, 1 + (ranks - 1) * BINS // top, 0)
    codes = text.cast(pl.Categorical).to_physical().cast(pl.Int64).fill_null(-1).to_numpy()
    return np.asarray(codes, dtype=np.int64) + 1


def _ordered_auc(text: pl.Series, y: npt.NDArray[np.int8]) -> float:
    """AUC of a numeric column's own order (either direction; empty cells lowest), which
    catches an amount that is 0 for every lost deal and positive for every won one."""
    numbers = text.str.replace_all(",", "").cast(pl.Float64, strict=False)
    numbers = numbers.set(~numbers.is_finite().fill_null(True), None)
    known = numbers.drop_nulls()
    if known.len() < 0.95 * max(text.drop_nulls().len(), 1) or known.n_unique() < 2:
        return 0.5
    lowest = float(known.min()) - 1.0  # type: ignore[arg-type]
    auc = float(roc_auc_score(y, numbers.fill_null(lowest).fill_nan(lowest).to_numpy()))
    return max(auc, 1 - auc)


def _alone_auc(
    codes: npt.NDArray[np.int64], y: npt.NDArray[np.int8], folds: npt.NDArray[np.int64]
) -> float:
    """Out-of-fold AUC of predicting y by each value's smoothed positive rate."""
    size = int(codes.max()) + 1
    predicted = np.empty(len(y), dtype=np.float64)
    for fold in range(FOLDS):
        held = folds == fold
        train = ~held
        totals = np.bincount(codes[train], minlength=size)
        positives = np.bincount(codes[train], weights=y[train], minlength=size)
        prior = float(y[train].mean()) if train.any() else 0.5
        rates = (positives + 10 * prior) / (totals + 10)
        predicted[held] = rates[codes[held]]
    if y.min() == y.max():
        return 0.5
    auc = float(roc_auc_score(y, predicted))
    return max(auc, 1 - auc)
