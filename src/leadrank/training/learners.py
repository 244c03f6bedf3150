"""The learners and how one is chosen: a few LightGBM settings and a logistic regression,
compared by stratified cross-validation within a time budget, then calibrated on their
out-of-fold predictions."""

from __future__ import annotations

import os
import re
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score

from leadrank.training.bundle import Algorithm, Calibration, LinearModel, Matrix
from leadrank.training.design import LinearDesign
from leadrank.training.groups import Groups, row_groups, sample_groups, stratified_folds

Labels = npt.NDArray[np.int8]
_JSON_PUNCTUATION = re.compile(r'[",:\[\]{}]')
MAX_ROUNDS = 2_000
PARALLEL_ROWS = 100_000  # tables at least this long train on every core
PATIENCE = 50
STOPPING_SHARE = 0.15  # of each fold's training rows, where boosting decides to stop
_TREES: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.05,
    "feature_fraction": 0.9,
    "bagging_fraction": 0.9,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "max_cat_to_onehot": 8,
    "cat_smooth": 10.0,
    "min_data_per_group": 30,
    "verbose": -1,
    "deterministic": True,
    "force_col_wise": True,
}


@dataclass(frozen=True)
class Candidate:
    """One learner with its settings."""

    algorithm: Algorithm
    params: dict[str, Any]

    @property
    def label(self) -> str:
        """ "lightgbm (15 leaves, 20 per leaf)", "logistic (C=1)"."""
        if self.algorithm == "lightgbm":
            return (
                f"lightgbm ({self.params['num_leaves']} leaves, "
                f"{self.params['min_data_in_leaf']} per leaf)"
            )
        return f"logistic (C={self.params['C']:g})"


CANDIDATES = (
    Candidate("lightgbm", {"num_leaves": 15, "min_data_in_leaf": 20}),
    Candidate("logistic", {"C": 1.0}),
    Candidate("lightgbm", {"num_leaves": 31, "min_data_in_leaf": 40}),
    Candidate("lightgbm", {"num_leaves": 7, "min_data_in_leaf": 50}),
    Candidate("logistic", {"C": 0.1}),
)


@dataclass
class Tried:
    """How one candidate did in cross-validation."""

    candidate: Candidate
    auc: float
    out_of_fold: Matrix  # raw log-odds of each training row, from the fold that held it out
    rounds: int = 0  # boosting rounds that early stopping settled on
    seconds: float = 0.0
    fold_aucs: list[float] = field(default_factory=list)
    log_loss: float = 0.0  # of the out-of-fold predictions once calibrated
    calibration: Calibration = field(default_factory=Calibration)  # learnt from out_of_fold

    @property
    def sort_key(self) -> tuple[float, float]:
        """Lower is better: calibrated log-loss first (it rewards ranking and honest
        probabilities alike), then AUC."""
        return (round(self.log_loss, 4), -self.auc)


def tree_params(
    candidate: Candidate, y: Labels, *, seed: int, threads: int | None = None
) -> dict[str, Any]:
    """Full LightGBM parameters; rare positives are up-weighted (square root of the imbalance,
    which calibration then takes back out of the probabilities)."""
    params = {**_TREES, **candidate.params, "seed": seed}
    # OpenMP threads spin while they wait: on a small table, or a machine that is busy with
    # other work, one thread is many times faster than one per core.
    params["num_threads"] = threads or (1 if len(y) < PARALLEL_ROWS else os.cpu_count() or 1)
    positives = float(y.sum())
    share = positives / max(len(y), 1)
    if 0 < share < 0.1:
        params["scale_pos_weight"] = float(np.sqrt((len(y) - positives) / positives))
    return params


