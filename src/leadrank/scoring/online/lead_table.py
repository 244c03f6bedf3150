"""The lead of the stateless scoring API, as the table a model reads.

A request's leads carry up to 16 core fields and a few custom numbers. They become one row
each of a table with these columns, which is also how a table that trains an API model is
laid out, so `train --data` on such a table and the API feed a model the same way. The one
field that is a time, the last campaign interaction, becomes days before the request, so a
model learns recency, not the calendar.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any

import polars as pl

# What a lead did, as the request reports it (the time of its last campaign touch aside).
ACTIVITY_FIELDS = (
    "email_engagement_score",
    "website_sessions",
    "pages_viewed",
    "time_on_site",
    "form_fills",
    "content_downloads",
    "campaign_touchpoints",
)
CORE_FIELDS = (
    "company_size",
    "industry",
    "job_title",
    "seniority_level",
    "geography",
    *ACTIVITY_FIELDS,
    "last_campaign_interaction",
    "account_revenue",
    "account_employees",
    "existing_customer",
)
TEXT_FIELDS = ("company_size", "industry", "job_title", "seniority_level", "geography")
NUMBER_FIELDS = tuple(
    name
    for name in CORE_FIELDS
    if name not in (*TEXT_FIELDS, "last_campaign_interaction", "existing_customer")
)
RECENCY_FIELD = "days_since_last_campaign_interaction"
# Every other column, custom features included, is Float64.
COLUMN_TYPES: dict[str, pl.DataType] = {
    **{name: pl.String() for name in TEXT_FIELDS},
    "existing_customer": pl.Boolean(),
}
_DAY_SECONDS = 86_400.0
_WHEN = "last_campaign_interaction"
# The order of `api_values`' columns: text, numbers, the flag, then the recency.
_FIELD_NAMES = (*TEXT_FIELDS, *NUMBER_FIELDS, "existing_customer", _WHEN)
_FIELDS = attrgetter(*_FIELD_NAMES)
_NUMBERS = frozenset(NUMBER_FIELDS)


def api_values(
    leads: Sequence[Any], *, now: datetime, custom_names: Sequence[str] = ()
) -> dict[str, list[Any]]:
    """Each column's values, one per lead (objects with the core fields as attributes and
    `custom_features`): text fields as text, counts and amounts as floats, existing_customer
    as a flag, the last campaign interaction as days before `now`, and each custom feature in
    `custom_names` as a column of its own (None where a lead lacks it)."""
    # Rows of fields read in one C call per lead, then turned into columns by zip.
    fields = list(zip(*map(_FIELDS, leads), strict=True)) or [()] * len(_FIELD_NAMES)
    columns: dict[str, list[Any]] = {}
    for name, column in zip(_FIELD_NAMES, fields, strict=True):
        if name in _NUMBERS:
            columns[name] = [None if v is None else float(v) for v in column]
        else:
            columns[name] = list(column)
    columns[RECENCY_FIELD] = _recencies(columns.pop(_WHEN), now)
    for name in custom_names:
        columns[name] = [_number((lead.custom_features or {}).get(name)) for lead in leads]
    return columns


def api_frame(
    leads: Sequence[Any], *, now: datetime, custom_names: Sequence[str] = ()
) -> pl.DataFrame:
    """`api_values` as a table: text, Float64 and Boolean columns."""
    return api_frame_of(api_values(leads, now=now, custom_names=custom_names))


def api_frame_of(values: dict[str, list[Any]]) -> pl.DataFrame:
    """Columns of `api_values` as a table."""
    return pl.DataFrame(
        [
            pl.Series(name, column, dtype=COLUMN_TYPES.get(name, pl.Float64))
            for name, column in values.items()
        ]
    )


def _number(value: float | int | None) -> float | None:
    return None if value is None else float(value)


def days_before(when: datetime | None, now: datetime) -> float | None:
    """Days from `when` to `now`: a time without a zone is UTC, and one in the future (clocks
    differ) is "just now", not a negative age."""
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (now - when).total_seconds() / _DAY_SECONDS)


def _recencies(column: Sequence[datetime | None], now: datetime) -> list[float | None]:
    """Each time as days before `now`, to the thousandth."""
    return [None if (days := days_before(when, now)) is None else round(days, 3) for when in column]
