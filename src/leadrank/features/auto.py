"""Automatic typing of any table for learning: which columns are numbers, yes/no flags,
categories, dates or free text, and which are ids or constants to leave out.

`infer_plan` looks at training data once; the plan it returns turns any later frame with the
same columns into the same features (the same kept categories, the same tokens), which is what
makes training and scoring agree.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import polars as pl

from leadrank.normalize.dates import parse_datetimes
from leadrank.normalize.values import blank_to_null

Kind = Literal[
    "numeric", "boolean", "categorical", "datetime", "text", "id", "constant", "excluded"
]
USED_KINDS = ("numeric", "boolean", "categorical", "datetime", "text")
MAX_LEVELS = 50  # categories kept per column, most frequent first
MIN_LEVEL_SHARE = 0.005  # rarer levels share one code with unseen ones
TEXT_TOKENS = 10  # tokens kept per free-text column
_ID_NAME = re.compile(r"(^|[^a-z])(id|uuid|guid|key|number|no|code)($|[^a-z])", re.IGNORECASE)
TRUE_WORDS = frozenset({"yes", "y", "true", "t", "1"})
FALSE_WORDS = frozenset({"no", "n", "false", "f", "0"})
_TOKEN = re.compile(r"[a-z][a-z0-9+#.]{2,}")


@dataclass
class ColumnPlan:
    """How one input column becomes features, or why it does not."""

    name: str
    kind: Kind
    reason: str = ""
    levels: list[str] = field(default_factory=list)  # categorical: kept levels
    tokens: list[str] = field(default_factory=list)  # text: kept tokens

    @property
    def features(self) -> list[str]:
        """The feature names this column yields."""
        if self.kind in ("numeric", "boolean", "categorical"):
            return [self.name]
        if self.kind == "datetime":
            return [
                f"{self.name}__month",
                f"{self.name}__weekday",
                f"{self.name}__hour",
                f"{self.name}__days",
            ]
        if self.kind == "text":
            return [f"{self.name}__has_{token}" for token in self.tokens]
        return []


@dataclass
class FeaturePlan:
    """The typed columns of a table, learnt once and applied to any frame with its columns."""

    columns: list[ColumnPlan]

    @property
    def used(self) -> list[ColumnPlan]:
        """Columns that yield features."""
        return [c for c in self.columns if c.kind in USED_KINDS]

    @property
    def feature_names(self) -> list[str]:
        """Every feature, in matrix order."""
        return [name for column in self.used for name in column.features]

    @property
    def categorical_features(self) -> list[str]:
        """Features holding category codes (0 missing, 1 rare, 2+ kept levels)."""
        return [c.name for c in self.used if c.kind == "categorical"]

    def to_dict(self) -> dict[str, Any]:
        """The plan as JSON-ready data, stored beside a model."""
        return {"columns": [asdict(column) for column in self.columns]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeaturePlan:
        """The plan that `to_dict` wrote."""
        return cls([ColumnPlan(**column) for column in data["columns"]])

    def without(self, names: set[str], reason: str) -> FeaturePlan:
        """The same plan with the named columns left out, saying why."""
        return FeaturePlan(
            [ColumnPlan(c.name, "excluded", reason) if c.name in names else c for c in self.columns]
        )

    def feature_columns(self) -> dict[str, str]:
        """Each feature's input column (a date column yields three features, text several)."""
        return {feature: column.name for column in self.used for feature in column.features}

    def time_values(self, frame: pl.DataFrame, name: str) -> npt.NDArray[np.float64]:
        """A date column as seconds since 1970 (NaN where empty or unreadable)."""
        when = frame.select(
            _tidy(pl.col(name)).map_batches(parse_datetimes, return_dtype=pl.Datetime("us", "UTC"))
        ).to_series()
        seconds = when.dt.epoch("s").cast(pl.Float64).fill_null(float("nan"))
        return seconds.to_numpy().astype(np.float64, copy=False)

    def transform(self, frame: pl.DataFrame) -> pl.DataFrame:
        """The features of `frame`, all Float64 (categories as codes); missing columns are null."""
        exprs: list[pl.Expr] = []
        for plan in self.used:
            typed = _typed(plan, frame.schema.get(plan.name))
            if typed is not None:
                exprs.extend(typed)
                continue
            raw = (
                _tidy(pl.col(plan.name))
                if plan.name in frame.columns
                # A full column, not a scalar: date parsing would not broadcast one.
                else pl.repeat(None, frame.height, dtype=pl.String)
            )
            exprs.extend(_features(plan, raw, frame.schema.get(plan.name)))
        return frame.select(exprs) if exprs else pl.DataFrame()


def _typed(plan: ColumnPlan, dtype: pl.DataType | None) -> list[pl.Expr] | None:
    """Features read straight from a column that is already numbers, flags or times (the
    workspace's own columns): the same values as through text, without the round trip."""
    if dtype is None:
        return None
    column = pl.col(plan.name)
    if plan.kind == "numeric" and dtype.is_numeric():
        number = column.cast(pl.Float64)
        return [pl.when(number.is_finite()).then(number).alias(plan.name)]
    if plan.kind == "boolean" and dtype == pl.Boolean:
        return [column.cast(pl.Float64).alias(plan.name)]
    if plan.kind == "datetime" and isinstance(dtype, pl.Datetime):
        when = column.dt.convert_time_zone("UTC") if dtype.time_zone else column
        return _date_parts(plan.name, when)
    return None


