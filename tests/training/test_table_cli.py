"""`leadrank train --data`, `score --data`, `evaluate` and `models ...` as a user runs them on
a real lead table (200 rows of X Education)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import polars as pl

from tests.conftest import FIXTURES, CliResult

Cli = Callable[..., CliResult]
TABLE = FIXTURES / "x_education_200.csv"


def test_train_score_evaluate_and_manage_versions(cli: Cli, tmp_path: Path) -> None:
    nothing = cli("score", "--data", str(TABLE), "-o", str(tmp_path / "x.csv"))
    assert nothing.exit_code == 1 and "no model yet" in nothing.stderr

    trained = cli("train", "--data", str(TABLE), "--target", "Converted", "--time-budget", "0")
    assert trained.exit_code == 0, trained.stderr
    # The columns sales fill in after contact are named, and the worst ones left out.
    for leaky in ("Tags", "Lead Quality", "Last Activity", "Lead Profile"):
        assert f"'{leaky}'" in trained.stderr
    assert "--keep 'Tags'" in trained.stderr
    assert "ROC-AUC" in trained.stdout and "model converted:v1 (active)" in trained.stdout
    folder = tmp_path / "leadrank-data" / "models" / "converted" / "v1"
    metadata = json.loads((folder / "metadata.json").read_text())
    assert metadata["columns"]["Prospect ID"]["kind"] == "id"
    assert metadata["columns"]["Tags"]["kind"] == "excluded"
    assert {"data_hash", "metrics", "libraries", "features"} <= metadata.keys()
    assert "<svg" in (folder / "report.html").read_text()

    out = tmp_path / "scored.csv"
    scored = cli("score", "--data", str(TABLE), "-o", str(out))
    assert scored.exit_code == 0, scored.stderr
    table = pl.read_csv(out, infer_schema_length=0)
    original = pl.read_csv(TABLE, infer_schema_length=0)
    assert table.columns[: original.width] == original.columns
    assert table.height == original.height
    probability = table["probability"].cast(pl.Float64)
    assert probability.is_between(0, 1).all()
    assert set(table["grade"].unique().to_list()) <= set("ABCDE")
    converted = table.filter(pl.col("Converted") == "1")["probability"].cast(pl.Float64).mean()
    others = table.filter(pl.col("Converted") == "0")["probability"].cast(pl.Float64).mean()
    assert converted > others  # type: ignore[operator]
    assert table["reasons"].str.contains(r" is .* \([+-]\d+\)").any()

    # Stricter grades give fewer As from the same probabilities.
    strict = cli(
        "score", "--data", str(TABLE), "-o", str(tmp_path / "s.csv"), "--grades", "99,98,97,96"
    )
    assert strict.exit_code == 0, strict.stderr
    graded = pl.read_csv(tmp_path / "s.csv", infer_schema_length=0)["grade"]
    assert (graded == "A").sum() < (table["grade"] == "A").sum()
    assert (graded == "E").sum() > (table["grade"] == "E").sum()
    wrong = cli("score", "--data", str(TABLE), "-o", str(tmp_path / "w.csv"), "--grades", "1,2")
    assert wrong.exit_code == 1 and "90,75,50,25" in wrong.stderr

    same = cli("score", "--data", str(TABLE), "-o", str(TABLE))
    assert same.exit_code == 1 and "must differ" in same.stderr

    evaluated = cli("evaluate", "--data", str(TABLE), "--report", str(tmp_path / "eval.html"))
    assert evaluated.exit_code == 0, evaluated.stderr
    assert "200 labelled rows" in evaluated.stdout and (tmp_path / "eval.html").exists()

    again = cli(
        "train",
        "--data",
        str(TABLE),
        "--target",
        "Converted",
        "--time-budget",
        "0",
        "--keep",
        "Tags",
    )
    assert again.exit_code == 0, again.stderr
    assert "model converted:v2 (shadow)" in again.stdout
    listed = cli("models", "list")
    assert "converted:v1" in listed.stdout and "shadow" in listed.stdout
    shown = cli("models", "show", "converted:v2")
    assert shown.exit_code == 0 and "Tags" in shown.stdout

    promoted = cli("models", "promote", "converted")
    assert (
        "converted:v2 is active" in promoted.stdout and "converted:v1 archived" in promoted.stdout
    )
    rolled = cli("models", "rollback", "converted")
    assert "converted:v1 is active again" in rolled.stdout
    unknown = cli("models", "show", "churn")
    assert unknown.exit_code == 1 and "no model 'churn'" in unknown.stderr

    # Without --model, score uses the last table model trained here: v2, which kept Tags.
    by_last = cli("score", "--data", str(TABLE), "-o", str(tmp_path / "last.csv"))
    assert "converted:v2" in by_last.stdout
    by_path = cli(
        "score", "--data", str(TABLE), "-o", str(tmp_path / "p.csv"), "--model", str(folder)
    )
    assert by_path.exit_code == 0 and "converted:v1" in by_path.stdout


def test_target_errors_are_one_clear_line(cli: Cli, tmp_path: Path) -> None:
    missing = cli("train", "--data", str(TABLE))
    assert missing.exit_code == 1 and "--target" in missing.stderr
    wrong = cli("train", "--data", str(TABLE), "--target", "Lead Origin")
    assert wrong.exit_code == 1 and "--positive" in wrong.stderr
    absent = cli("train", "--data", str(TABLE), "--target", "Revenue")
    assert absent.exit_code == 1 and "not in the table" in absent.stderr
