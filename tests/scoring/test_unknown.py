"""What a lead does not have earns it nothing: empty cells keep what they take away, never
what they would add, and never stand as a reason for a higher score."""

from __future__ import annotations

import numpy as np
import polars as pl

from leadrank.scoring.model_scores import score_frame
from leadrank.scoring.unknown import unknown_cells, without_unknown_credit
from leadrank.training.fit import TrainOptions, column_contributions, fit_table


def test_unknown_cells_and_their_credit() -> None:
    frame = pl.DataFrame(
        {
            "title": ["VP", None, "N/A"],
            "size": [10.0, None, 3.0],
            "ev_page_view_count": [None, 1, 2],
        }
    )
    unknown = unknown_cells(frame, ["title", "size", "ev_page_view_count", "absent"])
    assert unknown.tolist() == [
        [False, False, False, True],
        [True, True, False, True],
        [True, False, False, True],
    ], "placeholders are empty; activity is always known; an absent column is unknown"
    raw = np.array([1.0, 1.0])
    contributions = np.array([[0.5, -0.2], [0.5, -0.2]])
    cells = np.array([[True, True], [False, False]])
    new_raw, new_contributions = without_unknown_credit(raw, contributions, cells)
    assert new_raw.tolist() == [0.5, 1.0]
    assert new_contributions.tolist() == [[0.0, -0.2], [0.5, -0.2]]


def test_a_model_that_learnt_empty_is_good_gives_it_no_credit() -> None:
    rng = np.random.default_rng(3)
    rows = 3_000
    y = (rng.random(rows) < 0.3).astype(np.int8)
    signal = rng.normal(size=rows) + y
    # "budget" is empty for many more buyers than others: a model learns to credit the gap.
    empty = rng.random(rows) < np.where(y == 1, 0.6, 0.1)
    frame = pl.DataFrame(
        {
            "signal": signal,
            "budget": np.where(empty, np.nan, rng.normal(size=rows)),
            "region": rng.choice(["north", "south"], size=rows),
        }
    ).with_columns(pl.col("budget").fill_nan(None))
    result = fit_table(frame, y, target="bought", options=TrainOptions(time_budget=0.0, folds=3))
    bundle = result.bundle
    features = bundle.matrix(frame)
    raw, per_feature = bundle.raw_and_contributions(features)
    columns, contributions = column_contributions(bundle, features, per_feature)
    budget = columns.index("budget")
    assert (contributions[empty, budget] > 0).mean() > 0.5, "the model did credit an empty budget"

    scored = score_frame(bundle, frame)
    positives = scored.positive.to_list()
    assert not any("missing" in reason for reasons in positives for reason in reasons)
    served, unclamped = scored.probability[empty], bundle.calibration.apply(raw)[empty]
    assert (served <= unclamped + 1e-12).all() and served.mean() < unclamped.mean()
    present = ~empty
    assert np.allclose(scored.probability[present], bundle.calibration.apply(raw)[present])
