"""Training on a labelled table: type the columns, drop leaks, hold out a split (the latest
rows when the table has dates), choose a learner by cross-validation, calibrate it, and measure
it on the held-out rows."""

from __future__ import annotations

import hashlib
import platform
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from leadrank.errors import BadInput
from leadrank.features.auto import FeaturePlan, infer_plan
from leadrank.training.bundle import Matrix, ModelBundle
from leadrank.training.evaluation import Evaluation, evaluate
from leadrank.training.groups import Groups, group_labels, row_groups, sample_groups
from leadrank.training.leakage import LeakSuspect, find_leaks
from leadrank.training.learners import (
    Labels,
    Tried,
    cross_validate,
    fit_linear,
    fit_trees,
)

Rows = npt.NDArray[np.intp]
HELD_OUT = 0.2
MIN_ROWS = 40
MIN_PER_CLASS = 10
SEGMENT_COLUMNS = 3
WEAK_AUC = 0.6
SEARCH_ROWS = 200_000
FINAL_ROUNDS = 1.2  # the chosen trees' rounds, against the mean of the folds'


@dataclass(frozen=True)
class TrainOptions:
    """What the user can decide about a training run; the defaults suit most tables."""

    exclude: tuple[str, ...] = ()
    keep: tuple[str, ...] = ()  # suspected leaks to keep anyway
    # Columns built as of the observation time (behaviour): their names say nothing of leaks.
    point_in_time: tuple[str, ...] = ()
    time_column: str | None = None  # "" turns the time-based split off
    seed: int = 0
    time_budget: float = 120.0
    folds: int = 5


@dataclass
class TrainResult:
    """A fitted, calibrated, evaluated model and what was learnt on the way."""

    bundle: ModelBundle
    evaluation: Evaluation
    leaks: list[LeakSuspect]
    tried: list[Tried]
    split: str
    importances: list[tuple[str, float]]
    warnings: list[str] = field(default_factory=list)
    train_rows: Rows = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    held_rows: Rows = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


def fit_table(
    frame: pl.DataFrame,
    y: Labels,
    *,
    target: str,
    options: TrainOptions,
    groups: npt.ArrayLike | None = None,
) -> TrainResult:
    """Train on the labelled rows `frame` (target column already removed) with labels `y`.
    Rows of one `groups` value (one lead seen at several ages) are never split apart."""
    started = time.monotonic()
    codes = row_groups(groups, len(y))
    _check_size(group_labels(y, codes))
    unknown = [c for c in (*options.exclude, *options.keep) if c not in frame.columns]
    if unknown:
        raise BadInput(f"no column named {', '.join(map(repr, unknown))} in the table")
    plan = infer_plan(frame)
    if options.exclude:
        plan = plan.without(set(options.exclude), "left out (--exclude or a built-in rule)")
    leaks = find_leaks(
        frame, y, plan, seed=options.seed, trusted_names=options.point_in_time, groups=codes
    )
    dropped = {s.column for s in leaks if s.exclude and s.column not in options.keep}
    plan = plan.without(dropped, "suspected leak of the target")
    if not plan.feature_names:
        raise BadInput(
            "no usable feature columns are left: every column is an id, a constant, excluded "
            "or a suspected leak"
        )
    train, held, split = _split(frame, y, plan, options, codes)
    features = plan.transform(frame).to_numpy().astype(np.float64, copy=False)
    names = plan.feature_names
    searched = _search_rows(y, train, options.seed, codes)
    tried = cross_validate(
        features[searched],
        y[searched],
        groups=codes[searched],
        feature_names=names,
        categorical=plan.categorical_features,
        folds=options.folds,
        seed=options.seed,
        time_budget=options.time_budget,
    )
    best = min(tried, key=lambda t: t.sort_key)
    bundle = _fit_chosen(best, plan, features[train], y[train], options.seed)
    probability = bundle.probability(features[held])
    evaluation = evaluate(
        y[held].astype(np.int64), probability, segments=_segments(frame, held, plan)
    )
    importances = _importances(bundle, features[held])
    percentiles = np.quantile(probability, np.linspace(0, 1, 101)).tolist() if len(held) else []
    bundle.metadata = _metadata(frame, y, target, bundle, best, evaluation, leaks, split, options)
    bundle.metadata["importances"] = importances
    bundle.metadata["data_window"] = _data_window(frame, plan, options.time_column)
    bundle.metadata["probability_percentiles"] = [round(q, 6) for q in percentiles]
    bundle.metadata["seconds"] = round(time.monotonic() - started, 1)
    warnings = [s.message(target) for s in leaks if s.column not in options.keep]
    if best.auc < WEAK_AUC:
        warnings.append(
            f"the columns say little about {target}: cross-validated ROC-AUC {best.auc:.2f} "
            "(0.5 is a coin toss); scores will barely separate leads"
        )
    return TrainResult(bundle, evaluation, leaks, tried, split, importances, warnings, train, held)