def cross_validate(
    features: Matrix,
    y: Labels,
    *,
    feature_names: list[str],
    categorical: list[str],
    groups: Groups | None = None,
    folds: int = 5,
    seed: int = 0,
    time_budget: float = 120.0,
    candidates: tuple[Candidate, ...] = CANDIDATES,
) -> list[Tried]:
    """Each candidate's out-of-fold predictions and AUC, folds keeping `groups` whole; later
    candidates are skipped once the budget is spent (the first of each algorithm always runs)."""
    codes = row_groups(groups, len(y))  # renumbered: a sample holds only some groups
    splits = stratified_folds(y, codes, folds=folds, seed=seed)
    # Boosting stops on a part of each fold's training rows, never on the rows it is then
    # judged and calibrated on, which would flatter the trees against the linear model.
    stops = [sample_groups(y, codes, train, share=STOPPING_SHARE, seed=seed) for train, _ in splits]
    started = time.monotonic()
    tried: list[Tried] = []
    for candidate in candidates:
        first_of_kind = all(t.candidate.algorithm != candidate.algorithm for t in tried)
        if not first_of_kind and time.monotonic() - started > time_budget:
            continue
        clock = time.monotonic()
        out = np.zeros(len(y))
        rounds: list[int] = []
        for (train, held), stop in zip(splits, stops, strict=True):
            if candidate.algorithm == "lightgbm":
                fit_rows = np.setdiff1d(train, stop, assume_unique=True)
                booster = fit_trees(
                    candidate,
                    features[fit_rows],
                    y[fit_rows],
                    feature_names=feature_names,
                    categorical=categorical,
                    seed=seed,
                    valid=(features[stop], y[stop]),
                )
                rounds.append(booster.best_iteration or booster.current_iteration())
                out[held] = booster.predict(features[held], raw_score=True)
            else:
                linear = fit_linear(
                    candidate, features[train], y[train], feature_names, categorical
                )
                out[held] = linear.raw(features[held])
        fold_aucs = [float(roc_auc_score(y[held], out[held])) for _, held in splits]
        calibration = fit_calibration(out, y)
        calibrated = calibration.apply(out)
        tried.append(
            Tried(
                candidate,
                float(np.mean(fold_aucs)),
                out,
                int(np.mean(rounds)) if rounds else 0,
                time.monotonic() - clock,
                fold_aucs,
                float(log_loss(y, np.clip(calibrated, 1e-12, 1 - 1e-12))),
                calibration,
            )
        )
    return tried


def fit_trees(
    candidate: Candidate,
    features: Matrix,
    y: Labels,
    *,
    feature_names: list[str],
    categorical: list[str],
    seed: int,
    rounds: int = MAX_ROUNDS,
    valid: tuple[Matrix, Labels] | None = None,
) -> lgb.Booster:
    """A LightGBM booster; with `valid`, boosting stops once it stops improving there."""
    params = tree_params(candidate, y, seed=seed)
    safe = lightgbm_names(feature_names)
    renamed = dict(zip(feature_names, safe, strict=True))
    data = lgb.Dataset(
        features,
        label=y,
        feature_name=safe,
        categorical_feature=[renamed[c] for c in categorical],
        free_raw_data=True,
    )
    callbacks: list[Callable[..., Any]] = []
    valid_sets: list[lgb.Dataset] = []
    if valid is not None:
        valid_sets = [lgb.Dataset(valid[0], label=valid[1], reference=data)]
        callbacks = [lgb.early_stopping(PATIENCE, verbose=False)]
    return lgb.train(
        params, data, num_boost_round=rounds, valid_sets=valid_sets, callbacks=callbacks
    )


def lightgbm_names(names: list[str]) -> list[str]:
    """Feature names LightGBM accepts (no JSON punctuation, unique); the plan keeps the real
    names, the booster only these."""
    safe: list[str] = []
    for index, name in enumerate(names):
        cleaned = _JSON_PUNCTUATION.sub("_", name)
        safe.append(cleaned if cleaned not in safe else f"{cleaned}_{index}")
    return safe


def fit_linear(
    candidate: Candidate,
    features: Matrix,
    y: Labels,
    feature_names: list[str],
    categorical: list[str],
) -> LinearModel:
    """A logistic regression on the standardised design."""
    design = LinearDesign.fit(features, feature_names, set(categorical))
    model = LogisticRegression(C=candidate.params["C"], max_iter=2_000)
    with warnings.catch_warnings():
        # A few hard separations never converge fully; the fit is still usable.
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(design.transform(features), y)
    return LinearModel(design, model.coef_[0].tolist(), float(model.intercept_[0]))


def fit_calibration(raw: Matrix, y: Labels) -> Calibration:
    """Platt scaling learnt from out-of-fold log-odds."""
    model = LogisticRegression(C=1e6, max_iter=1_000)
    model.fit(raw[:, None], y)
    return Calibration(slope=float(model.coef_[0][0]), shift=float(model.intercept_[0]))
