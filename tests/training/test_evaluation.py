"""Held-out metrics: ranking, calibration, lift, curves, segments and undefined cases."""

from __future__ import annotations

import json

import numpy as np
import pytest

from leadrank.training.evaluation import Evaluation, evaluate


def calibrated_sample(rows: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """Outcomes drawn with exactly the predicted probability: a perfectly calibrated model."""
    rng = np.random.default_rng(seed)
    probability = rng.uniform(size=rows)
    return (rng.uniform(size=rows) < probability).astype(np.int64), probability


def test_perfect_separation_ranks_and_lifts_perfectly() -> None:
    y = np.array([1] * 20 + [0] * 80)
    p = np.concatenate([np.linspace(0.9, 0.99, 20), np.linspace(0.01, 0.5, 80)])
    result = evaluate(y, p)
    assert result.roc_auc == 1.0
    assert result.pr_auc == pytest.approx(1.0)
    assert result.precision_at_10 == 1.0
    assert result.precision_at_20 == 1.0
    assert result.base_rate == pytest.approx(0.2)
    assert result.lift_at_10 == pytest.approx(5.0)
    # top 50% holds all 20 positives among 50 rows: lift is capped by the share, not 1/base_rate
    top_half = next(point for point in result.lift if point.share == 0.5)
    assert (top_half.rows, top_half.precision, top_half.recall) == (50, 0.4, 1.0)
    assert top_half.lift == pytest.approx(min(1 / 0.2, 1 / 0.5))


def test_perfect_model_lift_is_one_over_base_rate_or_one_over_share() -> None:
    y = np.array([1] * 300 + [0] * 700)
    p = np.where(y == 1, 0.8, 0.2)
    for point in evaluate(y, p).lift:
        assert point.lift == pytest.approx(min(1 / 0.3, 1 / point.share))
        assert point.rows == round(point.share * 1000)


def test_random_predictor_has_auc_near_half() -> None:
    rng = np.random.default_rng(42)
    y = rng.integers(0, 2, size=20_000)
    result = evaluate(y, rng.uniform(size=20_000))
    assert result.roc_auc is not None and abs(result.roc_auc - 0.5) < 0.02
    assert result.lift_at_10 is not None and abs(result.lift_at_10 - 1.0) < 0.1
    assert result.pr_auc is not None and abs(result.pr_auc - result.base_rate) < 0.02


def test_brier_and_log_loss_match_hand_computation() -> None:
    y = np.array([1, 0, 1, 0])
    p = np.array([0.8, 0.4, 0.6, 0.0])
    result = evaluate(y, p)
    # ((0.2)² + 0.4² + 0.4² + 0²) / 4
    assert result.brier == pytest.approx((0.04 + 0.16 + 0.16 + 0.0) / 4)
    # the 0.0 prediction for a negative is clipped, so it costs (almost) nothing, not NaN
    expected_log_loss = -(np.log(0.8) + np.log(0.6) + np.log(0.6) + np.log(1 - 1e-15)) / 4
    assert result.log_loss == pytest.approx(expected_log_loss)
    assert (result.rows, result.positives, result.base_rate) == (4, 2, 0.5)


def test_log_loss_is_finite_for_confident_wrong_predictions() -> None:
    result = evaluate(np.array([1, 0]), np.array([0.0, 1.0]))
    # clipped to [1e-15, 1 - 1e-15]; 1 - (1 - 1e-15) is not exactly 1e-15 in floating point
    expected = -(np.log(1e-15) + np.log(1 - (1 - 1e-15))) / 2
    assert result.log_loss == pytest.approx(expected, rel=1e-9)
    assert 34 < result.log_loss < 35
    assert result.roc_auc == 0.0


def test_calibration_of_a_calibrated_sample_follows_the_diagonal() -> None:
    y, p = calibrated_sample(50_000)
    bins = evaluate(y, p).calibration
    assert [(b.lower, b.upper) for b in bins] == [
        pytest.approx((i / 10, (i + 1) / 10)) for i in range(10)
    ]
    assert sum(b.rows for b in bins) == 50_000
    for b in bins:
        assert b.lower <= b.mean_predicted <= b.upper
        assert abs(b.observed_rate - b.mean_predicted) < 0.03


def test_calibration_skips_empty_bins_and_puts_one_in_the_last_bin() -> None:
    y = np.array([0, 0, 1, 1, 1])
    p = np.array([0.05, 0.05, 0.95, 1.0, 1.0])
    bins = evaluate(y, p, bins=10).calibration
    assert [(b.lower, b.rows) for b in bins] == [(0.0, 2), (0.9, 3)]
    assert bins[1].mean_predicted == pytest.approx((0.95 + 1.0 + 1.0) / 3)
    assert bins[1].observed_rate == 1.0


def test_a_miscalibrated_model_shows_the_gap() -> None:
    y, p = calibrated_sample(20_000)
    overconfident = evaluate(y, np.clip(p * 1.6, 0, 1)).calibration
    assert any(b.mean_predicted - b.observed_rate > 0.15 for b in overconfident)


def test_one_class_gives_undefined_ranking_metrics_without_warnings() -> None:
    result = evaluate(np.zeros(40, dtype=np.int64), np.linspace(0.0, 0.5, 40))
    assert result.roc_auc is None
    assert result.pr_auc is None
    assert result.roc_curve == [] and result.pr_curve == [] and result.gains_curve == []
    assert result.lift_at_10 is None and result.precision_at_10 == 0.0
    assert all(point.recall is None for point in result.lift)
    assert result.brier == pytest.approx(float(np.mean(np.linspace(0.0, 0.5, 40) ** 2)))
    assert any("one class" in line for line in result.summary_lines())


def test_all_positive_split_still_has_brier_and_lift_of_one() -> None:
    result = evaluate(np.ones(10, dtype=np.int64), np.full(10, 0.9))
    assert result.roc_auc is None
    assert result.brier == pytest.approx(0.01)
    assert result.lift_at_10 == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("y", "p", "message"),
    [
        ([], [], "empty"),
        ([0, 1], [0.5], "rows"),
        ([0, 2], [0.1, 0.2], "0 and 1"),
        ([0, 1], [0.1, 1.5], r"\[0, 1\]"),
        ([0, 1], [0.1, float("nan")], "finite"),
    ],
)
def test_bad_input_is_rejected(y: list[int], p: list[float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        evaluate(np.array(y, dtype=np.int64), np.array(p, dtype=np.float64))


def test_curves_are_thinned_and_span_the_unit_square() -> None:
    y, p = calibrated_sample(10_000)
    result = evaluate(y, p)
    for curve in (result.roc_curve, result.pr_curve, result.gains_curve):
        assert 2 <= len(curve) <= 200
    assert result.roc_curve[0] == (0.0, 0.0) and result.roc_curve[-1] == (1.0, 1.0)
    assert result.gains_curve[0] == (0.0, 0.0) and result.gains_curve[-1] == (1.0, 1.0)
    recalls = [recall for recall, _ in result.pr_curve]
    assert recalls == sorted(recalls) and recalls[-1] == 1.0
    fprs = [fpr for fpr, _ in result.roc_curve]
    assert fprs == sorted(fprs)


def test_small_curves_are_not_padded() -> None:
    result = evaluate(np.array([0, 1, 0, 1]), np.array([0.1, 0.9, 0.3, 0.7]))
    assert result.roc_curve == [(0.0, 0.0), (0.0, 0.5), (0.0, 1.0), (1.0, 1.0)]
    assert len(result.gains_curve) == 5


def test_segments_keep_large_values_and_report_their_own_metrics() -> None:
    y = np.array([1] * 25 + [0] * 25 + [0] * 40 + [1] * 10)
    p = np.concatenate([np.full(25, 0.9), np.full(25, 0.1), np.full(40, 0.3), np.full(10, 0.2)])
    country = np.array(["DE"] * 50 + ["FR"] * 40 + ["US"] * 10, dtype=object)
    result = evaluate(y, p, segments={"country": country})
    assert [(s.value, s.rows) for s in result.segments] == [("DE", 50), ("FR", 40)]
    de, fr = result.segments
    assert de.column == "country"
    assert de.roc_auc == 1.0 and de.positives == 25 and de.observed_rate == 0.5
    assert de.brier == pytest.approx(0.01)
    # FR has no positives: its AUC is undefined but its calibration is still reported
    assert fr.roc_auc is None and fr.observed_rate == 0.0
    assert fr.mean_predicted == pytest.approx(0.3)


def test_missing_segment_values_are_grouped() -> None:
    y, p = calibrated_sample(120)
    source = np.array([None] * 30 + [""] * 10 + [float("nan")] * 10 + ["web"] * 70, dtype=object)
    result = evaluate(y, p, segments={"source": source})
    assert {s.value: s.rows for s in result.segments} == {"web": 70, "(missing)": 50}


def test_only_the_twenty_largest_values_per_column_are_kept() -> None:
    values = [f"v{i:02d}" for i in range(25) for _ in range(30 + i)]
    rng = np.random.default_rng(1)
    p = rng.uniform(size=len(values))
    y = (rng.uniform(size=len(values)) < p).astype(np.int64)
    result = evaluate(y, p, segments={"industry": np.array(values, dtype=object)})
    assert [s.value for s in result.segments] == [f"v{i:02d}" for i in range(24, 4, -1)]


def test_segment_of_wrong_length_is_rejected() -> None:
    with pytest.raises(ValueError, match="segment 'country'"):
        evaluate(np.array([0, 1]), np.array([0.2, 0.8]), segments={"country": np.array(["DE"])})


def test_summary_lines_read_like_the_numbers() -> None:
    y = np.array([1] * 20 + [0] * 80)
    p = np.concatenate([np.full(20, 0.9), np.full(80, 0.1)])
    lines = evaluate(y, p).summary_lines()
    assert lines[0].startswith("ROC-AUC 1.000  PR-AUC 1.000  Brier 0.010  log-loss ")
    assert lines[1] == "top 10%: precision 1.00, lift 5.0x; top 20%: precision 1.00, lift 5.0x"
    assert lines[2] == "held-out rows 100 (20.0% positive)"


def test_evaluation_round_trips_through_json() -> None:
    y, p = calibrated_sample(500)
    result = evaluate(y, p, segments={"country": np.array(["DE", "FR"] * 250, dtype=object)})
    restored = Evaluation.model_validate(json.loads(json.dumps(result.model_dump(mode="json"))))
    assert restored == result
