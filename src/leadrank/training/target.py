"""The learning target of a table: which rows are positive, negative, or not labelled at all."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from leadrank.errors import BadInput
from leadrank.normalize.values import blank_to_null

_POSITIVE_WORDS = frozenset(
    {"1", "1.0", "yes", "y", "true", "t", "won", "closed won", "converted", "positive", "success"}
)
_NEGATIVE_WORDS = frozenset(
    {"0", "0.0", "no", "n", "false", "f", "lost", "closed lost", "not converted", "negative"}
)


@dataclass(frozen=True)
class Target:
    """Labels of the labelled rows, and which rows those are."""

    column: str
    positive_values: list[str]
    negative_values: list[str]
    labelled: npt.NDArray[np.bool_]  # per input row
    y: npt.NDArray[np.int8]  # per labelled row: 1 positive, 0 negative

    @property
    def unlabelled(self) -> int:
        """Rows left out because their target is empty or neither positive nor negative."""
        return int((~self.labelled).sum())

    def described(self) -> str:
        """ "Converted = 1 (vs 0)"."""
        return (
            f"{self.column} = {' or '.join(self.positive_values)} "
            f"(vs {' or '.join(self.negative_values) or 'anything else'})"
        )


def binary_target(
    frame: pl.DataFrame,
    column: str,
    *,
    positive: list[str] | None = None,
    negative: list[str] | None = None,
) -> Target:
    """Read `column` as a yes/no outcome. Without `positive`, a two-valued column whose values
    read as yes/no (1/0, true/false, won/lost) is understood; anything else needs `positive`."""
    if column not in frame.columns:
        close = ", ".join(frame.columns[:12])
        raise BadInput(f"target column '{column}' is not in the table (columns: {close})")
    values = frame.select(blank_to_null(pl.col(column).cast(pl.String)).str.strip_chars())
    text = values.to_series()
    present = sorted(text.drop_nulls().unique().to_list())
    if not present:
        raise BadInput(f"target column '{column}' is empty")
    positives, negatives = _sides(column, present, positive, negative)
    folded = text.str.to_lowercase()
    is_positive = folded.is_in([p.lower() for p in positives]).fill_null(False).to_numpy()
    if negatives:
        is_negative = folded.is_in([n.lower() for n in negatives]).fill_null(False).to_numpy()
    else:
        is_negative = text.is_not_null().to_numpy() & ~is_positive
    labelled = is_positive | is_negative
    y = is_positive[labelled].astype(np.int8)
    if y.sum() == 0 or y.sum() == len(y):
        raise BadInput(
            f"target '{column}' has only one class among labelled rows "
            f"({len(y):,} rows): a model needs both positives and negatives"
        )
    return Target(column, positives, negatives, labelled, y)


def _sides(
    column: str, present: list[str], positive: list[str] | None, negative: list[str] | None
) -> tuple[list[str], list[str]]:
    folded = {value.lower(): value for value in present}
    if positive:
        missing = [p for p in positive if p.lower() not in folded]
        if missing:
            raise BadInput(
                f"--positive {', '.join(missing)} never occurs in '{column}' "
                f"(values: {_listed(present)})"
            )
        return [folded[p.lower()] for p in positive], [folded[n.lower()] for n in negative or []]
    if len(present) == 2:
        yes = [v for v in present if v.lower() in _POSITIVE_WORDS]
        no = [v for v in present if v.lower() in _NEGATIVE_WORDS]
        if len(yes) == 1 and len(no) == 1:
            return yes, no
    raise BadInput(
        f"cannot tell which values of '{column}' are the positive outcome "
        f"(values: {_listed(present)}); say it with --positive VALUE "
        "(and --negative VALUE to leave the other values out)"
    )


def _listed(values: list[str]) -> str:
    shown = ", ".join(values[:10])
    return shown + (f", ... ({len(values)} in all)" if len(values) > 10 else "")
