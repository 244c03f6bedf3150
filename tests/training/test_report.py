"""The HTML training report: self-contained, escaped, and carrying every chart and table."""

from __future__ import annotations

import re
from html import escape
from pathlib import Path

import numpy as np
import pytest

from leadrank.training.evaluation import Evaluation, evaluate
from leadrank.training.report import render_report, write_report
from tests.training.svg_charts import (
    bar_length,
    charts_in,
    labels,
    marks,
    radius,
    texts,
    title_of,
)


@pytest.fixture(scope="module")
def evaluation() -> Evaluation:
    rng = np.random.default_rng(3)
    p = rng.uniform(size=2_000)
    y = (rng.uniform(size=2_000) < p).astype(np.int64)
    country = np.array(rng.choice(["DE", "FR", "<b>XX</b>"], size=2_000), dtype=object)
    return evaluate(y, p, segments={"country": country})


def render(evaluation: Evaluation, **overrides: object) -> str:
    arguments: dict[str, object] = {
        "title": "Model m-42",
        "evaluation": evaluation,
        "facts": [("algorithm", "lightgbm"), ("rows", "2,000"), ("data hash", "ab12cd")],
        "warnings": [],
        "importances": [("employees", 120.0), ("country", 40.0)],
    }
    arguments.update(overrides)
    return render_report(**arguments)  # type: ignore[arg-type]


def test_report_has_a_well_formed_svg_for_each_chart(evaluation: Evaluation) -> None:
    charts = charts_in(render(evaluation))
    assert [title_of(chart) for chart in charts] == [
        "ROC curve",
        "Calibration",
        "Cumulative gains",
        "Lift",
        "Feature importance",
    ]
    roc, calibration, gains, lift, importance = charts
    # the model curve beside the random diagonal (and, for gains, a perfect model)
    assert len(marks(roc, "line mark")) == 2
    assert len(marks(gains, "line mark")) == 3
    assert len(marks(calibration, "circle")) == len(evaluation.calibration)
    assert len(marks(lift, "bar")) == len(evaluation.lift)
    assert labels(importance, "bar") == ["employees: 120", "country: 40"]


def test_calibration_dot_size_follows_rows() -> None:
    y = np.array([0] * 90 + [1] * 10 + [1] * 10)
    p = np.concatenate([np.full(100, 0.1), np.full(10, 0.9)])
    circles = marks(charts_in(render(evaluate(y, p)))[1], "circle")
    assert radius(circles[0]) > radius(circles[1])
    assert "100 rows" in circles[0].get("aria-label", "")


def test_report_is_self_contained(evaluation: Evaluation) -> None:
    html = render(evaluation)
    assert html.startswith("<!DOCTYPE html>")
    assert "<style>" in html
    # nothing to fetch: the charts' only addresses are the SVG and XLink namespaces
    assert not re.search(r"<script|<link|@import|src=|url\(|https?://(?!www\.w3\.org/)", html)


def test_caller_strings_are_escaped(evaluation: Evaluation) -> None:
    html = render(
        evaluation,
        title="<script>alert(1)</script>",
        facts=[("target", "won & <closed>")],
        warnings=["feature <email_domain> leaks"],
        importances=[("<img onerror=x>", 1.0)],
    )
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "won &amp; &lt;closed&gt;" in html
    assert "&lt;img onerror=x&gt;" in html
    # a segment value from customer data
    assert "&lt;b&gt;XX&lt;/b&gt;" in html and "<b>XX</b>" not in html


def test_warnings_are_shown_prominently(evaluation: Evaluation) -> None:
    text = "possible leakage: days_to_close is known only after the outcome"
    html = render(evaluation, warnings=[text])
    section = re.search(r'<section class="warnings">.*?</section>', html, re.DOTALL)
    assert section is not None and text in section.group(0)
    # before the metrics, so nobody reads the AUC first
    assert html.index(text) < html.index("ROC-AUC")
    assert 'class="warnings"' not in render(evaluation)


def test_report_carries_facts_summary_and_tables(evaluation: Evaluation) -> None:
    html = render(evaluation)
    assert "lightgbm" in html and "ab12cd" in html
    for line in evaluation.summary_lines():
        assert f"<p>{escape(line)}</p>" in html
    assert "top 10%" in html and "top 50%" in html
    assert html.count("<table>") == 4  # facts, calibration, lift and segments
    for segment in evaluation.segments:
        assert f"<td>{escape(segment.value)}</td>" in html


def test_importances_are_sorted_and_cut_at_twenty(evaluation: Evaluation) -> None:
    importances = [(f"feature_{i:02d}", float(i)) for i in range(30)]
    importance = charts_in(render(evaluation, importances=importances))[-1]
    shown = [label.rsplit(": ", 1)[0] for label in labels(importance, "bar")]
    assert shown == [f"feature_{i:02d}" for i in range(29, 9, -1)]
    lengths = [bar_length(bar) for bar in marks(importance, "bar")]
    assert lengths == sorted(lengths, reverse=True) and lengths[-1] > 0


def test_one_class_report_renders_with_notes() -> None:
    html = render(evaluate(np.zeros(50, dtype=np.int64), np.full(50, 0.2)), importances=[])
    charts = charts_in(html)
    assert len(charts) == 4  # no importances: no chart of them
    assert "undefined: only one class in the held-out split" in texts(charts[0])
    assert "only one class" in html
    assert "No feature importances" in html
    assert "No segment value" in html


def test_write_report_writes_utf8(tmp_path: Path, evaluation: Evaluation) -> None:
    html = render(evaluation, title="Modèle – 2026")
    path = write_report(tmp_path / "reports" / "model.html", html)
    assert path == tmp_path / "reports" / "model.html"
    assert path.read_bytes().decode("utf-8") == html
