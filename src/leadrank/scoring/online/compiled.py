"""The scoring API's compiled path: a model's feature plan turned into plain Python
converters over the request's values, so a request of one lead costs microseconds where a
pass through Polars costs milliseconds.

It is a second way to the same numbers, so it must never disagree with the first: a test
feeds both paths the same generated leads and asks for identical features, probabilities,
confidence and reasons. Plans it cannot reproduce exactly (dates, numbers typed as
categories) raise NotCompilable, and the API scores through Polars instead.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from itertools import repeat
from operator import is_not
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from leadrank.features.auto import FALSE_WORDS, TRUE_WORDS, ColumnPlan
from leadrank.normalize.values import PLACEHOLDERS
from leadrank.scoring.online.lead_table import COLUMN_TYPES
from leadrank.scoring.online.served_model import ApiModel
from leadrank.scoring.reasons import (
    ALWAYS,
    MIN_POINTS,
    TOP,
    VALUE_CHARS,
    column_label,
    shown_points,
    signed_points,
    top_pushes,
)
from leadrank.scoring.unknown import always_known, not_known, without_unknown_credit
from leadrank.training.bundle import Matrix
from leadrank.training.fit import column_contributions

Converter = Callable[[Any], float]
ColumnConverter = Callable[[list[Any]], list[float]]  # a column's values to one feature
Push = list[tuple[int, int, float]]  # row, column, rounded points
Presence = npt.NDArray[np.bool_]  # per row, whether a column has a value
FEW_ROWS = 8  # up to this many leads, a linear model is scored in plain Python
# Remembered conversions and reason texts per scorer; a cache this full starts again, so
# requests full of one-off values cannot grow it without bound.
CACHE_SIZE = 50_000
_BY_VALUE, _BY_TENTHS = "value", "tenths"  # how a column's reason texts are remembered
_NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")
_NAN = float("nan")


class NotCompilable(Exception):
    """The plan has a column this path cannot turn into the same features."""


@dataclass
class Scored:
    """Per lead: probability, confidence, filled inputs, and reasons for and against."""

    probability: Matrix
    confidence: list[float]
    features_used: list[int]
    positive: list[list[str]]
    negative: list[list[str]]
    not_known: list[list[str]]


class CompiledScorer:
    """A model's features, probabilities and reasons from the request's values."""

    def __init__(self, model: ApiModel) -> None:
        self.model = model
        self.bundle = model.bundle
        self.used = self.bundle.plan.used
        self.kinds = {c.name: _source(c.name) for c in self.used}
        self.converters: list[tuple[str, list[ColumnConverter]]] = [
            (plan.name, _converters(plan, self.kinds[plan.name])) for plan in self.used
        ]
        owner = self.bundle.plan.feature_columns()
        self.columns = list(dict.fromkeys(owner[f] for f in self.bundle.feature_names))
        self.labels = [column_label(c) for c in self.columns]
        weights = dict(self.bundle.metadata.get("importances") or [])
        self.weights = {c: float(w) for c, w in weights.items()}
        self.weighted = [(c, float(weights[c])) for c in self.columns if weights.get(c, 0) > 0]
        self.total_weight = sum(w for _, w in self.weighted)
        # Each feature's column, when some column yields several features (text, dates).
        position_of = {c: i for i, c in enumerate(self.columns)}
        owners = [position_of[owner[f]] for f in self.bundle.feature_names]
        self.feature_owner = None if owners == list(range(len(owners))) else owners
        # The stored model's own feature order (older models list theirs in metadata).
        names = [f for plan in self.used for f in plan.features]
        index = {f: i for i, f in enumerate(names)}
        wanted = self.bundle.feature_names
        self.order = None if names == wanted else [index[f] for f in wanted]
        self.text_weighted = [(c, w, self.kinds.get(c) == "text") for c, w in self.weighted]
        # Reason texts are remembered by what they show: a text or flag column's value (one
        # type per column, so True and 1 never meet), or a number's tenths, which repeat
        # where raw numbers rarely do (zero never: 0.0 and -0.0 read "0" and "-0").
        self.show = [_shower(c, self.kinds.get(c)) for c in self.columns]
        self.keyed = [
            _BY_VALUE
            if self.kinds.get(c) in ("text", "flag")
            else _BY_TENTHS
            if self.show[i] is _number_shown
            else None
            for i, c in enumerate(self.columns)
        ]
        self._texts: dict[tuple[int, Any, float, int], str] = {}

    def unknown(self, values: dict[str, list[Any]], rows: int) -> list[list[bool] | None]:
        """Per model column, which rows have no value for it (None: activity, always known);
        the same cells `unknown_cells` finds in the frame `api_frame` builds."""
        out: list[list[bool] | None] = []
        for name in self.columns:
            column = values.get(name)
            if always_known(name):
                out.append(None)
            elif not column:
                out.append([True] * rows)
            elif self.kinds.get(name) == "text":
                out.append([_tidy(value) is None for value in column])
            else:
                out.append([value is None for value in column])
        return out

    def feature_columns(self, values: dict[str, list[Any]], rows: int) -> list[list[float]]:
        """Each of the model's features over the rows, in its order."""
        out: list[list[float]] = []
        for name, converters in self.converters:
            column = values.get(name) or [None] * rows
            out.extend(convert(column) for convert in converters)
        return out if self.order is None else [out[i] for i in self.order]

    def matrix(self, values: dict[str, list[Any]], rows: int) -> Matrix:
        """The model's features, in its order, from each column's values."""
        columns = self.feature_columns(values, rows)
        out = np.empty((rows, len(columns)), dtype=np.float64)
        for position, column in enumerate(columns):
            out[:, position] = column
        return out

    def score(self, values: dict[str, list[Any]], rows: int) -> Scored:
        """Probability, confidence, filled inputs and reasons of each row."""
        missing = self.unknown(values, rows)  # once, for the score, its reasons and not_known
        unknown = _unknown_matrix(missing, rows)
        if self.bundle.linear is not None and rows <= FEW_ROWS:
            probability, pushes = self._pushes_in_python(values, rows, missing)
        else:
            probability, pushes = self._pushes_in_numpy(values, rows, unknown)
        sides = []
        absent: list[Any] = [None] * rows
        columns = [values.get(name, absent) for name in self.columns]
        # Which leads have each column, once for confidence and features used alike.
        present = {n: _present(c, rows) for n, c in values.items() if c} if rows > FEW_ROWS else {}
        known = self._texts
        if len(known) > CACHE_SIZE:
            known.clear()
        labels, keyed, show = self.labels, self.keyed, self.show
        for sign, found in zip((1, -1), pushes, strict=True):
            texts: list[list[str]] = [[] for _ in range(rows)]
            for row, col, points in found:
                value = columns[col][row]
                how = keyed[col]
                if how is _BY_VALUE:
                    key: tuple[int, Any, float, int] | None = (col, value, points, sign)
                elif how is _BY_TENTHS and value is not None and (tenths := round(value * 10)):
                    key = (col, tenths, points, sign)
                else:
                    key = None
                text = None if key is None else known.get(key)
                if text is None:
                    shown = signed_points(points, sign)
                    text = f"{labels[col]} is {show[col](value)} ({shown})"
                    if key is not None:
                        known[key] = text
                texts[row].append(text)
            sides.append(texts)
        return Scored(
            probability,
            self._confidence(values, rows, present),
            self._features_used(values, rows, present),
            sides[0],
            sides[1],
            not_known(unknown, self.columns, self.weights),
        )

    def _pushes_in_numpy(
        self, values: dict[str, list[Any]], rows: int, unknown: npt.NDArray[np.bool_]
    ) -> tuple[Matrix, list[Push]]:
        """Probabilities and each side's (row, column, points), through `top_pushes`."""
        features = self.matrix(values, rows)
        raw, per_feature = self.bundle.raw_and_contributions(features)
        _, contributions = column_contributions(self.bundle, features, per_feature)
        raw, contributions = without_unknown_credit(raw, contributions, unknown)
        calibration = self.bundle.calibration
        probability = calibration.apply(raw)
        pushes = []
        for sign in (1, -1):
            found = top_pushes(
                contributions, raw, probability, calibration, sign=sign, unknown=unknown
            )
            pushes.append(
                list(
                    zip(found.row.tolist(), found.col.tolist(), found.points.tolist(), strict=True)
                )
            )
        return probability, pushes

    def _pushes_in_python(
        self, values: dict[str, list[Any]], rows: int, missing: list[list[bool] | None]
    ) -> tuple[Matrix, list[Push]]:
        """The same as `_pushes_in_numpy` for a linear model and a few rows, in plain Python:
        numpy's cost per call is most of a one-lead request. The strongest pushes are chosen
        by value; exact ties, which numpy breaks in no fixed order, go to the first column."""
        linear = self.bundle.linear
        assert linear is not None
        columns = self.feature_columns(values, rows)
        matrix = (
            [list(row) for row in zip(*columns, strict=True)]
            if columns
            else [[] for _ in range(rows)]
        )
        slope, shift = self.bundle.calibration.slope, self.bundle.calibration.shift
        owners = self.feature_owner
        unknown = [(col, cells) for col, cells in enumerate(missing) if cells]
        probabilities: list[float] = []
        pushes: list[Push] = [[], []]
        for row, features in enumerate(matrix):
            raw, per_feature = linear.row_contributions(features)
            if owners is None:
                contributions = list(per_feature)
            else:
                contributions = [0.0] * len(self.columns)
                for position, owner in enumerate(owners):
                    contributions[owner] += per_feature[position]
            credit = 0.0  # what unknown cells would add: taken out, as without_unknown_credit
            for col, cells in unknown:
                if cells[row] and contributions[col] > 0:
                    credit += contributions[col]
                    contributions[col] = 0.0
            raw -= credit
            for col, cells in unknown:  # never a reason, as top_pushes leaves them out
                if cells[row]:
                    contributions[col] = 0.0
            probability = 1 / (1 + math.exp(-(slope * raw + shift)))
            probabilities.append(probability)
            top = min(TOP, len(contributions))
            by_size = sorted(range(len(contributions)), key=lambda c: -abs(contributions[c]))
            strongest = set(by_size[:ALWAYS])
            for side, sign in enumerate((1, -1)):
                order = sorted(range(len(contributions)), key=lambda c: -sign * contributions[c])
                for col in order[:top]:
                    left = 1 / (1 + math.exp(-(slope * (raw - contributions[col]) + shift)))
                    points = 100 * (probability - left)
                    always = col in strongest and sign * contributions[col] > 0
                    if sign * points >= MIN_POINTS or always:
                        pushes[side].append((row, col, float(shown_points(points))))
        return np.asarray(probabilities, dtype=np.float64), pushes

    def _confidence(
        self, values: dict[str, list[Any]], rows: int, present: dict[str, Presence]
    ) -> list[float]:
        if not self.weighted or self.total_weight <= 0:
            return [1.0] * rows
        if present:
            # The same additions in the same order, a column at a time: the same floats.
            shares = np.zeros(rows)
            for name, weight, text in self.text_weighted:
                column = values.get(name)
                if not column:
                    continue
                shares[_present(map(_tidy, column), rows) if text else present[name]] += weight
            return (shares / self.total_weight).tolist()  # type: ignore[no-any-return]
        share = [0.0] * rows
        for name, weight, text in self.text_weighted:
            column = values.get(name)
            if column is None:
                continue
            for row, value in enumerate(column):
                if value is not None and (not text or _tidy(value) is not None):
                    share[row] += weight
        return [s / self.total_weight for s in share]

    def _features_used(
        self, values: dict[str, list[Any]], rows: int, present: dict[str, Presence]
    ) -> list[int]:
        if present:
            total = np.zeros(rows, dtype=np.int64)
            for plan in self.used:
                if plan.name in present:
                    total += present[plan.name]
            counted: list[int] = total.tolist()
            return counted
        counts = [0] * rows
        for plan in self.used:
            for row, value in enumerate(values.get(plan.name) or ()):
                counts[row] += value is not None
        return counts


