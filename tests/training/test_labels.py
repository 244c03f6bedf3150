"""Labels and gold: windows from the anchor, maturity, and no peeking past the point in time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from pydantic import ValidationError

from leadrank.training.labels import LabelDefinition, gold_labels

NOW = datetime(2026, 11, 1, tzinfo=UTC)
UTC_US = pl.Datetime("us", "UTC")


def day(n: float) -> datetime:
    """n days before NOW (negative: after)."""
    return NOW - timedelta(days=n)


def gold(
    leads: list[tuple[int, float]], events: list[tuple[int, str, float]], **definition: object
) -> dict[int, dict]:
    lead_frame = pl.DataFrame(
        {"lead_id": [i for i, _ in leads], "created_at": [day(d) for _, d in leads]},
        schema={"lead_id": pl.Int64, "created_at": UTC_US},
    )
    event_frame = pl.DataFrame(
        {
            "lead_id": [e[0] for e in events],
            "event_type": [e[1] for e in events],
            "occurred_at": [day(e[2]) for e in events],
        },
        schema={"lead_id": pl.Int64, "event_type": pl.String, "occurred_at": UTC_US},
    )
    result = gold_labels(
        lead_frame,
        event_frame,
        definition=LabelDefinition(**definition),
        as_of=NOW,  # type: ignore[arg-type]
    )
    return {row["lead_id"]: row for row in result.to_dicts()}


def test_deal_won_within_90_days_of_creation() -> None:
    got = gold(
        [(1, 200), (2, 200), (3, 200), (4, 50), (5, 50)],
        [
            (1, "deal_won", 150),  # 50 days after creation: positive
            (2, "deal_won", 50),  # 150 days after: too late, negative
            (4, "deal_won", 40),  # window still open, but it happened: positive
        ],
        positive_events=["deal_won"],
        within_days=90,
    )
    assert [(got[i]["mature"], got[i]["label"]) for i in range(1, 6)] == [
        (True, True),
        (True, False),
        (True, False),  # 200 days old, nothing: settled negative
        (True, True),
        (False, None),  # 50 days old, window open: not gold yet
    ]
    assert got[1]["outcome_at"] == day(150)


def test_reply_within_14_days_of_the_first_email() -> None:
    got = gold(
        [(1, 100), (2, 100), (3, 100)],
        [
            (1, "email_sent", 60),
            (1, "email_sent", 30),
            (1, "email_replied", 50),  # 10 days after the first email
            (2, "email_sent", 5),  # window open, no reply yet
            (2, "email_replied", -1),  # after the point in time: does not exist yet
        ],
        positive_events=["email_replied"],
        within_days=14,
        anchor="first_touch",
    )
    assert got[1]["label"] is True and got[1]["anchor_at"] == day(60)
    assert got[2]["mature"] is False and got[2]["label"] is None
    assert got[3]["anchor_at"] is None and got[3]["mature"] is False  # never touched


def test_a_definition_reads_as_words_and_needs_an_outcome() -> None:
    definition = LabelDefinition(positive_events=["deal_won"], within_days=90)
    assert definition.described() == "deal_won within 90 days of lead creation"
    with pytest.raises(ValidationError):
        LabelDefinition(positive_events=[])
