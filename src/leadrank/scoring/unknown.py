"""Missing data earns no points: a lead must not rank higher for what is not known about it.

A model may have learnt that an empty field goes with a better outcome (a median filled in for
it, or a field that happened to be empty for some buyers). At scoring, a column whose value the
lead does not have keeps what it takes away, but what it would add is removed from the raw
score before calibration, so an empty lead ranks low and is never "missing (+5)". Activity
counts are always known (no event is an answer), so they are left as they are.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import polars as pl

from leadrank.normalize.values import blank_to_null
from leadrank.scoring.reasons import column_label
from leadrank.training.bundle import Matrix

# Columns built from the lead's events and age: never unknown.
_ALWAYS_KNOWN_PREFIXES = ("ev_",)
_ALWAYS_KNOWN = frozenset({"age_days"})


def always_known(column: str) -> bool:
    """Whether a column is about activity or age, which a lead always has."""
    return column in _ALWAYS_KNOWN or column.startswith(_ALWAYS_KNOWN_PREFIXES)


def unknown_cells(frame: pl.DataFrame, columns: list[str]) -> npt.NDArray[np.bool_]:
    """Per row and model column: True where the lead has no value (an absent column, an empty
    cell, or a placeholder such as "N/A")."""
    out = np.zeros((frame.height, len(columns)), dtype=np.bool_)
    for position, name in enumerate(columns):
        if always_known(name):
            continue
        if name not in frame.columns:
            out[:, position] = True
            continue
        out[:, position] = frame.select(~filled(frame, name)).to_series().to_numpy()
    return out


def filled(frame: pl.DataFrame, column: str) -> pl.Expr:
    """True where a cell holds a value (text placeholders such as "N/A" count as empty)."""
    if frame.schema[column] == pl.String:
        return blank_to_null(pl.col(column)).is_not_null()
    return pl.col(column).is_not_null()


def without_unknown_credit(
    raw: Matrix, contributions: Matrix, unknown: npt.NDArray[np.bool_]
) -> tuple[Matrix, Matrix]:
    """The raw scores and contributions with the positive part of unknown cells taken out."""
    credit = np.where(unknown & (contributions > 0), contributions, 0.0)
    if not credit.any():
        return raw, contributions
    return raw - credit.sum(axis=1), contributions - credit


NOT_KNOWN = 5  # the most a score lists of what is not known about the lead


def not_known(
    unknown: npt.NDArray[np.bool_], columns: list[str], weights: dict[str, float]
) -> list[list[str]]:
    """Per row, the columns the model relies on that the lead has no value for, the weightiest
    first, as readable labels: said apart from the reasons ("not known: Account revenue")."""
    ranked = sorted(
        (i for i, c in enumerate(columns) if weights.get(c, 0) > 0 and not always_known(c)),
        key=lambda i: -weights[columns[i]],
    )
    labels = [column_label(columns[i]) for i in ranked]
    if not ranked:
        return [[] for _ in range(unknown.shape[0])]
    picked = unknown[:, ranked]
    return [[labels[j] for j in np.flatnonzero(row)[:NOT_KNOWN]] for row in picked]