def _present(column: Any, rows: int) -> Presence:
    """Which values are not None, without a Python call per value."""
    return np.fromiter(map(is_not, column, repeat(None)), dtype=np.bool_, count=rows)


def _source(name: str) -> str:
    """How the API hands a column over: "text", "flag" or "number"."""
    kind = COLUMN_TYPES.get(name)
    if kind is None:
        return "number"
    return "text" if kind == pl.String else "flag"


@lru_cache(maxsize=8192)  # requests repeat the same few titles, sizes and industries
def _tidy(value: Any) -> str | None:
    """Text with outer space removed and placeholders ("N/A", "-") as None, like `_tidy`."""
    if value is None:
        return None
    text = str(value).strip()
    return None if text.lower() in PLACEHOLDERS else text


def _converters(plan: ColumnPlan, source: str) -> list[ColumnConverter]:
    """One converter per feature of the column, matching FeaturePlan.transform on the
    column types `api_frame` builds; each converts a whole column, so a value costs no call
    of its own."""
    kind = plan.kind
    if kind == "numeric" and source == "number":
        # v - v == 0 only for finite numbers: infinities and NaN become missing.
        return [lambda column: [v if v is not None and v - v == 0 else _NAN for v in column]]
    if kind == "numeric" and source == "text":
        return [_remembered(_text_number)]
    if kind == "numeric" and source == "flag":
        return [lambda column: [_NAN] * len(column)]  # "true" is no number
    if kind == "boolean" and source == "flag":
        return [lambda column: [_NAN if v is None else 1.0 if v else 0.0 for v in column]]
    if kind == "boolean" and source == "text":
        return [_remembered(_text_flag)]
    if kind == "boolean" and source == "number":
        return [lambda column: [_NAN] * len(column)]  # a float reads "1.0": neither yes nor no
    if kind == "categorical" and source in ("text", "flag"):
        codes = {level: float(i + 2) for i, level in enumerate(plan.levels)}

        def category(v: Any) -> float:
            text = _tidy(_flag_text(v) if isinstance(v, bool) else v)
            return 0.0 if text is None else codes.get(text, 1.0)

        return [_remembered(category)]
    if kind == "text" and source == "text":
        return [_remembered(_token(token)) for token in plan.tokens]
    raise NotCompilable(f"{plan.name}: {kind} from {source}")


