"""The evaluation charts (Altair, drawn to SVG by Vega): what each one plots, what it says
when there is nothing to plot, and that text from the data is drawn as text."""

from __future__ import annotations

from xml.etree.ElementTree import Element

import numpy as np
import pytest

from leadrank.kit.charts import svg
from leadrank.training.chart_specs import (
    NO_POSITIVES,
    ONE_CLASS,
    calibration_chart,
    gains_chart,
    importance_chart,
    lift_chart,
    roc_chart,
)
from leadrank.training.evaluation import Evaluation, evaluate
from tests.training.svg_charts import charts_in, labels, marks, radius, texts, title_of


@pytest.fixture(scope="module")
def evaluation() -> Evaluation:
    rng = np.random.default_rng(3)
    p = rng.uniform(size=2_000)
    y = (rng.uniform(size=2_000) < p).astype(np.int64)
    return evaluate(y, p)


def drawn(chart: object) -> Element:
    [parsed] = charts_in(svg(chart))
    return parsed


def test_roc_and_gains_draw_the_model_beside_its_references(evaluation: Evaluation) -> None:
    roc = drawn(roc_chart(evaluation))
    assert title_of(roc) == "ROC curve"
    assert len(marks(roc, "line mark")) == 2
    assert f"model (AUC {evaluation.roc_auc:.3f})" in texts(roc)
    gains = drawn(gains_chart(evaluation))
    assert title_of(gains) == "Cumulative gains"
    # the model, random contact, and a perfect model that finds every positive first
    assert len(marks(gains, "line mark")) == 3
    assert {"model", "random", "perfect"} <= set(texts(gains))


def test_calibration_shows_each_band_and_its_size() -> None:
    y = np.array([0] * 90 + [1] * 10 + [1] * 10)
    p = np.concatenate([np.full(100, 0.1), np.full(10, 0.9)])
    chart = drawn(calibration_chart(evaluate(y, p)))
    assert title_of(chart) == "Calibration"
    dots = marks(chart, "circle")
    said = labels(chart, "circle")
    assert len(dots) == 2
    assert "100 rows" in said[0] and "10 rows" in said[1]
    # a dot's area follows its rows; the bars below count them too
    assert radius(dots[0]) > radius(dots[1])
    assert len(marks(chart, "bar")) == 2


def test_lift_has_a_bar_per_share_with_its_value(evaluation: Evaluation) -> None:
    chart = drawn(lift_chart(evaluation))
    bars = labels(chart, "bar")
    assert [bar.rsplit(": ", 1)[0] for bar in bars] == [
        "top 5%",
        "top 10%",
        "top 20%",
        "top 30%",
        "top 50%",
    ]
    assert f"{evaluation.lift_at_10:.1f}×" in texts(chart)


def test_charts_say_why_when_the_split_cannot_be_drawn() -> None:
    none_won = evaluate(np.zeros(50, dtype=np.int64), np.full(50, 0.2))
    assert ONE_CLASS in texts(drawn(roc_chart(none_won)))
    assert NO_POSITIVES in texts(drawn(gains_chart(none_won)))
    lift = drawn(lift_chart(none_won))
    assert NO_POSITIVES in texts(lift) and not marks(lift, "bar")
    assert "no importances recorded" in texts(drawn(importance_chart([])))


def test_importance_keeps_the_largest_twenty_in_order() -> None:
    importances = [(f"feature_{i:02d}", i / 500) for i in range(30)]
    chart = drawn(importance_chart(importances))
    shown = [label.rsplit(": ", 1)[0] for label in labels(chart, "bar")]
    assert shown == [f"feature_{i:02d}" for i in range(29, 9, -1)]
    assert "5.8%" in texts(chart)  # shares are shown as percentages
    signed = drawn(importance_chart([("employees", 120.0), ("discount", -40.0)]))
    assert {"120", "-40"} <= set(texts(signed))


def test_names_from_the_data_are_drawn_as_text() -> None:
    page = svg(importance_chart([("<script>alert(1)</script>", 0.5), ("a & b", 0.2)]))
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "a &amp; b" in page
