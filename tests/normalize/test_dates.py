"""Dates and times: every export format to timezone-aware UTC, nulls for the unreadable."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadrank.normalize.dates import UTC_TYPE, parse_datetimes

moments = st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2099, 12, 31, 23, 59, 59),
    timezones=st.just(UTC),
).map(lambda moment: moment.replace(microsecond=0))
offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)


def parse(values: Sequence[str | None]) -> list[datetime | None]:
    result = parse_datetimes(pl.Series("at", values, dtype=pl.String))
    assert result.dtype == UTC_TYPE
    assert result.name == "at"
    assert len(result) == len(values)
    return result.to_list()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(moments, offsets), min_size=1, max_size=8))
def test_every_export_format_round_trips(cases: list[tuple[datetime, timezone]]) -> None:
    texts, expected = [], []
    for moment, offset in cases:
        epoch = int(moment.timestamp())
        written = [
            moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            moment.astimezone(offset).isoformat(),
            moment.astimezone(offset).strftime("%Y-%m-%dT%H:%M:%S%z"),
            moment.strftime("%Y-%m-%d %H:%M:%S"),
            moment.strftime("%Y-%m-%d %H:%M:%S UTC"),
            str(epoch),
            str(epoch * 1000),
            f"{epoch}.0",
        ]
        texts += written
        expected += [moment] * len(written)
        # Dates alone are midnight UTC; slashes read month first unless the day is above 12.
        midnight = moment.replace(hour=0, minute=0, second=0)
        dates = [moment.strftime("%Y-%m-%d"), moment.strftime("%m/%d/%Y")]
        if moment.day > 12:
            dates.append(moment.strftime("%d/%m/%Y"))
        texts += dates
        expected += [midnight] * len(dates)
    assert parse(texts) == expected


digitless = st.text("abcdefghijklmnopqrstuvwxyzABCXYZ ,.-/:+", max_size=20)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(max_size=30) | digitless | st.none(), min_size=1, max_size=20))
def test_arbitrary_text_never_raises(values: list[str | None]) -> None:
    parsed = parse(values)
    for value, moment in zip(values, parsed, strict=True):
        if value is None or not any(c.isdigit() for c in value):
            assert moment is None, value
        else:
            assert moment is None or moment.tzinfo is not None


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("2026-03-04T10:20:30Z", utc(2026, 3, 4, 10, 20, 30)),
        ("2026-03-04T10:20:30.123Z", utc(2026, 3, 4, 10, 20, 30, 123000)),
        ("2026-03-04T10:20Z", utc(2026, 3, 4, 10, 20)),
        ("2026-03-04T10:20:30+02:00", utc(2026, 3, 4, 8, 20, 30)),
        ("2026-03-04T10:20:30-0500", utc(2026, 3, 4, 15, 20, 30)),
        ("2026-03-04T10:20:30.123456+05:30", utc(2026, 3, 4, 4, 50, 30, 123456)),
        ("2026-03-04 10:20:30", utc(2026, 3, 4, 10, 20, 30)),
        ("2026-03-04 10:20:30 GMT", utc(2026, 3, 4, 10, 20, 30)),
        ("2026-03-04", utc(2026, 3, 4)),
        ("2026/03/04", utc(2026, 3, 4)),
        ("03/04/2026", utc(2026, 3, 4)),  # month first: US exports
        ("25/12/2026", utc(2026, 12, 25)),  # a day above 12 reads day first
        ("12/31/2026 11:30 PM", utc(2026, 12, 31, 23, 30)),
        ("04.03.2026", utc(2026, 3, 4)),
        ("4 Mar 2026", utc(2026, 3, 4)),
        ("March 4, 2026", utc(2026, 3, 4)),
        ("Wed, 04 Mar 2026 10:20:30 +0000", utc(2026, 3, 4, 10, 20, 30)),
        ("1772619630", utc(2026, 3, 4, 10, 20, 30)),  # epoch seconds
        ("1772619630000", utc(2026, 3, 4, 10, 20, 30)),  # epoch milliseconds
        ("946684800", utc(2000, 1, 1)),
        ("12345", None),  # a number, but not a plausible moment
        ("0", None),
        ("2026-02-30", None),
        ("13/13/2026", None),
        ("not a date", None),
        ("", None),
        ("  ", None),
        (None, None),
    ],
)
def test_examples(text: str | None, moment: datetime | None) -> None:
    assert parse([text]) == [moment]


def test_repeated_values_read_the_same_on_every_row() -> None:
    values = ["03/04/2026", "garbage", None, "1772619630"] * 25
    parsed = parse(values)
    assert parsed[:4] * 25 == parsed
