"""Training on a table: targets, leaks, learners, calibration, stored bundles, reasons."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from leadrank.errors import BadInput
from leadrank.scoring.model_scores import score_frame
from leadrank.training.bundle import ModelBundle
from leadrank.training.fit import TrainOptions, column_contributions, fit_table
from leadrank.training.target import binary_target

FAST = TrainOptions(time_budget=0.0, folds=3)


def leads_table(rows: int = 1_500, seed: int = 1) -> tuple[pl.DataFrame, np.ndarray]:
    """Leads whose outcome depends on seniority and visits; one column gives it away."""
    rng = np.random.default_rng(seed)
    seniority = rng.choice(["vp", "director", "manager", "ic"], size=rows)
    visits = rng.poisson(3, size=rows)
    noise = rng.normal(size=rows)
    logit = -1.5 + 1.8 * (seniority == "vp") + 0.9 * (seniority == "director") + 0.35 * visits
    y = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(np.int8)
    created = [datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=int(h)) for h in range(rows)]
    frame = pl.DataFrame(
        {
            "Lead ID": [f"L-{i:06d}" for i in range(rows)],
            "Seniority": seniority,
            "Visits": visits.astype(str),
            "Noise": np.round(noise, 3).astype(str),
            "Created": [c.strftime("%Y-%m-%d %H:%M") for c in created],
            # Filled by sales after the outcome: the answer itself, in other words.
            "Deal Notes": np.where(y == 1, "signed contract", "no budget"),
        }
    )
    return frame, y


def test_binary_target_reads_yes_no_columns_and_asks_otherwise() -> None:
    frame = pl.DataFrame({"Converted": ["1", "0", None, "1", "0"] * 20})
    target = binary_target(frame, "Converted")
    assert target.unlabelled == 20 and target.y.sum() == 40
    stages = pl.DataFrame({"stage": ["Won", "Lost", "Engaging", "Won"] * 10})
    with pytest.raises(BadInput, match="--positive"):
        binary_target(stages, "stage")
    won = binary_target(stages, "stage", positive=["won"], negative=["Lost"])
    assert won.unlabelled == 10 and won.y.tolist().count(1) == 20
    with pytest.raises(BadInput, match="never occurs"):
        binary_target(stages, "stage", positive=["Closed"])
    with pytest.raises(BadInput, match="not in the table"):
        binary_target(stages, "outcome")


def test_training_leaves_out_ids_and_leaks_and_learns_the_signal() -> None:
    frame, y = leads_table()
    result = fit_table(frame, y, target="Converted", options=FAST)
    columns = result.bundle.metadata["columns"]
    assert columns["Lead ID"]["kind"] == "id"
    assert columns["Deal Notes"]["kind"] == "excluded"
    assert any("'Deal Notes'" in w and "--keep" in w for w in result.warnings)
    assert result.split.startswith("time-based") and "Created" in result.split
    # The period it learnt from, by the same date column: the first and last row's.
    assert result.bundle.metadata["data_window"] == {
        "column": "Created",
        "start": "2026-01-01T00:00:00+00:00",
        "end": (datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=1_499)).isoformat(),
    }
    # The held-out rows are the latest ones.
    assert result.held_rows.min() > result.train_rows.max() - 1
    assert result.evaluation.roc_auc is not None and result.evaluation.roc_auc > 0.68
    top = [name for name, _ in result.importances[:2]]
    assert set(top) == {"Seniority", "Visits"}
    assert {t.candidate.algorithm for t in result.tried} == {"lightgbm", "logistic"}


def test_a_kept_leak_is_used_and_predicts_perfectly() -> None:
    frame, y = leads_table()
    result = fit_table(
        frame,
        y,
        target="Converted",
        options=TrainOptions(keep=("Deal Notes",), time_budget=0, folds=3),
    )
    assert result.bundle.metadata["columns"]["Deal Notes"]["kind"] != "excluded"
    assert result.evaluation.roc_auc == pytest.approx(1.0)


def test_exclude_and_keep_must_name_columns() -> None:
    frame, y = leads_table(300)
    with pytest.raises(BadInput, match="no column named 'Budget'"):
        fit_table(frame, y, target="Converted", options=TrainOptions(exclude=("Budget",)))


def test_too_few_outcomes_is_a_clear_error() -> None:
    frame, y = leads_table(300)
    y = np.zeros_like(y)
    y[:3] = 1
    with pytest.raises(BadInput, match="too few labelled rows"):
        fit_table(frame, y, target="Converted", options=FAST)


def test_probabilities_are_calibrated_on_held_out_rows() -> None:
    frame, y = leads_table(4_000, seed=3)
    result = fit_table(frame, y, target="Converted", options=FAST)
    evaluation = result.evaluation
    for row in evaluation.calibration:
        if row.rows >= 100:
            assert abs(row.mean_predicted - row.observed_rate) < 0.12
    assert (
        abs(
            evaluation.base_rate
            - float(np.mean([r.mean_predicted for r in evaluation.calibration]))
        )
        < 0.5
    )


@pytest.mark.parametrize("algorithm", ["lightgbm", "logistic"])
def test_a_stored_bundle_scores_exactly_like_the_trained_one(algorithm: str) -> None:
    frame, y = leads_table(800)
    result = fit_table(frame, y, target="Converted", options=FAST)
    bundle = result.bundle
    if bundle.algorithm != algorithm:
        # Force the other learner by training a one-candidate search.
        from leadrank.training import learners

        only = tuple(c for c in learners.CANDIDATES if c.algorithm == algorithm)[:1]
        tried = learners.cross_validate(
            bundle.matrix(frame),
            y,
            feature_names=bundle.feature_names,
            categorical=bundle.plan.categorical_features,
            folds=3,
            candidates=only,
        )
        from leadrank.training.fit import _fit_chosen

        bundle = _fit_chosen(tried[0], bundle.plan, bundle.matrix(frame), y, 0)
        bundle.metadata = dict(result.bundle.metadata)
    restored = ModelBundle.from_bytes(bundle.to_bytes())
    features = bundle.matrix(frame)
    assert np.allclose(restored.probability(restored.matrix(frame)), bundle.probability(features))
    # Contributions add up to the raw score (less a constant: the bias or the training mean).
    raw = bundle.raw(features)
    _, contributions = column_contributions(bundle, features)
    offset = raw - contributions.sum(axis=1)
    assert np.allclose(offset, offset[0], atol=1e-6)


def test_reasons_name_the_columns_that_pushed_the_score() -> None:
    frame, y = leads_table()
    result = fit_table(frame, y, target="Converted", options=FAST)
    lead = pl.DataFrame({"Seniority": ["vp", "ic"], "Visits": ["9", "0"], "Noise": ["0.1", "0.1"]})
    scores = score_frame(result.bundle, lead)
    assert scores.probability[0] > scores.probability[1]
    assert any(r.startswith("Seniority is vp (+") for r in scores.positive[0])
    assert any(r.startswith("Seniority is ic (-") for r in scores.negative[1])
    # The missing "Created" date lowers confidence; nothing important is missing otherwise.
    assert 0 < scores.confidence[0] <= 1


def test_large_tables_compare_learners_on_a_stratified_sample(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from leadrank.training import fit

    monkeypatch.setattr(fit, "SEARCH_ROWS", 500)
    frame, y = leads_table(2_000)
    train = np.arange(0, 2_000, dtype=np.intp)
    rows = fit._search_rows(y, train, 0, np.arange(2_000))
    assert len(rows) == pytest.approx(500, abs=2) and np.all(np.diff(rows) > 0)
    assert y[rows].mean() == pytest.approx(y.mean(), abs=0.01)
    result = fit_table(frame, y, target="Converted", options=FAST)
    assert result.evaluation.roc_auc is not None and result.evaluation.roc_auc > 0.65
    assert len(result.tried[0].out_of_fold) < len(result.train_rows)


def test_a_model_gets_exactly_the_features_it_was_trained_on() -> None:
    frame, y = leads_table(600)
    result = fit_table(frame, y, target="Converted", options=FAST)
    bundle = ModelBundle.from_bytes(result.bundle.to_bytes())
    assert bundle.matrix(frame).shape[1] == len(bundle.metadata["features"])
    # A model stored before a column yielded one more feature keeps its own list and order.
    older = [f for f in bundle.metadata["features"] if not f.endswith("__days")]
    bundle.metadata["features"] = older
    assert bundle.feature_names == older
    assert bundle.matrix(frame).shape[1] == len(older)


def test_rows_of_one_lead_stay_together_in_every_split(monkeypatch: pytest.MonkeyPatch) -> None:
    from leadrank.training import fit, learners

    frame, y = leads_table(1_200)
    lead = np.arange(1_200) // 3  # each lead seen three times, with one outcome
    y = np.maximum.reduceat(y, np.arange(0, 1_200, 3)).repeat(3).astype(np.int8)
    cv_groups: list[np.ndarray] = []
    shares: list[float] = []
    real = learners.stratified_folds

    def recording(
        y: np.ndarray, groups: np.ndarray, *, folds: int, seed: int
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        made = real(y, groups, folds=folds, seed=seed)
        cv_groups.extend(groups[held] for _, held in made)
        shares.extend(float(y[held].mean()) for _, held in made)
        return made

    monkeypatch.setattr(learners, "stratified_folds", recording)
    monkeypatch.setattr(fit, "SEARCH_ROWS", 600)  # the search samples whole leads too
    random_split = replace(FAST, time_column="")
    for options in (FAST, random_split):
        cv_groups.clear()
        shares.clear()
        result = fit_table(frame, y, target="Converted", options=options, groups=lead)
        assert not set(lead[result.train_rows]) & set(lead[result.held_rows])
        assert len(result.held_rows) % 3 == 0
        held_in_folds = [set(g.tolist()) for g in cv_groups]
        # Stratified by each lead's outcome: every fold holds about the same share of positives.
        assert max(shares) - min(shares) < 0.02
        assert all(len(g) * 3 == len(c) for g, c in zip(held_in_folds, cv_groups, strict=True))
        assert sum(map(len, held_in_folds)) == len(set().union(*held_in_folds))
    # Without groups, the same rows are split one by one.
    without = fit_table(frame, y, target="Converted", options=random_split)
    assert set(lead[without.train_rows]) & set(lead[without.held_rows])


def test_boosting_stops_on_rows_it_is_not_judged_on(monkeypatch: pytest.MonkeyPatch) -> None:
    from leadrank.training import learners

    rng = np.random.default_rng(3)
    rows = 900
    y = (rng.random(rows) < 0.3).astype(np.int8)
    # The first feature is the row's own number, so each fit says which rows it saw.
    features = np.column_stack([np.arange(rows, dtype=np.float64), rng.normal(size=rows) + y])
    fits: list[tuple[set[int], set[int]]] = []
    real = learners.fit_trees

    def recording(candidate, features, y, *, valid=None, **kwargs):  # type: ignore[no-untyped-def]
        assert valid is not None
        fits.append(({int(v) for v in features[:, 0]}, {int(v) for v in valid[0][:, 0]}))
        return real(candidate, features, y, valid=valid, **kwargs)

    monkeypatch.setattr(learners, "fit_trees", recording)
    tried = learners.cross_validate(
        features,
        y,
        feature_names=["row", "signal"],
        categorical=[],
        folds=3,
        candidates=learners.CANDIDATES[:1],
    )
    assert len(fits) == 3 and tried[0].auc > 0.6
    judged = [set(range(rows)) - seen - stop for seen, stop in fits]
    for (seen, stop), held in zip(fits, judged, strict=True):
        assert not seen & stop and len(stop) == pytest.approx(0.15 * len(seen | stop), abs=3)
        assert len(held) == pytest.approx(rows / 3, abs=3)
    # Every row is judged exactly once, by a fold that neither fitted nor stopped on it.
    assert sorted(r for held in judged for r in held) == list(range(rows))
