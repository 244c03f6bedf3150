"""Rows that belong together: a lead looked at several ages gives several rows, and they must
fall on the same side of every split, or a model is measured on leads it has already seen."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from sklearn.model_selection import StratifiedKFold

Rows = npt.NDArray[np.intp]
Groups = npt.NDArray[np.int64]


def row_groups(groups: npt.ArrayLike | None, size: int) -> Groups:
    """Each row's group as 0..n-1; with no groups, every row is its own."""
    if groups is None:
        return np.arange(size, dtype=np.int64)
    values = np.asarray(groups)
    if len(values) != size:
        raise ValueError(f"{len(values)} groups for {size} rows")
    _, codes = np.unique(values, return_inverse=True)
    return codes.astype(np.int64)


def group_labels(y: npt.NDArray[np.int8], groups: Groups) -> npt.NDArray[np.int8]:
    """A group's label: positive when any of its rows is (a lead's rows share its outcome)."""
    labels = np.zeros(int(groups.max()) + 1 if len(groups) else 0, dtype=np.int8)
    np.maximum.at(labels, groups, y)
    return labels


def stratified_folds(
    y: npt.NDArray[np.int8], groups: Groups, *, folds: int, seed: int
) -> list[tuple[Rows, Rows]]:
    """(train, held) row indices of each fold: whole groups, stratified by their label; fewer
    folds when a label has fewer groups than `folds`."""
    labels = group_labels(y, groups)
    smallest = int(min(labels.sum(), len(labels) - labels.sum()))
    folds = max(2, min(folds, smallest))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    fold_of_group = np.empty(len(labels), dtype=np.int64)
    for fold, (_, held) in enumerate(splitter.split(np.zeros(len(labels)), labels)):
        fold_of_group[held] = fold
    fold_of_row = fold_of_group[groups]
    return [
        (np.flatnonzero(fold_of_row != fold), np.flatnonzero(fold_of_row == fold))
        for fold in range(folds)
    ]


def sample_groups(
    y: npt.NDArray[np.int8], groups: Groups, rows: Rows, *, share: float, seed: int
) -> Rows:
    """The rows of a stratified `share` of the groups in `rows`, at least one group per label."""
    labels = group_labels(y, groups)
    present = np.unique(groups[rows])
    rng = np.random.default_rng(seed)
    chosen = [
        rng.choice(kind, size=max(1, round(len(kind) * share)), replace=False)
        for kind in (present[labels[present] == 0], present[labels[present] == 1])
        if len(kind)
    ]
    taken = np.zeros(len(labels), dtype=bool)
    taken[np.concatenate(chosen)] = True
    return np.sort(rows[taken[groups[rows]]])
