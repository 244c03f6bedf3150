"""Employee counts and revenue from numbers and ranges: "51-200", "1.2k", "$10M-$50M", "10M+"."""

from __future__ import annotations

import re
from functools import lru_cache

import polars as pl

from leadrank.normalize.values import CACHE_SIZE, map_distinct

_MULTIPLIERS = {
    "k": 1e3, "thousand": 1e3, "m": 1e6, "mm": 1e6, "mn": 1e6, "mio": 1e6, "million": 1e6,
    "millions": 1e6, "b": 1e9, "bn": 1e9, "billion": 1e9, "billions": 1e9, "t": 1e12,
    "trillion": 1e12,
}  # fmt: skip
_NUMBER = re.compile(
    r"(\d{1,3}(?:,\d{3})+(?:\.\d+)?"  # 1,234,567.8
    r"|\d{1,3}(?:\.\d{3})+(?:,\d+)?(?!\d)"  # 1.234.567,8
    r"|\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:[.,]\d+)?(?!\d)"  # 10 000 (French, Nordic)
    r"|\d+,\d{1,2}(?![\d,])"  # 2,5 (a decimal comma: "€2,5 Mio")
    r"|\d+(?:\.\d+)?|\.\d+)"
    r"\s*(thousand|millions?|billions?|trillion|mio|mm|mn|bn|[kmbt])?(?![a-z])"
)
_SCIENTIFIC = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)e[+-]?\d+")  # "1.5E+06", as Excel exports
# Larger than any company's head count or revenue: a typo or a filler, never a value. It also
# keeps every value well inside the 64-bit integers that head counts are stored as.
MOST = 1e15
_OPEN_ABOVE = re.compile(r"\+|\bover\b|\bmore than\b|\babove\b|>|\bplus\b")
_OPEN_BELOW = re.compile(r"<|\bless than\b|\bunder\b|\bbelow\b|\bup to\b")
_SELF_EMPLOYED = re.compile(r"self[\s-]*employed|just me|myself only|\bsole\b")

Range = tuple[float | None, float | None]


def _value(digits: str, unit: str | None) -> float:
    digits = re.sub(r"[ \u00a0\u202f]", "", digits)
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", digits):
        digits = digits.replace(",", "")  # "1,000" written with a thousands comma
    elif re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", digits) and (not unit or "," in digits):
        digits = digits.replace(".", "").replace(",", ".")  # "1.000" with a thousands dot
    else:
        digits = digits.replace(",", ".")  # "2,5" with a decimal comma
    return float(digits) * _MULTIPLIERS.get(unit or "", 1.0)


@lru_cache(maxsize=CACHE_SIZE)
def parse_range(text: str | None) -> Range:
    """(low, high) of a number or range; an open end is None. (None, None) when unreadable."""
    if text is None:
        return None, None
    low, high = _read_range(text.strip().lower())
    if any(end is not None and not 0 <= end <= MOST for end in (low, high)):
        return None, None  # left unparsed, and flagged as such
    return low, high


def _read_range(lowered: str) -> Range:
    if _SELF_EMPLOYED.search(lowered):
        return 1.0, 1.0
    if _SCIENTIFIC.fullmatch(lowered):
        value = float(lowered)
        return value, value
    found = _NUMBER.findall(lowered)
    if not found:
        return None, None
    values = [_value(digits, unit) for digits, unit in found[:2]]
    if len(values) == 2:
        # "$10-50M": a unit written once applies to both ends.
        if found[0][1] == "" and found[1][1]:
            values[0] = _value(found[0][0], found[1][1])
        low, high = sorted(values)
        return low, high
    value = values[0]
    if _OPEN_BELOW.search(lowered):
        return None, value
    if _OPEN_ABOVE.search(lowered):
        return value, None
    return value, value


def point_estimate(low: float | None, high: float | None) -> float | None:
    """One number for a range: the middle of a closed one, else its known end."""
    if low is not None and high is not None:
        return (low + high) / 2
    return low if low is not None else high


def clean_counts(raw: pl.Series, prefix: str, *, integer: bool) -> pl.DataFrame:
    """Columns <prefix>_min, <prefix>_max, <prefix> and <prefix>_unparsed."""
    dtype: type[pl.DataType] = pl.Int64 if integer else pl.Float64

    def parse(text: str) -> tuple[float | None, float | None, float | None]:
        low, high = parse_range(text)
        return low, high, point_estimate(low, high)

    found = map_distinct(raw, parse, {"low": pl.Float64, "high": pl.Float64, "point": pl.Float64})
    columns = {"low": f"{prefix}_min", "high": f"{prefix}_max", "point": prefix}
    return found.select(
        *[
            (pl.col(name).round(0) if integer else pl.col(name)).cast(dtype).alias(out)
            for name, out in columns.items()
        ],
        (raw.is_not_null() & pl.col("point").is_null()).alias(f"{prefix}_unparsed"),
    )
