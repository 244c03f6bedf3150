"""Behavioural features as of a point in time per lead: the future is invisible, windows have
exact edges, and the columns depend only on the requested types and windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from leadrank.features.behaviour import (
    behaviour_feature_names,
    behaviour_features,
    event_type_key,
    kept_event_types,
)

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
DAY = timedelta(days=1)


def events_frame(rows: list[tuple[int, str, datetime]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={
            "lead_id": pl.Int64,
            "event_type": pl.String,
            "occurred_at": pl.Datetime("us", "UTC"),
        },
        orient="row",
    )


def as_of_frame(rows: list[tuple[int, datetime]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows, schema={"lead_id": pl.Int64, "as_of": pl.Datetime("us", "UTC")}, orient="row"
    )


def one_row(features: pl.DataFrame, lead_id: int) -> dict[str, float | None]:
    rows = features.filter(pl.col("lead_id") == lead_id).drop("lead_id").to_dicts()
    assert len(rows) == 1
    return rows[0]


def test_events_at_or_after_as_of_are_ignored() -> None:
    events = events_frame(
        [
            (1, "page_view", NOW + DAY),
            (1, "email_opened", NOW),  # at as_of itself: not strictly before, so unseen
            (2, "page_view", NOW - DAY),
        ]
    )
    features = behaviour_features(events, as_of_frame([(1, NOW), (2, NOW)]))
    future_only = one_row(features, 1)
    assert future_only["ev_all_count"] == 0.0
    assert future_only["ev_page_view_count"] == 0.0
    assert future_only["ev_email_opened_count_90d"] == 0.0
    assert future_only["ev_all_frequency_per_week"] == 0.0
    assert future_only["ev_all_days_since_last"] is None
    assert future_only["ev_page_view_days_since_last"] is None
    assert future_only["ev_all_days_since_first"] is None
    assert one_row(features, 2)["ev_page_view_count"] == 1.0


def test_window_includes_an_event_exactly_w_days_old() -> None:
    events = events_frame(
        [
            (1, "page_view", NOW - 7 * DAY),  # exactly 7 days: inside the 7-day window
            (1, "page_view", NOW - 7 * DAY - timedelta(microseconds=1)),  # just outside
            (1, "page_view", NOW - 30 * DAY),
            (1, "page_view", NOW - 90 * DAY - timedelta(microseconds=1)),
        ]
    )
    row = one_row(behaviour_features(events, as_of_frame([(1, NOW)])), 1)
    assert row["ev_page_view_count_7d"] == 1.0
    assert row["ev_page_view_count_30d"] == 3.0
    assert row["ev_page_view_count_90d"] == 3.0
    assert row["ev_page_view_count"] == 4.0
    assert row["ev_all_count_7d"] == 1.0


def test_velocity_sign_follows_the_trend() -> None:
    rising = [(1, "page_view", NOW - d * DAY) for d in (1, 2, 3, 40)]
    falling = [(2, "page_view", NOW - d * DAY) for d in (5, 31, 45, 59)]
    # Exactly 30 days old is recent; exactly 60 days old is the period before.
    edges = [(3, "page_view", NOW - 30 * DAY), (3, "page_view", NOW - 60 * DAY)]
    features = behaviour_features(
        events_frame(rising + falling + edges), as_of_frame([(1, NOW), (2, NOW), (3, NOW)])
    )
    assert one_row(features, 1)["ev_all_velocity_30d"] == 2.0
    assert one_row(features, 2)["ev_all_velocity_30d"] == -2.0
    assert one_row(features, 3)["ev_all_velocity_30d"] == 0.0


def test_recency_activity_and_frequency_values() -> None:
    events = events_frame(
        [
            (1, "email_opened", NOW - timedelta(days=2, hours=6)),
            (1, "email_opened", NOW - timedelta(days=2, hours=12)),  # same calendar day, 00:00
            (1, "page_view", NOW - 28 * DAY),
        ]
    )
    row = one_row(behaviour_features(events, as_of_frame([(1, NOW)])), 1)
    assert row["ev_email_opened_days_since_last"] == pytest.approx(2.25)
    assert row["ev_page_view_days_since_last"] == pytest.approx(28.0)
    assert row["ev_all_days_since_last"] == pytest.approx(2.25)
    assert row["ev_all_days_since_first"] == pytest.approx(28.0)
    assert row["ev_all_active_days"] == 2.0
    assert row["ev_all_frequency_per_week"] == pytest.approx(3 / 4)


def test_frequency_uses_at_least_one_week() -> None:
    events = events_frame([(1, "page_view", NOW - DAY), (1, "page_view", NOW - 2 * DAY)])
    row = one_row(behaviour_features(events, as_of_frame([(1, NOW)])), 1)
    assert row["ev_all_frequency_per_week"] == 2.0


def test_excluded_types_give_no_columns_and_do_not_count() -> None:
    events = events_frame(
        [
            (1, "page_view", NOW - DAY),
            (1, "Deal Won", NOW - DAY),  # spelt differently from the exclusion, same type
            (1, "deal_won", NOW - 2 * DAY),
        ]
    )
    features = behaviour_features(events, as_of_frame([(1, NOW)]), exclude=["deal_won"])
    assert not [c for c in features.columns if "deal" in c]
    row = one_row(features, 1)
    assert row["ev_all_count"] == 1.0
    assert row["ev_all_active_days"] == 1.0
    assert kept_event_types(events, exclude=["deal_won"]) == ["page_view"]


def test_requesting_an_excluded_type_is_refused() -> None:
    events = events_frame([(1, "deal_won", NOW - DAY)])
    with pytest.raises(ValueError, match="deal_won"):
        behaviour_features(
            events, as_of_frame([(1, NOW)]), event_types=["deal_won"], exclude=["deal_won"]
        )


def test_explicit_types_absent_from_events_still_get_columns() -> None:
    events = events_frame([(1, "page_view", NOW - DAY), (1, "webinar", NOW - DAY)])
    types = ["page_view", "meeting_booked"]
    features = behaviour_features(events, as_of_frame([(1, NOW)]), event_types=types)
    assert features.columns == ["lead_id", *behaviour_feature_names(types)]
    assert all(dtype == pl.Float64 for dtype in features.drop("lead_id").dtypes)
    row = one_row(features, 1)
    assert row["ev_meeting_booked_count"] == 0.0
    assert row["ev_meeting_booked_days_since_last"] is None
    assert row["ev_all_count"] == 1.0  # webinar is not a kept type


def test_columns_do_not_depend_on_the_batch() -> None:
    types = ["page_view", "email_opened"]
    empty = events_frame([])
    busy = events_frame([(1, "page_view", NOW - DAY), (1, "email_opened", NOW - 3 * DAY)])
    as_of = as_of_frame([(1, NOW)])
    first = behaviour_features(empty, as_of, event_types=types, windows=(14,))
    second = behaviour_features(busy, as_of, event_types=types, windows=(14,))
    assert first.columns == second.columns
    assert first.schema == second.schema


def test_leads_with_different_as_of_see_different_history() -> None:
    events = events_frame(
        [(lead, "page_view", NOW - d * DAY) for lead in (1, 2) for d in (1, 10, 20)]
    )
    features = behaviour_features(events, as_of_frame([(1, NOW), (2, NOW - 15 * DAY)]))
    assert one_row(features, 1)["ev_page_view_count"] == 3.0
    assert one_row(features, 2)["ev_page_view_count"] == 1.0
    assert one_row(features, 2)["ev_page_view_days_since_last"] == pytest.approx(5.0)


def test_output_follows_as_of_order() -> None:
    events = events_frame([(lead, "page_view", NOW - DAY) for lead in (1, 2, 3)])
    order = [3, 7, 1, 2]  # 7 has no events at all
    features = behaviour_features(events, as_of_frame([(lead, NOW) for lead in order]))
    assert features.get_column("lead_id").to_list() == order
    assert features.get_column("ev_all_count").to_list() == [1.0, 0.0, 1.0, 1.0]


def test_type_names_become_safe_identifiers() -> None:
    events = events_frame(
        [
            (1, "Closed Won", NOW - DAY),
            (1, "email.replied", NOW - DAY),
            (1, "Email Replied", NOW - 2 * DAY),  # same type as email.replied once normalised
            (1, "all", NOW - DAY),
        ]
    )
    features = behaviour_features(events, as_of_frame([(1, NOW)]))
    assert all(c.isidentifier() and c == c.lower() for c in features.columns)
    assert len(set(features.columns)) == len(features.columns)
    row = one_row(features, 1)
    assert row["ev_closed_won_count"] == 1.0
    assert row["ev_email_replied_count"] == 2.0
    assert row["ev_type_all_count"] == 1.0
    assert row["ev_all_count"] == 4.0
    assert event_type_key("  Form--Fill! ") == "form_fill"


def test_default_types_are_the_most_frequent_sorted() -> None:
    rows = [(1, f"custom_{i:02d}", NOW - DAY) for i in range(25) for _ in range(i + 1)]
    kept = kept_event_types(events_frame(rows))
    assert kept == [f"custom_{i:02d}" for i in range(5, 25)]
    assert kept_event_types(events_frame(rows), limit=2) == ["custom_23", "custom_24"]


def test_large_frame_runs() -> None:
    rng = np.random.default_rng(7)
    n_events, n_leads = 200_000, 20_000
    types = np.array(["page_view", "email_opened", "email_clicked", "form_fill", "deal_won"])
    offsets = rng.integers(0, 200 * 86_400_000_000, n_events)
    events = pl.DataFrame(
        {
            "lead_id": rng.integers(0, n_leads, n_events),
            "event_type": types[rng.integers(0, len(types), n_events)],
            "occurred_at": pl.Series(np.datetime64(NOW.replace(tzinfo=None), "us") - offsets),
        }
    ).with_columns(pl.col("occurred_at").dt.replace_time_zone("UTC"))
    as_of = pl.DataFrame({"lead_id": np.arange(n_leads, dtype=np.int64)}).with_columns(
        as_of=pl.lit(NOW) - pl.duration(days=pl.col("lead_id") % 100)
    )
    features = behaviour_features(events, as_of, exclude=["deal_won"])
    assert features.height == n_leads
    assert features.columns == [
        "lead_id",
        *behaviour_feature_names(kept_event_types(events, exclude=["deal_won"])),
    ]
    counts = features.select(
        pl.sum_horizontal(pl.col(r"^ev_.*_count$").exclude("ev_all_count")) - pl.col("ev_all_count")
    )
    assert counts.to_series().abs().max() == 0.0
