"""Dates and times in the formats exports use, to timezone-aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl

UTC_TYPE = pl.Datetime("us", "UTC")

# Tried in order; the first that reads a value wins. Month-first before day-first: most exports
# with slashes come from US tools, and a day above 12 still reads day-first.
NAIVE_FORMATS = (
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%d %b %Y",
    "%d %B %Y",
    "%d-%b-%Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%b %d %Y",
    "%a, %d %b %Y %H:%M:%S",
)
OFFSET_FORMATS = (
    "%Y-%m-%dT%H:%M:%S%.f%z",
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%dT%H:%M%z",
    "%Y-%m-%d %H:%M:%S%.f%z",
    "%Y-%m-%d %H:%M:%S%z",
    "%a, %d %b %Y %H:%M:%S %z",
)
# Epoch numbers between 2000-01-01 and 2100-01-01, in seconds or milliseconds.
_EPOCH_S = (946_684_800, 4_102_444_800)


def _attempts() -> list[pl.Expr]:
    text = pl.col("t")
    attempts = [
        text.str.to_datetime(fmt, strict=False, time_unit="us").dt.convert_time_zone("UTC")
        for fmt in OFFSET_FORMATS
    ]
    attempts += [
        text.str.to_datetime(fmt, strict=False, time_unit="us").dt.replace_time_zone("UTC")
        for fmt in NAIVE_FORMATS
    ]
    number = text.str.replace(r"\.0+$", "").cast(pl.Int64, strict=False)
    low, high = _EPOCH_S
    seconds = pl.when(number.is_between(low, high)).then(number * 1_000_000)
    millis = pl.when(number.is_between(low * 1000, high * 1000)).then(number * 1000)
    attempts.append(pl.coalesce(seconds, millis).cast(UTC_TYPE))
    return attempts


def parse_datetimes(raw: pl.Series) -> pl.Series:
    """Each value as a UTC datetime; naive times are taken as UTC; unreadable values are null."""
    text = (
        raw.cast(pl.String)
        .str.strip_chars()
        .str.replace(r"(?i)(\d)\s*(z|utc|gmt)$", "${1}+00:00")
        .replace("", None)
    )
    # Each format is tried only on the distinct values no earlier format could read.
    pending = text.drop_nulls().unique(maintain_order=True).alias("t")
    read: list[pl.Series] = []
    moments: list[pl.Series] = []
    for attempt in _attempts():
        if pending.is_empty():
            break
        at = pending.to_frame().select(attempt.alias("at")).to_series()
        ok = at.is_not_null()
        read.append(pending.filter(ok))
        moments.append(at.filter(ok))
        pending = pending.filter(~ok)
    table = pl.DataFrame(
        {
            "t": pl.concat(read) if read else pl.Series("t", [], pl.String),
            "at": pl.concat(moments) if moments else pl.Series("at", [], UTC_TYPE),
        }
    )
    return (
        text.to_frame("t")
        .join(table, on="t", how="left", maintain_order="left")
        .select(pl.col("at").alias(raw.name))
        .to_series()
    )


EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
AHEAD = timedelta(days=1)  # a sender's clock or time zone a little ahead is no error


def implausible(moment: pl.Expr, now: datetime) -> pl.Expr:
    """Whether a moment is one nothing can have happened at yet: before 1970, or more than a
    day after `now` (a year 9999 would read as the freshest activity there is)."""
    return (moment < EARLIEST) | (moment > now + AHEAD)


def plausible(moments: pl.Series) -> pl.Series:
    """The moments, with those nothing can have happened at yet (`implausible`) left out."""
    far_off = implausible(pl.col("at"), datetime.now(UTC)).fill_null(False)
    return moments.to_frame("at").select(pl.when(~far_off).then(pl.col("at"))).to_series()
