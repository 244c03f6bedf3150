"""Grades from scores, and the blend of fit, engagement and probability."""

from __future__ import annotations

import polars as pl
import pytest
from pydantic import ValidationError

from leadrank.errors import BadInput
from leadrank.grades import Blend, GradeScale


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


def test_thresholds_and_blend_are_read_from_plain_text() -> None:
    assert GradeScale.parse("95, 80,60,30") == GradeScale(a=95, b=80, c=60, d=30)
    assert GradeScale().described() == "A ≥ 90, B ≥ 75, C ≥ 50, D ≥ 25, else E"
    for wrong, message in (("90,75,50", r"e\.g\. 90,75,50,25"), ("50,75,90,25", "fall from A")):
        with pytest.raises(BadInput, match=message):
            GradeScale.parse(wrong)
    assert Blend.parse("model=0.7, fit=2") == Blend(model_share=0.7, fit=2, engagement=0.5)
    assert Blend.parse("model=1,fit=0.5,engagement=0.5") == Blend()
    with pytest.raises(BadInput, match=r"e\.g\. model=0\.7"):
        Blend.parse("icp=1")
    with pytest.raises(BadInput, match="model_share"):
        Blend.parse("model=2")
