"""How reasons show the values they cite."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from leadrank.scoring.reasons import reason_points, shown_points, shown_values, signed_points


def test_values_read_as_a_person_reads_them() -> None:
    frame = pl.DataFrame(
        {
            "created_at": [datetime(2026, 1, 26, 16, 53, tzinfo=UTC), None, None],
            "visits": [3.0, 81.39328, None],
            "ev_email_replied_days_since_last": [12.4, None, 0.2],
        }
    )
    rows = pl.Series([0, 1, 2])
    assert shown_values(frame, "created_at", rows).to_list() == ["2026-01-26", "missing", "missing"]
    assert shown_values(frame, "visits", rows).to_list() == ["3", "81.4", "missing"]
    assert shown_values(frame, "ev_email_replied_days_since_last", rows).to_list() == [
        "12 days ago",
        "never",
        "0 days ago",
    ]
    assert shown_values(frame, "absent", rows).to_list() == ["missing"] * 3


def test_small_pushes_still_read_as_numbers() -> None:
    from leadrank.scoring.reasons import shown_points, signed_points

    assert shown_points([12.4, 0.44, 0.044, -0.004, -3.6]).tolist() == [12.0, 0.4, 0.04, -0.0, -4.0]
    assert [
        signed_points(p, s) for p, s in ((12.0, 1), (0.4, 1), (0.04, 1), (-0.0, -1), (-4.0, -1))
    ] == ["+12", "+0.4", "+0.04", "-<0.01", "-4"]


def test_reason_points_read_back_what_signed_points_wrote() -> None:
    for raw in (-42.0, -8.4, -0.37, -0.004, 0.0, 0.003, 0.04, 0.9, 12.6, 100.0):
        shown = float(shown_points([raw])[0])
        words, points = reason_points(
            f"Seniority is vp ({signed_points(shown, 1 if raw >= 0 else -1)})"
        )
        assert words == "Seniority is vp"
        assert points is not None
        assert abs(points - shown) <= 0.005, (raw, shown, points)
        assert (points < 0) == (raw < 0)
    assert reason_points("Country is (unknown) (-3)") == ("Country is (unknown)", -3.0)
    assert reason_points("nothing is known about this lead") == (
        "nothing is known about this lead",
        None,
    )
