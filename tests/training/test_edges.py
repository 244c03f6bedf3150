"""Edge cases of training and scoring that must give an answer or one clear error."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from leadrank.errors import BadInput
from leadrank.features.auto import infer_plan
from leadrank.scoring.table import score_table
from leadrank.training.fit import TrainOptions, fit_table
from leadrank.training.outcomes import parse_label
from tests.conftest import FIXTURES, CliResult

Cli = Callable[..., CliResult]
FAST = TrainOptions(time_budget=0.0, folds=3)


def small_table(rows: int = 400) -> tuple[pl.DataFrame, np.ndarray]:
    rng = np.random.default_rng(2)
    visits = rng.poisson(3, rows)
    y = (rng.random(rows) < 1 / (1 + np.exp(-(visits - 3)))).astype(np.int8)
    frame = pl.DataFrame({"visits": visits.astype(str), "plan": rng.choice(["a", "b"], rows)})
    return frame, y


def test_infinite_numbers_are_missing_values() -> None:
    frame, y = small_table()
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 5).then(pl.lit("inf")).otherwise("visits").alias("visits")
    )
    result = fit_table(frame, y, target="won", options=FAST)
    assert result.evaluation.roc_auc is not None


def test_iso_timestamps_are_dates_not_ids() -> None:
    frame = pl.DataFrame(
        {
            "created": [
                f"2024-01-{d:02d}T10:{m:02d}:00Z" for d in range(1, 29) for m in range(0, 60, 15)
            ]
        }
    )
    assert infer_plan(frame).columns[0].kind == "datetime"


def test_scoring_an_empty_table_or_rows_without_reasons(tmp_path: Path) -> None:
    frame, y = small_table()
    bundle = fit_table(frame, y, target="won", options=FAST).bundle
    empty = tmp_path / "empty.csv"
    empty.write_text("visits,plan\n")
    report = score_table(path=empty, output=tmp_path / "out.csv", bundle=bundle)
    assert report.rows == 0
    unrelated = tmp_path / "other.csv"
    unrelated.write_text("colour\nblue\n")
    report = score_table(path=unrelated, output=tmp_path / "out2.csv", bundle=bundle)
    assert report.rows == 1 and set(report.missing_columns) == {"visits", "plan"}


def test_label_errors_are_one_line() -> None:
    with pytest.raises(BadInput, match=r"deal_won within 0d.*greater than 0"):
        parse_label("deal_won within 0d")


def test_model_names_stay_inside_the_data_directory(cli: Cli, tmp_path: Path) -> None:
    table = str(FIXTURES / "x_education_200.csv")
    escaped = cli(
        "train",
        "--data",
        table,
        "--target",
        "Converted",
        "--name",
        "../../escaped",
        "--time-budget",
        "0",
    )
    assert escaped.exit_code == 1 and "lower-case letters" in escaped.stderr
    assert not (tmp_path.parent / "escaped").exists()
    workspace_only = cli("score", "--model", "converted")
    assert workspace_only.exit_code == 1 and "--model goes with --data" in workspace_only.stderr
