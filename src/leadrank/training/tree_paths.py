"""Per-prediction contributions of a LightGBM model from the paths its trees take.

Each split a row passes changes the tree's output from the node's value to the child's; that
change is credited to the split's feature (path attribution, as in Saabas' treeinterpreter).
The credits add up exactly to the raw score less a constant, as SHAP values do, but cost one
leaf lookup per tree and a sparse product instead of TreeSHAP's leaves x depth^2 per tree
(about ten times faster here): bulk scoring of a million leads stays within a minute.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

CHUNK_ROWS = 200_000  # bounds the one-hot leaf matrix of a batch


@dataclass
class PathTable:
    """Every leaf of every tree as a sparse row of credits per feature."""

    credits: sp.csr_matrix  # all leaves (tree by tree) x features
    offsets: npt.NDArray[np.int64]  # first row of each tree in `credits`
    bias: float  # the sum of the trees' root values

    @classmethod
    def of(cls, booster: lgb.Booster) -> PathTable:
        """Read the paths out of a booster's trees."""
        dumped = booster.dump_model()
        n_features = len(dumped["feature_names"])
        rows: list[int] = []
        columns: list[int] = []
        values: list[float] = []
        offsets: list[int] = []
        bias, first = 0.0, 0
        for tree in dumped["tree_info"]:
            root = tree["tree_structure"]
            paths: dict[int, list[tuple[int, float]]] = {}
            _walk(root, [], paths)
            bias += float(root.get("internal_value", root.get("leaf_value", 0.0)))
            offsets.append(first)
            for leaf, path in paths.items():
                for feature, credit in path:
                    rows.append(first + leaf)
                    columns.append(feature)
                    values.append(credit)
            first += max(paths, default=0) + 1
        credits = sp.csr_matrix((values, (rows, columns)), shape=(first, n_features))
        return cls(credits, np.asarray(offsets, dtype=np.int64), bias)

    def contributions(self, booster: lgb.Booster, rows: npt.NDArray[np.float64]) -> Any:
        """Rows x features credits (their sum plus `bias` is the raw score)."""
        out = np.zeros((rows.shape[0], self.credits.shape[1]))
        trees = len(self.offsets)
        for start in range(0, rows.shape[0], CHUNK_ROWS):
            chunk = rows[start : start + CHUNK_ROWS]
            leaves = np.asarray(booster.predict(chunk, pred_leaf=True), dtype=np.int64)
            leaves = leaves.reshape(len(chunk), trees) + self.offsets
            one_hot = sp.csr_matrix(
                (np.ones(leaves.size), leaves.ravel(), np.arange(0, leaves.size + 1, trees)),
                shape=(len(chunk), self.credits.shape[0]),
            )
            out[start : start + len(chunk)] = (one_hot @ self.credits).toarray()
        return out


def _walk(
    node: dict[str, Any], path: list[tuple[int, float]], out: dict[int, list[tuple[int, float]]]
) -> None:
    """Collect each leaf's path as (feature, change of value) steps."""
    if "leaf_index" in node or "split_feature" not in node:
        out[int(node.get("leaf_index", 0))] = path
        return
    value = float(node["internal_value"])
    for side in ("left_child", "right_child"):
        child = node[side]
        child_value = float(child.get("internal_value", child.get("leaf_value", 0.0)))
        _walk(child, [*path, (int(node["split_feature"]), child_value - value)], out)
