"""Field comparisons: for each candidate pair and each field, a level of agreement.

Levels run from 0 (different) up to the field's top level (the same after normalisation); -1
means one side is empty, which says nothing either way. Similarities come from rapidfuzz's
pairwise scorers, which run in C over whole columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from rapidfuzz import fuzz
from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler
from rapidfuzz.process import cpdist

NULL = -1
COMPARE_SLICE = 1_000_000


@dataclass(frozen=True)
class Comparison:
    """How one field is compared: its kind and the words for each level, lowest first."""

    field: str
    kind: str  # name | text | email | digits | address | company | category
    labels: tuple[str, ...]

    @property
    def levels(self) -> int:
        return len(self.labels)


_KINDS = {
    "first_name": "name",
    "last_name": "name",
    "email": "email",
    "phone": "digits",
    "identifier": "digits",
    "postcode": "digits",
    "date": "digits",
    "address": "address",
    "company": "company",
    "domain": "category",
    "city": "category",
    "state": "category",
    "country": "category",
    "category": "category",
    "title": "category",
}
_LABELS = {
    "name": ("different", "similar", "nearly the same", "the same"),
    "email": ("different", "a typo apart", "the same"),
    "digits": ("different", "two edits apart", "one edit apart", "the same"),
    "address": ("different", "similar", "nearly the same", "the same"),
    "company": ("different", "similar", "nearly the same", "the same"),
    "category": ("different", "similar", "the same"),
}


def comparisons_for(columns: list[str]) -> list[Comparison]:
    """The comparisons the prepared columns allow (a full name is compared as first and last)."""
    return [
        Comparison(field, kind, _LABELS[kind]) for field, kind in _KINDS.items() if field in columns
    ]


def _strings(series: pl.Series) -> list[str]:
    return series.fill_null("").to_list()


def _similarity(left: pl.Series, right: pl.Series, scorer: Any) -> np.ndarray:
    """scorer(left[k], right[k]) for every k, computed once per distinct pair of values
    (candidate pairs repeat the same cities, companies and common names many times)."""
    pairs = pl.DataFrame({"a": left.fill_null(""), "b": right.fill_null("")})
    distinct = pairs.unique()
    if distinct.height > 0.7 * pairs.height:
        return np.asarray(cpdist(_strings(left), _strings(right), scorer=scorer, workers=-1))
    scores = cpdist(distinct["a"].to_list(), distinct["b"].to_list(), scorer=scorer, workers=-1)
    scored = distinct.with_columns(pl.Series("s", np.asarray(scores, dtype=np.float64)))
    joined = pairs.join(scored, on=["a", "b"], how="left", maintain_order="left")
    return joined["s"].to_numpy()


def _levels(scores: np.ndarray, thresholds: list[float]) -> np.ndarray:
    """0 below the first threshold, 1 at or above it, and so on."""
    return np.searchsorted(np.asarray(thresholds), scores, side="right").astype(np.int8)


def compare(
    prepared: pl.DataFrame, pairs: pl.DataFrame, comparisons: list[Comparison]
) -> np.ndarray:
    """An int8 matrix: one row per pair, one column per comparison, levels or -1 for empty."""
    out = np.empty((pairs.height, len(comparisons)), dtype=np.int8)
    # In slices: the strings of millions of pairs would otherwise all be in memory at once.
    for start in range(0, pairs.height, COMPARE_SLICE):
        part = pairs.slice(start, COMPARE_SLICE)
        block = out[start : start + part.height]
        for column, comparison in enumerate(comparisons):
            left = prepared[comparison.field].gather(part["i"])
            right = prepared[comparison.field].gather(part["j"])
            empty = (left.is_null() | right.is_null()).to_numpy()
            same = (left == right).fill_null(False).to_numpy()
            # Only pairs whose values differ need a similarity; equal ones are the top level.
            differ = ~empty & ~same
            levels = np.full(part.height, comparison.levels - 1, dtype=np.int8)
            levels[empty] = NULL
            if differ.any():
                mask = pl.Series(differ)
                levels[differ] = _field_levels(
                    comparison, left.filter(mask), right.filter(mask), prepared, part.filter(mask)
                )
            block[:, column] = levels
        _swapped_names(block, comparisons, prepared, part)
    return out


def _field_levels(
    comparison: Comparison,
    left: pl.Series,
    right: pl.Series,
    prepared: pl.DataFrame,
    pairs: pl.DataFrame,
) -> np.ndarray:
    """Levels of pairs whose values are both present and differ."""
    top = comparison.levels - 1
    kind = comparison.kind
    if kind == "digits":
        distance = _similarity(left, right, DamerauLevenshtein.distance)
        levels = np.select([distance <= 1, distance <= 2], [2, 1], 0).astype(np.int8)
    elif kind == "category":
        levels = _levels(_similarity(left, right, JaroWinkler.normalized_similarity), [0.88])
    elif kind == "address":
        scores = _similarity(left, right, fuzz.token_sort_ratio) / 100
        # One side with extra words ("near 5th st", "shopping center") is nearly the same.
        contained = _similarity(left, right, fuzz.token_set_ratio) >= 100
        levels = np.maximum(_levels(scores, [0.7, 0.88]), contained.astype(np.int8) * 2)
    elif kind == "company":
        close = _levels(_similarity(left, right, JaroWinkler.normalized_similarity), [0.8, 0.92])
        words = _similarity(left, right, fuzz.token_set_ratio) / 100
        levels = np.maximum(close, (words >= 0.9).astype(np.int8) * 2)
    elif kind == "email":
        # A typo or two is nearly the same address. The same mailbox name at another domain
        # is no evidence of its own: "wei.zhang@" spells the name, which names compare already.
        edits = _similarity(left, right, DamerauLevenshtein.distance)
        # Typos spare the first letter; "gcampbell@" and "ocampbell@" are two colleagues.
        same_start = (left.str.slice(0, 1) == right.str.slice(0, 1)).fill_null(False).to_numpy()
        # Addresses that differ only in digits are numbered mailboxes of namesakes
        # ("david.lewis@" and "david.lewis2@"), not typos.
        numbered = (
            (left.str.replace_all(r"\d", "") == right.str.replace_all(r"\d", ""))
            .fill_null(False)
            .to_numpy()
        )
        levels = ((edits <= 2) & same_start & ~numbered).astype(np.int8)
    else:  # names
        levels = _levels(_similarity(left, right, JaroWinkler.normalized_similarity), [0.8, 0.92])
        if comparison.field == "first_name" and "_first_family" in prepared.columns:
            families = pl.DataFrame(
                {
                    "a": prepared["_first_family"].gather(pairs["i"]),
                    "b": prepared["_first_family"].gather(pairs["j"]),
                }
            )
            nickname = families.select(
                pl.col("a").list.set_intersection(pl.col("b")).list.len() > 0
            ).to_series()
            levels = np.where(nickname.fill_null(False).to_numpy(), top, levels).astype(np.int8)
    return levels.astype(np.int8)


def _swapped_names(
    out: np.ndarray, comparisons: list[Comparison], prepared: pl.DataFrame, pairs: pl.DataFrame
) -> None:
    """First and last name written the other way round count as the same names."""
    fields = [c.field for c in comparisons]
    if "first_name" not in fields or "last_name" not in fields:
        return
    first, last = prepared["first_name"], prepared["last_name"]
    swapped = (
        (
            (first.gather(pairs["i"]) == last.gather(pairs["j"]))
            & (last.gather(pairs["i"]) == first.gather(pairs["j"]))
        )
        .fill_null(False)
        .to_numpy()
    )
    for field in ("first_name", "last_name"):
        column = fields.index(field)
        out[swapped, column] = comparisons[column].levels - 1