def _remembered(convert: Converter) -> ColumnConverter:
    """`convert` over a column of text or flags, each distinct value converted once: requests
    repeat the same few sizes, industries and titles. A column holds one type (text, or
    flags), so no two values that compare equal convert differently."""
    known: dict[Any, float] = {}

    def column_of(column: list[Any]) -> list[float]:
        if len(known) > CACHE_SIZE:
            known.clear()
        for value in set(column).difference(known):
            known[value] = convert(value)
        return [known[v] for v in column]

    return column_of


def _text_number(value: Any) -> float:
    text = _tidy(value)
    if text is None:
        return _NAN
    text = text.replace(",", "")
    if not _NUMBER.match(text):
        return _NAN
    number = float(text)
    return number if math.isfinite(number) else _NAN


def _text_flag(value: Any) -> float:
    text = _tidy(value)
    if text is None:
        return _NAN
    lower = text.lower()
    return 1.0 if lower in TRUE_WORDS else 0.0 if lower in FALSE_WORDS else _NAN


def _token(token: str) -> Converter:
    pattern = re.compile(rf"\b{re.escape(token)}\b")

    def has(value: Any) -> float:
        text = _tidy(value)
        return _NAN if text is None else float(bool(pattern.search(text.lower())))

    return has


def _flag_text(value: bool) -> str:
    return "true" if value else "false"


