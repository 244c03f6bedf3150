"""Grades from scores, and the blend of fit, engagement and probability."""

from __future__ import annotations

import polars as pl
import pytest
from pydantic import ValidationError

from leadrank.scoring.grades import Blend, GradeScale


def test_default_and_custom_grade_thresholds() -> None:
    scores = pl.DataFrame({"s": [100.0, 90.0, 89.9, 75.0, 50.0, 25.0, 24.9, 0.0, None]})
    default = scores.select(GradeScale().grade(pl.col("s"))).to_series().to_list()
    assert default == ["A", "A", "B", "B", "C", "D", "E", "E", None]
    strict = GradeScale(a=95, b=85, c=70, d=40)
    assert scores.select(strict.grade(pl.col("s"))).to_series().to_list()[:4] == [
        "A",
        "B",
        "B",
        "C",
    ]
    with pytest.raises(ValidationError, match="fall from A to D"):
        GradeScale(a=50, b=75)


def test_blend_without_and_with_a_model() -> None:
    frame = pl.DataFrame({"fit": [80.0, None], "eng": [40.0, 20.0], "p": [90.0, 10.0]})
    rules = frame.select(Blend().combined(pl.col("fit"), pl.col("eng"), None)).to_series()
    assert rules.to_list() == [60.0, 10.0]
    blend = Blend(model_share=0.7)
    modelled = frame.select(blend.combined(pl.col("fit"), pl.col("eng"), pl.col("p")))
    assert modelled.to_series().to_list() == [pytest.approx(0.7 * 90 + 0.3 * 60), 10.0]


def test_by_default_the_model_score_decides() -> None:
    frame = pl.DataFrame({"fit": [10.0], "eng": [0.0], "p": [93.0]})
    score = frame.select(Blend().combined(pl.col("fit"), pl.col("eng"), pl.col("p"))).item()
    assert score == 93.0