def _date_parts(name: str, when: pl.Expr) -> list[pl.Expr]:
    """A date's features: month, weekday, hour, and days since 1970, which lets a model follow
    a trend over time (conversion rates drift) where month and weekday alone cannot."""
    return [
        when.dt.month().cast(pl.Float64).alias(f"{name}__month"),
        when.dt.weekday().cast(pl.Float64).alias(f"{name}__weekday"),
        when.dt.hour().cast(pl.Float64).alias(f"{name}__hour"),
        (when.dt.epoch("s").cast(pl.Float64) / 86_400).round(3).alias(f"{name}__days"),
    ]


def _tidy(column: pl.Expr) -> pl.Expr:
    """Text with placeholders ("Select", "N/A", "-") as null."""
    return blank_to_null(column.cast(pl.String))


def _features(plan: ColumnPlan, raw: pl.Expr, dtype: pl.DataType | None) -> list[pl.Expr]:
    name = plan.name
    if plan.kind == "numeric":
        number = raw.str.replace_all(",", "").cast(pl.Float64, strict=False)
        return [pl.when(number.is_finite()).then(number).alias(name)]
    if plan.kind == "boolean":
        lower = raw.str.to_lowercase()
        return [
            pl.when(lower.is_in(list(TRUE_WORDS)))
            .then(1.0)
            .when(lower.is_in(list(FALSE_WORDS)))
            .then(0.0)
            .alias(name)
        ]
    if plan.kind == "categorical":
        codes = {level: float(i + 2) for i, level in enumerate(plan.levels)}
        return [
            pl.when(raw.is_null())
            .then(0.0)
            .otherwise(raw.replace_strict(codes, default=1.0, return_dtype=pl.Float64))
            .alias(name)
        ]
    if plan.kind == "datetime":
        when = raw.map_batches(parse_datetimes, return_dtype=pl.Datetime("us", "UTC"))
        return [
            *_date_parts(name, when),
        ]
    lower = raw.str.to_lowercase()
    return [
        lower.str.contains(rf"\b{re.escape(token)}\b")
        .cast(pl.Float64)
        .alias(f"{name}__has_{token}")
        for token in plan.tokens
    ]


def infer_plan(frame: pl.DataFrame, *, target: str | None = None) -> FeaturePlan:
    """Type every column of `frame` except the target."""
    return FeaturePlan([_plan_column(frame[name]) for name in frame.columns if name != target])


def _plan_column(series: pl.Series) -> ColumnPlan:
    name = series.name
    text = series.to_frame().select(_tidy(pl.col(name))).to_series()
    present = text.drop_nulls()
    rows = series.len()
    if present.n_unique() <= 1:
        return ColumnPlan(name, "constant", "one value or none: says nothing")
    unique_share = present.n_unique() / max(present.len(), 1)
    numbers = present.str.replace_all(",", "").cast(pl.Float64, strict=False)
    numeric_share = _mean(numbers.is_not_null())
    lower = set(present.str.to_lowercase().unique().to_list())
    if lower <= TRUE_WORDS | FALSE_WORDS and series.dtype != pl.Float64:
        return ColumnPlan(name, "boolean")
    if _ID_NAME.search(name) and unique_share >= 0.95:
        return ColumnPlan(name, "id", "a different value on almost every row: an identifier")
    if numeric_share >= 0.95:
        return ColumnPlan(name, "numeric")
    # Unique single-word values ("7927b2df-8bba", "LEAD-00042") are codes; unique sentences
    # are free text.
    # Dates first: ISO timestamps ("2024-01-01T10:00:00Z") are unique words too.
    if series.dtype in (pl.Date, pl.Datetime) or _looks_like_dates(present):
        return ColumnPlan(name, "datetime")
    spaced = _mean(present.str.contains(r"\s"))
    if unique_share >= 0.95 and spaced < 0.1:
        return ColumnPlan(name, "id", "a different code on almost every row: an identifier")
    mean_length = _mean(present.str.len_chars())
    if present.n_unique() > MAX_LEVELS * 4 and mean_length >= 20:
        tokens = _useful_tokens(present, rows)
        if not tokens:
            return ColumnPlan(name, "constant", "free text with no recurring words")
        return ColumnPlan(name, "text", tokens=tokens)
    counts = present.value_counts(sort=True)
    floor = max(2, int(MIN_LEVEL_SHARE * rows))
    kept = counts.filter(pl.col("count") >= floor).head(MAX_LEVELS)[name].to_list()
    if not kept:
        return ColumnPlan(name, "constant", "every value is rare")
    return ColumnPlan(name, "categorical", levels=[str(level) for level in kept])


def _mean(series: pl.Series) -> float:
    value = series.cast(pl.Float64).mean()
    return float(value) if isinstance(value, int | float) else 0.0


def _looks_like_dates(present: pl.Series) -> bool:
    sample = present.head(200)
    if not sample.str.contains(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}").all():
        return False
    return _mean(parse_datetimes(sample).is_not_null()) >= 0.9


def _useful_tokens(present: pl.Series, rows: int) -> list[str]:
    """Words in at least 2% and at most 50% of rows, the most frequent first."""
    words = (
        present.str.to_lowercase()
        .str.extract_all(_TOKEN.pattern)
        .list.unique()
        .explode()
        .drop_nulls()
        .value_counts(sort=True)
    )
    name = words.columns[0]
    fitting = words.filter(pl.col("count").is_between(0.02 * rows, 0.5 * rows))
    return fitting.head(TEXT_TOKENS)[name].to_list()
