"""Engagement: points per event type with decay or a window, caps, and point-in-time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from pydantic import ValidationError

from leadrank.scoring.engagement import EngagementConfig, score_engagement

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def events(*rows: tuple[int, str, float]) -> pl.DataFrame:
    """(lead id, event type, days before NOW; negative is after NOW)."""
    return pl.DataFrame(
        {
            "lead_id": [r[0] for r in rows],
            "event_type": [r[1] for r in rows],
            "occurred_at": [NOW - timedelta(days=r[2]) for r in rows],
        }
    ).with_columns(pl.col("occurred_at").dt.cast_time_unit("us"))


def scores(frame: pl.DataFrame, **config: object) -> dict[int, dict]:
    result = score_engagement(frame, config=EngagementConfig(**config), as_of=NOW)  # type: ignore[arg-type]
    return {row["lead_id"]: row for row in result.to_dicts()}


def test_points_halve_every_half_life() -> None:
    got = scores(
        events((1, "email_replied", 0), (2, "email_replied", 30), (3, "email_replied", 60)),
        points={"email_replied": 40.0},
        full_score_points=40.0,
    )
    assert [got[i]["engagement_score"] for i in (1, 2, 3)] == [100.0, 50.0, 25.0]


def test_a_window_counts_recent_events_in_full_and_old_ones_not_at_all() -> None:
    got = scores(
        events((1, "form_fill", 13), (2, "form_fill", 15)),
        points={"form_fill": 30.0},
        half_life_days=None,
        window_days=14,
        full_score_points=60.0,
    )
    assert got[1]["engagement_score"] == 50.0 and got[2]["engagement_score"] == 0.0


def test_type_caps_negative_points_and_the_zero_floor() -> None:
    opens = [(1, "email_opened", 0)] * 20
    got = scores(events(*opens, (2, "email_unsubscribed", 0), (2, "page_view", 0)))
    assert got[1]["engagement_score"] == pytest.approx(10 / 60 * 100, abs=0.1)  # opens cap at 10
    assert got[2]["engagement_score"] == 0.0
    assert got[2]["engagement_reasons"][0] == "email unsubscribed x1, latest 0 days ago (-30.0)"


def test_events_after_the_point_in_time_do_not_count() -> None:
    got = scores(events((1, "meeting_booked", -1), (1, "page_view", 3)))
    assert got[1]["engagement_score"] == pytest.approx(1 * 0.5 ** (3 / 30) / 60 * 100, abs=0.1)
    assert got[1]["last_activity_days"] == 3
    assert len(got[1]["engagement_reasons"]) == 1


def test_decay_and_window_together_are_refused() -> None:
    with pytest.raises(ValidationError, match="not both"):
        EngagementConfig(half_life_days=30, window_days=14)


def test_a_profile_section_is_laid_over_the_defaults() -> None:
    from leadrank.errors import BadInput
    from leadrank.scoring.icp import parse_profile

    base = {"name": "p", "rules": [{"field": "seniority", "op": "exists", "points": 10}]}
    plain = parse_profile(base, source="p")
    assert plain.engagement == EngagementConfig()
    assert scores(events((1, "demo_request", 1)))[1]["engagement_score"] == 0.0, "unknown: 0"

    section = {
        "points": {"demo_request": 40, "page_view": 0},
        "type_caps": {"demo_request": 50},
        "window_days": 90,
        "full_score_points": 80,
    }
    profile = parse_profile({**base, "engagement": section}, source="p")
    config = profile.engagement
    assert config.points["demo_request"] == 40 and config.points["page_view"] == 0
    assert config.points["meeting_booked"] == EngagementConfig().points["meeting_booked"]
    assert config.type_caps["email_opened"] == EngagementConfig().type_caps["email_opened"]
    assert (config.window_days, config.half_life_days) == (90, None), "a window alone: no decay"
    got = score_engagement(
        events((1, "demo_request", 30), (1, "page_view", 1), (1, "demo_request", 200)),
        config=config,
        as_of=NOW,
    ).to_dicts()[0]
    assert got["engagement_score"] == pytest.approx(40 / 80 * 100)
    assert got["engagement_reasons"] == ["demo request x1, latest 30 days ago (+40.0)"]

    with pytest.raises(BadInput, match="engagement"):
        parse_profile({**base, "engagement": {"half_life_days": 7, "window_days": 30}}, source="p")
    with pytest.raises(BadInput, match="engagement"):
        parse_profile({**base, "engagement": {"full_score_points": -5}}, source="p")