def _check_size(y: Labels) -> None:
    """`y` holds one label per group (per lead, when leads are seen several times)."""
    positives = int(y.sum())
    if len(y) < MIN_ROWS or min(positives, len(y) - positives) < MIN_PER_CLASS:
        raise BadInput(
            f"too few labelled rows to learn from: {len(y):,} rows, {positives:,} positive; "
            f"at least {MIN_ROWS} rows and {MIN_PER_CLASS} of each outcome are needed"
        )


def _split(
    frame: pl.DataFrame, y: Labels, plan: FeaturePlan, options: TrainOptions, groups: Groups
) -> tuple[Rows, Rows, str]:
    """Indices of training and held-out rows, whole groups on each side: the latest 20% when
    there is a usable date column, else a stratified random 20%."""
    column = _time_column(frame, plan, options.time_column)
    if column is not None:
        when = plan.time_values(frame, column)
        order = np.argsort(np.where(np.isnan(when), -np.inf, when), kind="stable")
        late = np.zeros(int(groups.max()) + 1, dtype=bool)
        late[groups[order[int(len(order) * (1 - HELD_OUT)) :]]] = True
        train, held = np.flatnonzero(~late[groups]), np.flatnonzero(late[groups])
        labels = group_labels(y, groups)
        kept, later = labels[~late], labels[late]
        enough = min(kept.sum(), len(kept) - kept.sum()) >= options.folds
        if enough and min(later.sum(), len(later) - later.sum()) >= 2:
            return train, held, f"time-based: the latest 20% by '{column}'"
    everything = np.arange(len(y))
    held = sample_groups(y, groups, everything, share=HELD_OUT, seed=options.seed)
    return np.setdiff1d(everything, held), held, "stratified random 20%"


def _time_column(frame: pl.DataFrame, plan: FeaturePlan, chosen: str | None) -> str | None:
    if chosen == "":
        return None
    if chosen is not None:
        if chosen not in frame.columns:
            raise BadInput(f"--time-column '{chosen}' is not in the table")
        return chosen
    dated = [c.name for c in plan.columns if c.kind == "datetime"]
    filled = [c for c in dated if frame[c].null_count() <= 0.1 * frame.height]
    preferred = [c for c in filled if any(w in c.lower() for w in ("created", "date", "time"))]
    chosen_column = (preferred or filled)[:1]
    return chosen_column[0] if chosen_column else None


def _data_window(
    frame: pl.DataFrame, plan: FeaturePlan, chosen: str | None
) -> dict[str, str] | None:
    """The first and last date of the rows, by the date column a time-based split would use
    (None without one): what period the model learnt from."""
    column = _time_column(frame, plan, chosen)
    if column is None:
        return None
    seconds = plan.time_values(frame, column)
    known = seconds[np.isfinite(seconds)]
    if not known.size:
        return None
    start, end = (datetime.fromtimestamp(float(s), UTC) for s in (known.min(), known.max()))
    return {"column": column, "start": start.isoformat(), "end": end.isoformat()}


def _search_rows(y: Labels, train: Rows, seed: int, groups: Groups) -> Rows:
    """The training rows the learners are compared on: all of them up to SEARCH_ROWS, else a
    stratified sample of groups (the choice and the calibration settle long before a million
    rows; the chosen learner is then fitted on every row)."""
    if len(train) <= SEARCH_ROWS:
        return train
    return sample_groups(y, groups, train, share=SEARCH_ROWS / len(train), seed=seed)