def _shower(name: str, source: str | None) -> Callable[[Any], str]:
    """How a column's cited values read, as `shown_values` writes them."""
    if name.endswith("_days_since_last"):
        # round() of a float rounds half to even, as numpy and Polars do: x.5 -> even.
        return lambda v: "never" if v is None else f"{round(float(v))} days ago"
    if source == "flag":
        return lambda v: "missing" if v is None else _flag_text(bool(v))
    if source == "number":
        return _number_shown

    def text(value: Any) -> str:
        tidy = _tidy(value)
        return "missing" if tidy is None else tidy[:VALUE_CHARS]

    return text


def _number_shown(value: Any) -> str:
    if value is None:
        return "missing"
    number = float(value)
    # A whole-number round() loses the sign of zero that numpy keeps: -0.04 -> "-0".
    tenths = round(number * 10) / 10 or math.copysign(0.0, number)
    written = repr(tenths)
    return written[:-2] if written.endswith(".0") else written


def compile_scorer(model: ApiModel) -> CompiledScorer | None:
    """The compiled path of a model, or None when its plan needs the Polars path."""
    try:
        return CompiledScorer(model)
    except NotCompilable:
        return None


def _unknown_matrix(missing: list[list[bool] | None], rows: int) -> npt.NDArray[np.bool_]:
    """`CompiledScorer.unknown` as a rows x columns matrix (activity columns all known)."""
    out = np.zeros((rows, len(missing)), dtype=np.bool_)
    for col, cells in enumerate(missing):
        if cells is not None:
            out[:, col] = cells
    return out
