"""Clustering scored pairs into entities without chaining unrelated records together.

Pairs are joined strongest first. Two rows join freely; two groups join only when the pairs
between them that were compared agree on average (average linkage, each pair weighed by the
rows it stands for), so one ambiguous record cannot bridge two different people or companies.
"""

from __future__ import annotations

import numpy as np
import polars as pl

AVERAGE_LINK = 0.5
MAX_CROSS_CHECKS = 10_000  # pairs of distinct records checked at most when two groups join


def cluster_rows(
    rows: int,
    pairs: pl.DataFrame,
    probability: np.ndarray,
    *,
    threshold: float,
    signature: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Per row: a cluster id (the 1-based position of its cluster's first row) and its best
    match probability within its cluster (NaN when it stands alone).

    `signature` numbers the distinct records (rows alike in every compared field share one).
    Groups are weighed by their rows: when "Quantumcraft" would bridge 400 rows of
    "Quantumcraft Logistics" and 400 of "Quantumcraft Power", the 160,000 pairs between those
    two count for what they are, not as the one pair of them that was compared."""
    left = pairs["i"].to_numpy().astype(np.int64)
    right = pairs["j"].to_numpy().astype(np.int64)
    signature = np.arange(rows, dtype=np.int64) if signature is None else signature
    known = _known_record_pairs(signature, left, right, probability)

    parent = np.arange(rows)
    # Per group root: how many of its rows carry each signature.
    members: dict[int, dict[int, int]] = {}

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = int(parent[x])
        return x

    def group(x: int) -> dict[int, int]:
        return members.get(x) or {int(signature[x]): 1}

    accepted = np.flatnonzero(probability >= threshold)
    for index in accepted[np.argsort(-probability[accepted], kind="stable")]:
        i, j = int(left[index]), int(right[index])
        a, b = root(i), root(j)
        if a == b:
            continue
        group_a, group_b = group(a), group(b)
        joining = (int(signature[i]), int(signature[j]))
        if (sum(group_a.values()) > 1 or sum(group_b.values()) > 1) and not known.agree(
            group_a, group_b, joining
        ):
            continue
        if len(group_a) < len(group_b):
            a, b, group_a, group_b = b, a, group_b, group_a
        parent[b] = a
        merged = members.get(a) or dict(group_a)  # the larger group, grown in place
        for sig, count in group_b.items():
            merged[sig] = merged.get(sig, 0) + count
        members[a] = merged
        members.pop(b, None)

    roots = np.array([root(x) for x in range(rows)], dtype=np.int64)
    first_row = pl.DataFrame({"root": roots}).with_row_index("row")
    cluster_id = (
        first_row.with_columns(pl.col("row").min().over("root") + 1).get_column("row").to_numpy()
    )
    return cluster_id.astype(np.int64), _best_in_cluster(rows, left, right, probability, roots)


class _KnownPairs:
    """The mean probability of each compared pair of signatures, for average linkage."""

    def __init__(self, keys: np.ndarray, probability: np.ndarray, span: int) -> None:
        self.keys, self.probability, self.span = keys, probability, span

    def agree(
        self, group_a: dict[int, int], group_b: dict[int, int], joining: tuple[int, int]
    ) -> bool:
        """Whether the compared pairs between two groups, each weighed by how many row pairs
        it stands for, agree on average. Large groups are judged on their most frequent
        records (each side's share of MAX_CROSS_CHECKS), always with the joining pair's."""
        side = int(MAX_CROSS_CHECKS**0.5)
        sig_a, count_a = _most_frequent(group_a, side, joining[0])
        sig_b, count_b = _most_frequent(group_b, side, joining[1])
        cross = np.minimum.outer(sig_a, sig_b) * self.span + np.maximum.outer(sig_a, sig_b)
        weight = np.outer(count_a, count_b).astype(np.float64)
        at = np.minimum(np.searchsorted(self.keys, cross), len(self.keys) - 1)
        found = self.keys[at] == cross
        return float(np.average(self.probability[at[found]], weights=weight[found])) >= AVERAGE_LINK


def _known_record_pairs(
    signature: np.ndarray, left: np.ndarray, right: np.ndarray, probability: np.ndarray
) -> _KnownPairs:
    """Compared pairs by their pair of signatures, sorted, each once with its mean
    probability (in numpy: tens of millions of pairs, mostly of distinct records)."""
    span = int(signature.max()) + 1 if signature.size else 1
    a, b = signature[left], signature[right]
    keys = np.minimum(a, b) * span + np.maximum(a, b)
    del a, b
    order = np.argsort(keys, kind="stable")
    keys, chances = keys[order], probability[order]
    del order
    starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1]))) if keys.size else keys
    if starts.size == keys.size:  # no two compared pairs of the same two records
        return _KnownPairs(keys, chances, span)
    counts = np.diff(np.append(starts, keys.size))
    means = np.add.reduceat(chances, starts) / counts
    return _KnownPairs(keys[starts], means, span)


def _most_frequent(group: dict[int, int], most: int, keep: int) -> tuple[np.ndarray, np.ndarray]:
    """The group's signatures and counts, at most `most` of the commonest and always `keep`."""
    if len(group) > most:
        top = sorted(group, key=lambda sig: -group[sig])[:most]
        if keep not in top:
            top[-1] = keep
        group = {sig: group[sig] for sig in top}
    return np.fromiter(group, dtype=np.int64), np.fromiter(group.values(), dtype=np.int64)


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