def _fit_chosen(
    best: Tried, plan: FeaturePlan, features: Matrix, y: Labels, seed: int
) -> ModelBundle:
    calibration = best.calibration  # learnt from its out-of-fold predictions
    names, categorical = plan.feature_names, plan.categorical_features
    if best.candidate.algorithm == "lightgbm":
        booster = fit_trees(
            best.candidate,
            features,
            y,
            feature_names=names,
            categorical=categorical,
            seed=seed,
            # Each fold's trees stopped on 85% of 80% of these rows; more rows bear more rounds,
            # though fewer than in proportion.
            rounds=max(10, round(best.rounds * FINAL_ROUNDS)),
        )
        return ModelBundle("lightgbm", plan, calibration, booster=booster)
    linear = fit_linear(best.candidate, features, y, names, categorical)
    return ModelBundle("logistic", plan, calibration, linear=linear)


def column_contributions(
    bundle: ModelBundle, features: Matrix, per_feature: Matrix | None = None
) -> tuple[list[str], Matrix]:
    """Contributions summed per input column (a date's three features count as one)."""
    if per_feature is None:
        per_feature = bundle.contributions(features)
    owner = bundle.plan.feature_columns()
    columns = list(dict.fromkeys(owner[f] for f in bundle.feature_names))
    if len(columns) == len(bundle.feature_names):
        return columns, per_feature  # one feature per column: nothing to add up
    index = {c: i for i, c in enumerate(columns)}
    out = np.zeros((features.shape[0], len(columns)))
    for position, feature in enumerate(bundle.feature_names):
        out[:, index[owner[feature]]] += per_feature[:, position]
    return columns, out


def _importances(bundle: ModelBundle, features: Matrix) -> list[tuple[str, float]]:
    """Each column's share of the mean absolute contribution on held-out rows."""
    columns, contributions = column_contributions(bundle, features)
    weight = np.abs(contributions).mean(axis=0)
    total = float(weight.sum()) or 1.0
    ranked = sorted(zip(columns, weight / total, strict=True), key=lambda item: -item[1])
    return [(name, round(float(share), 4)) for name, share in ranked]


def _segments(frame: pl.DataFrame, held: Rows, plan: FeaturePlan) -> dict[str, npt.ArrayLike]:
    """Per-segment metrics for the first few category columns."""
    categorical = [c.name for c in plan.used if c.kind in ("categorical", "boolean")]
    rows = frame[held.tolist()]
    return {
        name: rows[name].cast(pl.String).fill_null("").to_numpy()
        for name in categorical[:SEGMENT_COLUMNS]
    }


def data_hash(frame: pl.DataFrame, y: Labels) -> str:
    """A short fingerprint of the training data, to tell runs on the same data apart."""
    digest = hashlib.sha256()
    digest.update(",".join(frame.columns).encode())
    digest.update(frame.hash_rows(seed=0).to_numpy().tobytes())
    digest.update(y.tobytes())
    return digest.hexdigest()[:16]


def _metadata(
    frame: pl.DataFrame,
    y: Labels,
    target: str,
    bundle: ModelBundle,
    best: Tried,
    evaluation: Evaluation,
    leaks: list[LeakSuspect],
    split: str,
    options: TrainOptions,
) -> dict[str, Any]:
    """The sidecar: what the model is, what it saw and how good it is."""
    return {
        "target": target,
        "algorithm": bundle.algorithm,
        "learner": best.candidate.label,
        "params": best.candidate.params,
        "rounds": best.rounds,
        "cv_auc": round(best.auc, 4),
        "rows": len(y),
        "positives": int(y.sum()),
        "split": split,
        "features": bundle.feature_names,
        "columns": {c.name: {"kind": c.kind, "reason": c.reason} for c in bundle.plan.columns},
        "excluded": list(options.exclude),
        "leaks": [{"column": s.column, "evidence": s.evidence} for s in leaks],
        "kept_leaks": list(options.keep),
        "data_hash": data_hash(frame, y),
        "metrics": evaluation.model_dump(mode="json"),
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "libraries": {
            "python": platform.python_version(),
            **{name: version(name) for name in ("leadrank", "lightgbm", "scikit-learn", "polars")},
        },
    }
