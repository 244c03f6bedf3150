"""Ideal customer profiles: weighted rules and hard filters over lead fields, a fit score
0-100, and the reasons behind it in plain words.

A profile is YAML (or the same shape in JSON). Rules add or take points when they hold; rules
may belong to a group whose total is capped, so that many small signals of one kind cannot
outweigh everything else. A lead that fails a hard filter is disqualified: its fit is 0 and the
failed filters are its reasons. The fit is the capped total over the most a lead could score,
clipped to 0-100. Evaluation is columnar: one Polars expression per rule over the whole frame.
"""

from __future__ import annotations

import math
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import polars as pl
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from leadrank.errors import BadInput
from leadrank.scoring.engagement import EngagementConfig

Operator = Literal[
    "eq", "neq", "gt", "gte", "lt", "lte", "in", "not_in", "contains", "exists", "between"
]
OPERATOR_WORDS = {  # how rules read in reasons and in the profile editor
    "eq": "is",
    "neq": "is not",
    "gt": "is above",
    "gte": "is at least",
    "lt": "is below",
    "lte": "is at most",
    "in": "is one of",
    "not_in": "is none of",
    "contains": "contains",
    "exists": "is known",
    "between": "is between",
}


class Condition(BaseModel):
    """A test of one field."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    field: str
    op: Operator
    value: Any = None
    reason: str | None = None

    @model_validator(mode="after")
    def _value_fits_operator(self) -> Condition:
        if self.op == "between" and not (isinstance(self.value, list) and len(self.value) == 2):
            raise ValueError("between takes a list of two bounds: [low, high]")
        if self.op in ("in", "not_in") and not isinstance(self.value, list):
            raise ValueError(f"{self.op} takes a list of values")
        if self.op in ("gt", "gte", "lt", "lte") and not (
            isinstance(self.value, int | float) and math.isfinite(self.value)
        ):
            raise ValueError(f"{self.op} takes a number")
        if self.op == "between" and not all(
            isinstance(bound, int | float) and math.isfinite(bound) for bound in self.value
        ):
            raise ValueError("between takes two numbers: [low, high]")
        if self.op == "exists" and not isinstance(self.value, bool | None):
            raise ValueError("exists takes true or false")
        return self

    def described(self) -> str:
        """ "seniority is one of c_level, vp"."""
        if self.reason:
            return self.reason
        if self.op == "exists":
            return f"{self.field} {'is known' if self.value in (True, None) else 'is missing'}"
        shown = ", ".join(map(str, self.value)) if isinstance(self.value, list) else str(self.value)
        if self.op == "between":
            shown = f"{self.value[0]} and {self.value[1]}"
        return f"{self.field} {OPERATOR_WORDS[self.op]} {shown}"


class Rule(Condition):
    """A condition worth points (negative points count against the lead)."""

    points: float
    group: str | None = None


class Group(BaseModel):
    """A cap on the points a group of rules can add (and take away)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    cap: float = Field(gt=0)


