"""The one feature function of the workspace: a lead's own and company fields plus its
behaviour as of a point in time. Training calls it with each lead's observation time, scoring
with now; both go through the same code and the same stored event types."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from leadrank.features.behaviour import DEFAULT_WINDOWS, behaviour_features

# Inputs that identify or timestamp a lead rather than describe it.
NOT_FEATURES = ("created_at", "source_created_at")


def lead_inputs(leads: pl.DataFrame) -> pl.DataFrame:
    """Lead and company fields as model inputs (a phone number becomes "has a phone")."""
    frame = leads
    if "phone_e164" in frame.columns:
        frame = frame.with_columns(pl.col("phone_e164").is_not_null().alias("has_phone")).drop(
            "phone_e164"
        )
    return frame


def workspace_features(
    leads: pl.DataFrame,
    events: pl.DataFrame,
    *,
    as_of: pl.DataFrame | datetime,
    event_types: list[str],
    windows: tuple[int, ...] = DEFAULT_WINDOWS,
) -> pl.DataFrame:
    """Per lead (in `leads` order): its fields and its behaviour strictly before `as_of`
    (one time for all, or a frame of lead_id, as_of)."""
    if isinstance(as_of, datetime):
        times = leads.select(
            "lead_id", pl.lit(as_of, dtype=pl.Datetime("us", "UTC")).alias("as_of")
        )
    else:
        times = leads.select("lead_id").join(as_of, on="lead_id", how="left")
    behaviour = behaviour_features(events, times, event_types=event_types, windows=windows)
    fields = lead_inputs(leads).drop(NOT_FEATURES, strict=False)
    return pl.concat([fields, behaviour.drop("lead_id")], how="horizontal")
