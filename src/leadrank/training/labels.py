"""Labels and gold: which leads' outcomes are settled, and what the outcome was.

A label is "any of these event types within N days of the anchor", the anchor being the lead's
creation or its first touch (the first event of given types). A lead is mature, and enters
training, once its window has closed or the positive event has already happened; until then its
label is unknown, not negative. Everything is judged as of a point in time: later events do not
exist yet.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, model_validator


class LabelDefinition(BaseModel):
    """ "deal_won within 90 days of lead creation", "email_replied within 14 days of the first
    email_sent"."""

    model_config = ConfigDict(extra="forbid")

    name: str = "converted"
    positive_events: list[str] = Field(min_length=1)
    within_days: float = Field(default=30, gt=0)  # also the maturity window
    anchor: Literal["created", "first_touch"] = "created"
    touch_events: list[str] = Field(default_factory=lambda: ["email_sent"])

    @model_validator(mode="after")
    def _touch_needs_events(self) -> LabelDefinition:
        if self.anchor == "first_touch" and not self.touch_events:
            raise ValueError("anchor first_touch needs touch_events")
        return self

    def described(self) -> str:
        """ "deal_won within 90 days of lead creation"."""
        anchor = (
            "lead creation"
            if self.anchor == "created"
            else f"the first {' or '.join(self.touch_events)}"
        )
        return f"{' or '.join(self.positive_events)} within {self.within_days:g} days of {anchor}"


def gold_labels(
    leads: pl.DataFrame, events: pl.DataFrame, *, definition: LabelDefinition, as_of: datetime
) -> pl.DataFrame:
    """Per lead (lead_id, created_at): anchor_at, outcome_at (the first positive event in the
    window), mature and label (true, false, or null while the window is open)."""
    known = events.filter(pl.col("occurred_at") <= as_of)
    if definition.anchor == "created":
        anchors = leads.select("lead_id", pl.col("created_at").alias("anchor_at"))
    else:
        anchors = leads.select("lead_id").join(
            known.filter(pl.col("event_type").is_in(definition.touch_events))
            .group_by("lead_id")
            .agg(pl.col("occurred_at").min().alias("anchor_at")),
            on="lead_id",
            how="left",
        )
    window = pl.duration(seconds=definition.within_days * 86_400)
    outcomes = (
        known.filter(pl.col("event_type").is_in(definition.positive_events))
        .join(anchors, on="lead_id")
        .filter(
            (pl.col("occurred_at") >= pl.col("anchor_at"))
            & (pl.col("occurred_at") <= pl.col("anchor_at") + window)
        )
        .group_by("lead_id")
        .agg(pl.col("occurred_at").min().alias("outcome_at"))
    )
    closed = (pl.col("anchor_at") + window) <= pl.lit(as_of)
    positive = pl.col("outcome_at").is_not_null()
    mature = pl.col("anchor_at").is_not_null() & (positive | closed)
    return (
        anchors.join(outcomes, on="lead_id", how="left")
        .with_columns(mature.alias("mature"))
        .with_columns(pl.when(pl.col("mature")).then(positive).alias("label"))
        .sort("lead_id")
    )