class Profile(BaseModel):
    """An ideal customer profile."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: str
    description: str | None = None
    groups: dict[str, Group] = Field(default_factory=dict)
    rules: list[Rule] = Field(default_factory=list)
    filters: list[Condition] = Field(default_factory=list)
    # How events make the engagement score; what the section leaves out keeps its default.
    engagement: EngagementConfig = Field(default_factory=EngagementConfig)

    @field_validator("engagement", mode="before")
    @classmethod
    def _engagement_over_defaults(cls, section: Any) -> Any:
        return EngagementConfig.over_defaults(section)

    @model_validator(mode="after")
    def _groups_are_declared(self) -> Profile:
        unknown = {r.group for r in self.rules if r.group and r.group not in self.groups}
        if unknown:
            raise ValueError(f"rules name undeclared groups: {', '.join(sorted(unknown))}")
        if not self.rules and not self.filters:
            raise ValueError("a profile needs at least one rule or filter")
        return self

    @property
    def fields(self) -> list[str]:
        """Every field the profile reads."""
        return sorted({c.field for c in [*self.rules, *self.filters]})

    def most_points(self) -> float:
        """The highest total a lead can reach: positive points, capped per group."""
        total = 0.0
        by_group: dict[str | None, float] = {}
        for rule in self.rules:
            if rule.points > 0:
                by_group[rule.group] = by_group.get(rule.group, 0.0) + rule.points
        for group, points in by_group.items():
            total += min(points, self.groups[group].cap) if group else points
        return total


def load_profile(path: Path | None = None) -> Profile:
    """A profile from a YAML or JSON file, or the default profile that ships with leadrank."""
    if path is None:
        return _default_profile()
    if not path.exists():
        raise BadInput(f"no such profile file: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise BadInput(f"{path.name}: not valid YAML: {exc}") from exc
    return parse_profile(data, source=path.name)


@cache
def _default_profile() -> Profile:
    text = resources.files("leadrank.scoring").joinpath("data", "default_icp.yaml").read_text()
    return parse_profile(yaml.safe_load(text), source="default profile")


def parse_profile(data: Any, *, source: str) -> Profile:
    """A validated profile, or one clear error naming the first problem and where it is."""
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "profile"
        raise BadInput(f"{source}: {where}: {first['msg']}") from exc


def _holds(condition: Condition, schema: pl.Schema) -> pl.Expr:
    """True where the condition holds; a missing value never satisfies a test of a value."""
    column = pl.col(condition.field)
    value, op = condition.value, condition.op
    if op == "exists":
        return column.is_not_null() if value in (True, None) else column.is_null()
    if op in ("gt", "gte", "lt", "lte", "between"):
        number = column.cast(pl.Float64, strict=False)
        if op == "between":
            return number.is_between(float(value[0]), float(value[1]))
        bound = float(value)
        if op == "gt":
            return number > bound
        if op == "gte":
            return number >= bound
        return number < bound if op == "lt" else number <= bound
    if op == "contains":
        needles = value if isinstance(value, list) else [value]
        text = column.cast(pl.String).str.to_lowercase()
        return pl.any_horizontal(
            text.str.contains(str(needle).lower(), literal=True) for needle in needles
        )
    dtype = schema.get(condition.field)
    if op in ("in", "not_in"):
        listed = pl.lit(pl.Series(value)).cast(dtype) if dtype is not None else pl.lit(value)
        matched = column.is_in(listed.implode())
        return matched if op == "in" else ~matched
    literal = pl.lit(value).cast(dtype) if dtype is not None else pl.lit(value)
    return column == literal if op == "eq" else column != literal


def _passes(condition: Condition, schema: pl.Schema) -> pl.Expr:
    """A filter passes where it holds; for neq and not_in an unknown value passes too (a lead
    with no email is not a disposable address)."""
    held = _holds(condition, schema).fill_null(False)
    if condition.op in ("neq", "not_in"):
        return held | pl.col(condition.field).is_null()
    return held


def score_fit(frame: pl.DataFrame, profile: Profile, *, reasons: bool = True) -> pl.DataFrame:
    """Per row: fit_score (0-100), disqualified, and fit_reasons (strongest first; an empty
    list for every row when `reasons` is off, which saves building them for a million rows)."""
    missing = [f for f in profile.fields if f not in frame.columns]
    if missing:
        raise BadInput(
            f"profile {profile.name!r} reads field(s) the data lacks: {', '.join(missing)}"
        )
    schema = frame.schema
    fired = [
        pl.when(_holds(rule, schema).fill_null(False)).then(pl.lit(rule.points)).otherwise(0.0)
        for rule in profile.rules
    ]
    totals: list[pl.Expr] = []
    by_group: dict[str | None, list[int]] = {}
    for index, rule in enumerate(profile.rules):
        by_group.setdefault(rule.group, []).append(index)
    for group, members in by_group.items():
        summed = pl.sum_horizontal(fired[i] for i in members)
        if group is not None:
            cap = profile.groups[group].cap
            summed = summed.clip(-cap, cap)
        totals.append(summed)
    most = profile.most_points()
    raw = pl.sum_horizontal(totals) if totals else pl.lit(0.0)
    fit = (raw / most * 100).clip(0, 100) if most > 0 else pl.lit(100.0)
    passes = [_passes(f, schema) for f in profile.filters]
    disqualified = ~pl.all_horizontal(passes) if passes else pl.lit(False)

    fired_reasons = [
        pl.when(_holds(rule, schema).fill_null(False)).then(
            pl.lit(f"{rule.described()} ({rule.points:+g})")
        )
        for rule in sorted(profile.rules, key=lambda r: -abs(r.points))
    ]
    failed = [
        pl.when(~_passes(f, schema)).then(pl.lit(f"disqualified: {f.described()}"))
        for f in profile.filters
    ]
    listed = (
        pl.concat_list([*failed, *fired_reasons])
        if reasons and (failed or fired_reasons)
        else pl.repeat([], frame.height, dtype=pl.List(pl.String))
    )
    return frame.select(
        pl.when(disqualified).then(0.0).otherwise(fit.round(1)).alias("fit_score"),
        disqualified.alias("disqualified"),
        listed.list.drop_nulls().alias("fit_reasons"),
    )
