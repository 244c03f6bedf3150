"""The one feature function of the workspace: a lead's own and company fields plus its
behaviour as of a point in time. Training calls it with each lead's observation time, scoring
with now; both go through the same code and the same stored event types."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Collection
from datetime import datetime

import polars as pl

from leadrank.features.behaviour import DEFAULT_WINDOWS, behaviour_features
from leadrank.features.contact import is_contact_field, masked

# Inputs that identify or timestamp a lead rather than describe it.
NOT_FEATURES = ("source_created_at", "attributes")
MAX_ATTRIBUTES = 20  # custom fields kept, the most often filled first
ATTRIBUTE_SAMPLE = 50_000
MIN_ATTRIBUTE_SHARE = 0.01
AGE_FEATURE = "age_days"
_DAY_US = 86_400 * 1_000_000


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


def contact_keys(leads: pl.DataFrame, keys: list[str]) -> list[str]:
    """The custom fields that are mostly contact details (emails, phone numbers, links): they
    are learnt from as "filled or not"."""
    sample = _raw_attributes(leads.head(ATTRIBUTE_SAMPLE), keys)
    return [key for key, values in sample.items() if is_contact_field(values)]


def with_attributes(
    leads: pl.DataFrame, keys: list[str], contact: Collection[str] = ()
) -> pl.DataFrame:
    """Custom fields as columns "attr: KEY" (text; the feature plan types them). The `contact`
    ones only say whether they are filled; in the others, a stray email, phone number or
    profile link is replaced by a mark, so none reaches a model, a reason or the lake."""
    return leads.with_columns(
        (
            values.str.strip_chars().replace("", None).is_not_null()
            if key in contact
            else masked(values)
        ).alias(f"attr: {key}")
        for key, values in _raw_attributes(leads, keys).items()
    )


def _raw_attributes(leads: pl.DataFrame, keys: list[str]) -> dict[str, pl.Series]:
    """Each custom field's values as text, as the lead's source sent them."""
    if "attributes" not in leads.columns:
        return {}
    usable = [key for key in keys if "'" not in key and "\\" not in key]
    attributes = leads.get_column("attributes")
    return {key: attributes.str.json_path_match(f"$['{key}']") for key in usable}


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
    contact: Collection[str] = (),
    max_age_days: float | None = None,
) -> pl.DataFrame:
    """A lead's fields, chosen custom attributes, when it was created (month, weekday, hour)
    and its behaviour strictly before `as_of`: per lead in `leads` order for one time, or per
    row of a frame of (lead_id, as_of), in its order, where a lead may be seen at several
    times. With `max_age_days`, also its age then in days, capped there: a model knows nothing
    of leads older than any it was trained on."""
    fields = with_attributes(lead_inputs(leads), attributes or [], contact).drop(
        NOT_FEATURES, strict=False
    )
    if isinstance(as_of, datetime):
        times = leads.select(
            "lead_id", pl.lit(as_of, dtype=pl.Datetime("us", "UTC")).alias("as_of")
        )
    else:
        times = as_of.select("lead_id", "as_of")
        fields = times.select("lead_id").join(
            fields, on="lead_id", how="left", maintain_order="left"
        )
    behaviour = behaviour_features(events, times, event_types=event_types, windows=windows)
    parts = [fields, behaviour.drop("lead_id")]
    if max_age_days is not None:
        age = (times.get_column("as_of") - fields.get_column("created_at")).dt.total_microseconds()
        parts.append((age / _DAY_US).clip(0.0, max_age_days).round(2).alias(AGE_FEATURE).to_frame())
    return pl.concat(parts, how="horizontal")
