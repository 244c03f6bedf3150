"""The one feature function of the workspace: a lead's own and company fields plus its
behaviour as of a point in time. Training calls it with each lead's observation time, scoring
with now; both go through the same code and the same stored event types."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime

import polars as pl

from leadrank.features.behaviour import DEFAULT_WINDOWS, behaviour_features

# Inputs that identify or timestamp a lead rather than describe it.
NOT_FEATURES = ("source_created_at", "attributes")
MAX_ATTRIBUTES = 20  # custom fields kept, the most often filled first
ATTRIBUTE_SAMPLE = 50_000
MIN_ATTRIBUTE_SHARE = 0.01


def attribute_keys(leads: pl.DataFrame) -> list[str]:
    """The custom fields worth learning from: filled on at least 1% of leads, at most 20."""
    if "attributes" not in leads.columns or leads.is_empty():
        return []
    counts: Counter[str] = Counter()
    sample = leads.get_column("attributes").head(ATTRIBUTE_SAMPLE).drop_nulls().to_list()
    for text in sample:
        counts.update(json.loads(text).keys())
    floor = MIN_ATTRIBUTE_SHARE * max(len(sample), 1)
    return [key for key, n in counts.most_common(MAX_ATTRIBUTES) if n >= floor]


def with_attributes(leads: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Custom fields as columns "attr: KEY" (text; the feature plan types them)."""
    usable = [key for key in keys if "'" not in key and "\\" not in key]
    if not usable or "attributes" not in leads.columns:
        return leads
    return leads.with_columns(
        pl.col("attributes").str.json_path_match(f"$['{key}']").alias(f"attr: {key}")
        for key in usable
    )


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
    attributes: list[str] | None = None,
) -> pl.DataFrame:
    """Per lead (in `leads` order): its fields, chosen custom attributes, when it was created
    (month, weekday, hour) and its behaviour strictly before `as_of` (one time for all, or a
    frame of lead_id, as_of). Its age is left out: in training it is the observation window."""
    if isinstance(as_of, datetime):
        times = leads.select(
            "lead_id", pl.lit(as_of, dtype=pl.Datetime("us", "UTC")).alias("as_of")
        )
    else:
        times = leads.select("lead_id").join(as_of, on="lead_id", how="left", maintain_order="left")
    behaviour = behaviour_features(events, times, event_types=event_types, windows=windows)
    fields = with_attributes(lead_inputs(leads), attributes or []).drop(NOT_FEATURES, strict=False)
    return pl.concat([fields, behaviour.drop("lead_id")], how="horizontal")
