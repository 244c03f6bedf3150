"""Clustering scored pairs into entities without chaining unrelated records together.

Pairs are joined strongest first. Two rows join freely; two groups join only when the pairs
between them that were compared agree on average (average linkage), so one ambiguous record
cannot bridge two different people.
"""

from __future__ import annotations

import numpy as np
import polars as pl

AVERAGE_LINK = 0.5
MAX_CROSS_CHECKS = 10_000  # cross pairs checked at most when two groups would join


def cluster_rows(
    rows: int, pairs: pl.DataFrame, probability: np.ndarray, *, threshold: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per row: a cluster id (the 1-based position of its cluster's first row) and its best
    match probability within its cluster (NaN when it stands alone)."""
    left = pairs["i"].to_numpy().astype(np.int64)
    right = pairs["j"].to_numpy().astype(np.int64)
    keys = left * rows + right
    order = np.argsort(keys)
    sorted_keys, sorted_probability = keys[order], probability[order]

    parent = np.arange(rows)
    members: dict[int, list[int]] = {}

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = int(parent[x])
        return x

    def agree(group_a: list[int], group_b: list[int]) -> bool:
        # Large groups are judged on an even sample of their rows (each side's share of
        # MAX_CROSS_CHECKS), so one organisation of hundreds of rows still comes together.
        sampled = len(group_a) * len(group_b) > MAX_CROSS_CHECKS
        if sampled:
            side = int(MAX_CROSS_CHECKS**0.5)
            group_a, group_b = _spread(group_a, side), _spread(group_b, side)
        cross = np.array(
            [min(a, b) * rows + max(a, b) for a in group_a for b in group_b], dtype=np.int64
        )
        at = np.searchsorted(sorted_keys, cross)
        at = np.minimum(at, len(sorted_keys) - 1)
        known = sorted_keys[at] == cross
        if not known.any():  # only the joining pair itself was compared, outside the sample
            return sampled
        return float(sorted_probability[at[known]].mean()) >= AVERAGE_LINK

    accepted = np.flatnonzero(probability >= threshold)
    for index in accepted[np.argsort(-probability[accepted], kind="stable")]:
        a, b = root(int(left[index])), root(int(right[index]))
        if a == b:
            continue
        group_a, group_b = members.get(a, [a]), members.get(b, [b])
        if (len(group_a) > 1 or len(group_b) > 1) and not agree(group_a, group_b):
            continue
        if len(group_a) < len(group_b):
            a, b, group_a, group_b = b, a, group_b, group_a
        parent[b] = a
        members[a] = [*group_a, *group_b]
        members.pop(b, None)

    roots = np.array([root(x) for x in range(rows)], dtype=np.int64)
    first_row = pl.DataFrame({"root": roots}).with_row_index("row")
    cluster_id = (
        first_row.with_columns(pl.col("row").min().over("root") + 1).get_column("row").to_numpy()
    )
    return cluster_id.astype(np.int64), _best_in_cluster(rows, left, right, probability, roots)


def _spread(group: list[int], most: int) -> list[int]:
    """At most `most` members, evenly spread over the group."""
    if len(group) <= most:
        return group
    return [group[k] for k in np.linspace(0, len(group) - 1, most).astype(int)]


def _best_in_cluster(
    rows: int, left: np.ndarray, right: np.ndarray, probability: np.ndarray, roots: np.ndarray
) -> np.ndarray:
    inside = roots[left] == roots[right]
    frame = pl.DataFrame(
        {
            "row": np.concatenate([left[inside], right[inside]]),
            "p": np.concatenate([probability[inside], probability[inside]]),
        }
    )
    best = np.full(rows, np.nan)
    if frame.height:
        top = frame.group_by("row").agg(pl.col("p").max())
        best[top["row"].to_numpy()] = top["p"].to_numpy()
    return best
