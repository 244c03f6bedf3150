"""The ICP editor's two forms of one profile: rows of inputs (one per rule, filter, group and
event type) and a YAML document. Either becomes the document `icp_store.save_profile` takes,
and each can be shown as the other, so switching between them keeps the edits.

A row's value is written as a person types it: `true`, `42`, `c_level, vp` (a list, for the
operators that take one). Text that looks like a number or a truth value is one; quote it
("42") to keep it text. Rows without a field (or group name, or event type) are left out.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import yaml
from pydantic import BaseModel, Field

from leadrank.errors import BadInput
from leadrank.features.frames import COMPANY_FIELDS, LEAD_FIELDS
from leadrank.scoring.icp import Operator, Profile, parse_profile

OPERATORS: tuple[str, ...] = get_args(Operator)
LISTED = ("in", "not_in", "between")  # operators whose value is a list
# Fields a rule can test: the lead frame's columns (`features.frames`), ids left out.
FIELDS = tuple(
    sorted({*LEAD_FIELDS, *COMPANY_FIELDS} - {"id", "company_id", "attributes"} | {"created_at"})
)
MAX_ROWS = 500
MAX_YAML = 100_000
# Digits 0-9 only (\d takes other scripts' digits too); a whole number of more digits than a
# 64-bit integer holds is read as a decimal (int() refuses past 4,300 digits).
_INTEGER = re.compile(r"[+-]?[0-9]{1,18}")
_DECIMAL = re.compile(r"[+-]?([0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)([eE][+-]?[0-9]+)?")
Rows: Any = Field(default_factory=list, max_length=MAX_ROWS)


class ProfileForm(BaseModel):
    """What the editor sends: its rows, or its YAML (`source` says which to read)."""

    source: Literal["form", "yaml"] = "form"
    yaml_text: str = Field(default="", max_length=MAX_YAML)
    name: str = Field(default="", max_length=100)
    description: str = Field(default="", max_length=2_000)
    group_name: list[str] = Rows
    group_cap: list[str] = Rows
    rule_field: list[str] = Rows
    rule_op: list[str] = Rows
    rule_value: list[str] = Rows
    rule_points: list[str] = Rows
    rule_group: list[str] = Rows
    rule_reason: list[str] = Rows
    filter_field: list[str] = Rows
    filter_op: list[str] = Rows
    filter_value: list[str] = Rows
    filter_reason: list[str] = Rows
    event_type: list[str] = Rows
    event_points: list[str] = Rows
    event_cap: list[str] = Rows
    half_life_days: str = Field(default="", max_length=40)
    window_days: str = Field(default="", max_length=40)
    full_score_points: str = Field(default="", max_length=40)
    activate: bool = False


@dataclass
class RuleRow:
    """A rule (or, without points and group, a hard filter) as the form shows it."""

    field: str = ""
    op: str = "eq"
    value: str = ""
    points: str = ""
    group: str = ""
    reason: str = ""


@dataclass
class Draft:
    """A profile as the form's rows show it: every value as text."""

    name: str = ""
    description: str = ""
    groups: list[tuple[str, str]] = field(default_factory=list)  # (name, cap)
    rules: list[RuleRow] = field(default_factory=list)
    filters: list[RuleRow] = field(default_factory=list)
    events: list[tuple[str, str, str]] = field(default_factory=list)  # (type, points, cap)
    half_life_days: str = ""
    window_days: str = ""
    full_score_points: str = ""

    @property
    def group_names(self) -> list[str]:
        """The groups a rule may name."""
        return [name for name, _ in self.groups if name]


def draft_of(profile: Profile) -> Draft:
    """The form's rows of a profile."""
    engagement = profile.engagement
    return Draft(
        name=profile.name,
        description=profile.description or "",
        groups=[(name, number_text(group.cap)) for name, group in profile.groups.items()],
        rules=[
            RuleRow(
                r.field, r.op, value_text(r.value), number_text(r.points), r.group or "", _reason(r)
            )
            for r in profile.rules
        ],
        filters=[
            RuleRow(f.field, f.op, value_text(f.value), reason=_reason(f)) for f in profile.filters
        ],
        events=[
            (kind, number_text(points), number_text(engagement.type_caps.get(kind)))
            for kind, points in sorted(engagement.points.items(), key=lambda item: -item[1])
        ],
        half_life_days=number_text(engagement.half_life_days),
        window_days=number_text(engagement.window_days),
        full_score_points=number_text(engagement.full_score_points),
    )


def _reason(condition: Any) -> str:
    return str(condition.reason or "")


def draft_of_form(form: ProfileForm) -> Draft:
    """The rows the form sent, as they were typed (to show them again)."""
    rules = _columns(
        "rule",
        form.rule_field,
        form.rule_op,
        form.rule_value,
        form.rule_points,
        form.rule_group,
        form.rule_reason,
    )
    filters = _columns(
        "filter", form.filter_field, form.filter_op, form.filter_value, form.filter_reason
    )
    return Draft(
        name=form.name.strip(),
        description=form.description.strip(),
        groups=[(n, c) for n, c in _columns("group", form.group_name, form.group_cap)],
        rules=[RuleRow(*row) for row in rules],
        filters=[RuleRow(f, o, v, reason=r) for f, o, v, r in filters],
        events=[
            (t, p, c)
            for t, p, c in _columns("event", form.event_type, form.event_points, form.event_cap)
        ],
        half_life_days=form.half_life_days.strip(),
        window_days=form.window_days.strip(),
        full_score_points=form.full_score_points.strip(),
    )


