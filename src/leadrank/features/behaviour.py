"""Behavioural features of leads from their events, each lead seen as of its own point in time.

Only events strictly before a lead's `as_of` count, so a training row never sees what happened
after its snapshot. Event types are matched by their normalised name (`event_type_key`): "Page
View" and "page_view" are one type and share one set of columns.

A window of W days covers events at most W days before `as_of`: an event exactly W days old
counts. Velocity compares the last 30 days (age <= 30 days) with the 30 before them
(30 days < age <= 60 days), so every event falls in at most one of the two.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable

import polars as pl

DEFAULT_WINDOWS = (7, 30, 90)
# Users may send many custom event types; only the most frequent get their own columns so the
# feature count stays bounded and rare types do not yield near-empty columns.
MAX_EVENT_TYPES = 20
_VELOCITY_DAYS = 30
_DAY_US = 86_400_000_000
_TIMESTAMP = pl.Datetime("us", "UTC")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def event_type_key(event_type: str) -> str:
    """The column-safe name of an event type: lowercase, other characters as "_"."""
    key = _NOT_ALNUM.sub("_", event_type.lower()).strip("_") or "unnamed"
    # "all" would collide with the ev_all_* columns over every kept type.
    return "type_all" if key == "all" else key


def kept_event_types(
    events: pl.DataFrame, *, exclude: Collection[str] = (), limit: int = MAX_EVENT_TYPES
) -> list[str]:
    """The normalised event types that get their own columns: the `limit` most frequent in
    `events`, excluded ones dropped, sorted by name."""
    excluded = {event_type_key(t) for t in exclude}
    counts = (
        events.select(pl.col("event_type").cast(pl.String))
        .drop_nulls()
        .group_by("event_type")
        .len()
    )
    per_key: dict[str, int] = {}
    # One iteration per distinct type, not per event.
    for event_type, n in counts.iter_rows():
        key = event_type_key(event_type)
        if key not in excluded:
            per_key[key] = per_key.get(key, 0) + n
    top = sorted(per_key, key=lambda key: (-per_key[key], key))[:limit]
    return sorted(top)


def behaviour_feature_names(
    event_types: list[str], windows: tuple[int, ...] = DEFAULT_WINDOWS
) -> list[str]:
    """The feature columns `behaviour_features` returns for these types and windows, in order."""
    _check_windows(windows)
    names: list[str] = []
    for key in _unique_keys(event_types):
        names += [
            f"ev_{key}_count",
            *(f"ev_{key}_count_{w}d" for w in windows),
            f"ev_{key}_days_since_last",
        ]
    return [
        *names,
        "ev_all_count",
        *(f"ev_all_count_{w}d" for w in windows),
        "ev_all_days_since_last",
        "ev_all_days_since_first",
        "ev_all_active_days",
        f"ev_all_velocity_{_VELOCITY_DAYS}d",
        "ev_all_frequency_per_week",
    ]


def behaviour_features(
    events: pl.DataFrame,
    as_of: pl.DataFrame,
    *,
    event_types: list[str] | None = None,
    windows: tuple[int, ...] = DEFAULT_WINDOWS,
    exclude: Collection[str] = (),
) -> pl.DataFrame:
    """Per row of `as_of` (lead_id, as_of), in its order: lead_id and the Float64 features from
    `behaviour_feature_names`, counting only events before that row's as_of."""
    excluded = {event_type_key(t) for t in exclude}
    if event_types is None:
        event_types = kept_event_types(events, exclude=exclude)
    elif clash := sorted({event_type_key(t) for t in event_types} & excluded):
        raise ValueError(f"event types both requested and excluded: {', '.join(clash)}")
    names = behaviour_feature_names(event_types, windows)
    keys = _unique_keys(event_types)
    index = {key: i for i, key in enumerate(keys)}
    present = events.get_column("event_type").cast(pl.String).drop_nulls().unique()
    codes = {t: index[k] for t in present if (k := event_type_key(t)) in index}

    # Each as_of row is its own snapshot, so grouping is by row, not by lead.
    rows = as_of.select("lead_id", pl.col("as_of").cast(_TIMESTAMP)).with_row_index("_row")
    known = (
        events.lazy()
        .select(
            "lead_id",
            pl.col("event_type")
            .cast(pl.String)
            .replace_strict(codes, default=None, return_dtype=pl.UInt16)
            .alias("_k"),
            pl.col("occurred_at").cast(_TIMESTAMP),
        )
        .filter(pl.col("_k").is_not_null())
        .join(rows.lazy(), on="lead_id")
        .filter(pl.col("occurred_at") < pl.col("as_of"))
        .with_columns(
            (pl.col("as_of") - pl.col("occurred_at")).dt.total_microseconds().alias("_age")
        )
    )
    aggregated = known.group_by("_row").agg(_aggregations(len(keys), windows, names)).collect()

    # Recency stays null for a lead without events; its counts are zero.
    recency = ("_days_since_last", "_days_since_first")
    counts = [n for n in names[:-1] if not n.endswith(recency)]
    result = (
        rows.join(aggregated, on="_row", how="left")
        .sort("_row")
        .with_columns(pl.col(counts).fill_null(0))
        .with_columns(
            (
                pl.col("ev_all_count")
                / pl.max_horizontal(pl.col("ev_all_days_since_first") / 7, pl.lit(1.0))
            ).alias("ev_all_frequency_per_week")
        )
    )
    return result.select("lead_id", *(pl.col(n).cast(pl.Float64) for n in names))


def _aggregations(n_types: int, windows: tuple[int, ...], names: list[str]) -> list[pl.Expr]:
    """One agg for every column in `names` but the frequency, which needs the filled count."""
    age = pl.col("_age")
    exprs: list[pl.Expr] = []
    for i in range(n_types):
        is_type = pl.col("_k") == i
        exprs += [
            is_type.sum(),
            *((is_type & (age <= w * _DAY_US)).sum() for w in windows),
            age.filter(is_type).min() / _DAY_US,
        ]
    recent = age <= _VELOCITY_DAYS * _DAY_US
    before = (age > _VELOCITY_DAYS * _DAY_US) & (age <= 2 * _VELOCITY_DAYS * _DAY_US)
    exprs += [
        pl.len(),
        *((age <= w * _DAY_US).sum() for w in windows),
        age.min() / _DAY_US,
        age.max() / _DAY_US,
        pl.col("occurred_at").dt.date().n_unique(),
        # Signed literals: subtracting two unsigned sums would wrap below zero.
        pl.when(recent).then(1).when(before).then(-1).otherwise(0).sum(),
    ]
    return [e.alias(n) for e, n in zip(exprs, names[:-1], strict=True)]


def _unique_keys(event_types: Iterable[str]) -> list[str]:
    """Normalised names in first-seen order; spellings of one type share its columns."""
    return list(dict.fromkeys(event_type_key(t) for t in event_types))


def _check_windows(windows: tuple[int, ...]) -> None:
    """Refuse windows that would give empty or duplicate columns."""
    if any(w <= 0 for w in windows) or len(set(windows)) != len(windows):
        raise ValueError(f"windows must be distinct positive day counts, got {windows}")
