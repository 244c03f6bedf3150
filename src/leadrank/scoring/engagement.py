"""Engagement: points per event type, decayed by age (a half-life) or counted within a time
window, capped per type and in total, as a score 0-100 with its reasons.

Scores are computed as of a point in time: events after it do not exist yet, so the same
function serves today's scores and point-in-time training features.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, model_validator


class EngagementConfig(BaseModel):
    """How events become an engagement score."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    points: dict[str, float] = Field(
        default_factory=lambda: {
            "email_opened": 2.0,
            "email_clicked": 5.0,
            "email_replied": 25.0,
            "page_view": 1.0,
            "form_fill": 15.0,
            "content_download": 10.0,
            "meeting_booked": 30.0,
            "email_bounced": -10.0,
            "email_unsubscribed": -30.0,
        }
    )
    # The most (or, for negative points, the least) one event type can add.
    type_caps: dict[str, float] = Field(
        default_factory=lambda: {"email_opened": 10.0, "email_clicked": 15.0, "page_view": 10.0}
    )
    half_life_days: float | None = Field(default=30, gt=0)
    window_days: float | None = Field(default=None, gt=0)
    full_score_points: float = Field(default=60, gt=0)  # points that make engagement 100

    @classmethod
    def over_defaults(cls, section: Any) -> Any:
        """A profile's `engagement:` section laid over the defaults: the points and caps it
        names are added to (or replace) the default ones, a type set to 0 earns nothing, and a
        window given alone turns the default half-life off."""
        if not isinstance(section, dict):
            return section
        defaults = cls()
        merged: dict[str, Any] = {**section}
        for name in ("points", "type_caps"):
            given = section.get(name)
            if isinstance(given, dict):
                merged[name] = {**getattr(defaults, name), **given}
        if section.get("window_days") is not None and "half_life_days" not in section:
            merged["half_life_days"] = None
        return merged

    @model_validator(mode="after")
    def _decay_or_window(self) -> EngagementConfig:
        if self.window_days is not None and self.half_life_days is not None:
            raise ValueError("give half_life_days or window_days, not both (set one to null)")
        return self


def score_engagement(
    events: pl.DataFrame, *, config: EngagementConfig, as_of: datetime
) -> pl.DataFrame:
    """Per lead in `events` (lead_id, event_type, occurred_at in UTC): engagement_score 0-100,
    last_activity_days, and engagement_reasons, strongest first."""
    age_days = (pl.lit(as_of) - pl.col("occurred_at")).dt.total_seconds() / 86_400
    if config.window_days is not None:
        weight = pl.when(age_days <= config.window_days).then(1.0).otherwise(0.0)
    else:
        half_life = config.half_life_days or 30.0
        weight = pl.lit(0.5).pow(age_days / half_life)
    points = pl.col("event_type").replace_strict(
        config.points, default=0.0, return_dtype=pl.Float64
    )
    known = events.filter(pl.col("occurred_at") <= as_of).with_columns(
        (points * weight).alias("_points"), age_days.alias("_age"), weight.alias("_weight")
    )
    # A reason counts the events that add to the score (not those outside the window).
    counted = known.filter(pl.col("_weight") > 0)
    by_type = counted.group_by("lead_id", "event_type").agg(
        pl.col("_points").sum(), pl.len().alias("_count"), pl.col("_age").min().alias("_newest")
    )
    caps = pl.col("event_type").replace_strict(
        config.type_caps, default=None, return_dtype=pl.Float64
    )
    by_type = by_type.with_columns(
        pl.when(caps.is_not_null())
        .then(pl.col("_points").clip(-caps, caps))
        .otherwise(pl.col("_points"))
        .alias("_points")
    ).filter(pl.col("_points").abs() >= 0.05)
    reason = pl.format(
        "{} x{}, latest {} days ago ({})",
        pl.col("event_type").str.replace_all("_", " "),
        pl.col("_count"),
        pl.col("_newest").floor().cast(pl.Int64),
        pl.when(pl.col("_points") >= 0)
        .then(pl.lit("+") + pl.col("_points").round(1).cast(pl.String))
        .otherwise(pl.col("_points").round(1).cast(pl.String)),
    )
    per_lead = (
        by_type.sort(pl.col("_points").abs(), descending=True)
        .group_by("lead_id", maintain_order=True)
        .agg(pl.col("_points").sum().alias("_total"), reason.alias("engagement_reasons"))
    )
    last = known.group_by("lead_id").agg(
        pl.col("_age").min().floor().cast(pl.Int64).alias("last_activity_days")
    )
    every_lead = events.select("lead_id").unique()
    return (
        every_lead.join(per_lead, on="lead_id", how="left")
        .join(last, on="lead_id", how="left")
        .select(
            "lead_id",
            (pl.col("_total").fill_null(0.0) / config.full_score_points * 100)
            .clip(0, 100)
            .round(1)
            .alias("engagement_score"),
            "last_activity_days",
            pl.col("engagement_reasons").fill_null(pl.lit([], dtype=pl.List(pl.String))),
        )
        .sort("lead_id")
    )