def _columns(kind: str, *columns: list[str]) -> list[tuple[str, ...]]:
    """The form's parallel lists as rows (each input of a row is sent, filled or not)."""
    if len({len(column) for column in columns}) > 1:
        raise BadInput(f"the {kind} rows of the form do not line up: reload the page")
    return [tuple(cell.strip() for cell in row) for row in zip(*columns, strict=True)]


def document_of_draft(draft: Draft) -> dict[str, Any]:
    """The profile document the rows make (not yet validated: `profile_of_form` does that)."""
    events = [e for e in draft.events if e[0]]
    engagement: dict[str, Any] = {
        "points": {kind: _number(points, f"event {kind}: points") for kind, points, _ in events},
        "type_caps": {kind: _number(cap, f"event {kind}: cap") for kind, _, cap in events if cap},
        "half_life_days": _optional_number(draft.half_life_days, "half-life days"),
        "window_days": _optional_number(draft.window_days, "window days"),
    }
    if draft.full_score_points:
        engagement["full_score_points"] = _number(draft.full_score_points, "full score points")
    document: dict[str, Any] = {
        "name": draft.name,
        "groups": {
            name: {"cap": _number(cap, f"group {name}: cap")} for name, cap in draft.groups if name
        },
        "rules": [
            {
                "field": rule.field,
                "op": rule.op,
                "value": parse_value(rule.value, rule.op),
                "points": _number(rule.points, f"rule {index} ({rule.field}): points"),
                **({"group": rule.group} if rule.group else {}),
                **({"reason": rule.reason} if rule.reason else {}),
            }
            for index, rule in enumerate((r for r in draft.rules if r.field), start=1)
        ],
        "filters": [
            {
                "field": condition.field,
                "op": condition.op,
                "value": parse_value(condition.value, condition.op),
                **({"reason": condition.reason} if condition.reason else {}),
            }
            for condition in draft.filters
            if condition.field
        ],
        "engagement": engagement,
    }
    if draft.description:
        document["description"] = draft.description
    return document


def document_of_yaml(text: str) -> dict[str, Any]:
    """The document a YAML text holds, or BadInput with the parser's own words."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = str(exc).replace(' in "<unicode string>"', "")  # the text has no file name
        raise BadInput(f"not valid YAML: {where}") from exc
    except ValueError as exc:  # a whole number of more than 4,300 digits, which int() refuses
        raise BadInput(f"not valid YAML: {exc}") from exc
    except RecursionError as exc:
        raise BadInput("not valid YAML: it is nested too deeply") from exc
    if not isinstance(data, dict):
        raise BadInput("the YAML must be a mapping with name, groups, rules and filters")
    return data


def profile_of_form(form: ProfileForm) -> Profile:
    """The profile the editor holds (its rows or its YAML), validated, or BadInput saying
    what is wrong and where."""
    if form.source == "yaml":
        return parse_profile(document_of_yaml(form.yaml_text), source="YAML")
    return parse_profile(document_of_draft(draft_of_form(form)), source="form")


def yaml_of(profile: Profile) -> str:
    """A profile as YAML: rules one to a line, as the built-in profile is written."""
    return yaml_of_document(profile.model_dump(mode="json", exclude_none=True))


def yaml_of_document(document: dict[str, Any]) -> str:
    """A profile document (valid or not) as YAML, whole numbers without their ".0"."""
    text: str = yaml.safe_dump(
        _tidy(document), sort_keys=False, default_flow_style=None, allow_unicode=True, width=100
    )
    return text


def _tidy(value: Any) -> Any:
    """Whole numbers without their ".0" (points: 25, not 25.0)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _tidy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_tidy(item) for item in value]
    return value


def value_text(value: Any) -> str:
    """A condition's value as the form shows it."""
    if isinstance(value, list):
        return ", ".join(value_text(item) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return number_text(value)
    return "" if value is None else str(value)


def number_text(value: float | None) -> str:
    """25.0 as "25", 0.5 as "0.5", nothing as ""."""
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def parse_value(text: str, op: str) -> Any:
    """A typed value: a list for the operators that take one (split at commas), true for
    `exists` left blank, else one scalar."""
    if op in LISTED:
        return [scalar(part) for part in text.split(",") if part.strip()]
    if op == "exists" and not text.strip():
        return True
    return scalar(text) if text.strip() else None


def scalar(text: str) -> Any:
    """ "true" as True, "42" as 42, "0.5" as 0.5, '"42"' as the text 42, anything else as
    itself."""
    text = text.strip()
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    if _INTEGER.fullmatch(text):
        return int(text)
    if _DECIMAL.fullmatch(text):
        number = float(text)
        if not math.isfinite(number):
            raise BadInput(f"{text[:20]!r}… is too large a number")
        return number
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def _number(text: str, where: str) -> float:
    if not text:
        raise BadInput(f"{where}: give a number")
    try:
        return float(text)
    except ValueError:
        raise BadInput(f"{where}: {text!r} is not a number") from None


def _optional_number(text: str, where: str) -> float | None:
    return _number(text, where) if text else None
