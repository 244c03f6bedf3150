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

from leadrank.matching.name_similarity import WordWeights, name_agreement

NULL = -1
COMPARE_SLICE = 1_000_000


@dataclass(frozen=True)
class Comparison:
    """How one field is compared: its kind and the words for each level, lowest first."""

    field: str
    kind: str  # name | email | digits | address | company | organisation | category
    labels: tuple[str, ...]
    # The top level ("the same rare name") settles a match on its own: organisations are
    # matched as organisations, not as sites, whose one name may stand at many addresses.
    decisive: bool = False

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
    # An organisation's own name, when the rows are organisations: see _organisation_levels.
    "organisation": (
        "different",
        "a word in common",
        "similar",
        "one within the other",
        "nearly the same",
        "the same",
        "the same rare name",
    ),
    "category": ("different", "similar", "the same"),
}


def comparisons_for(
    columns: list[str], *, entity: str = "person", company_level: str = "organisation"
) -> list[Comparison]:
    """The comparisons the prepared columns allow (a full name is compared as first and last;
    a company's own name word by word, a person's employer as a whole)."""
    kinds = {**_KINDS, "company": "organisation"} if entity == "company" else _KINDS
    decisive = company_level == "organisation"
    return [
        Comparison(field, kind, _LABELS[kind], decisive=decisive and kind == "organisation")
        for field, kind in kinds.items()
        if field in columns
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
            # Only pairs whose values differ need a similarity; equal ones are the top level
            # (an organisation's name is rare or common when equal: it is always measured).
            differ = ~empty & (~same | (comparison.kind == "organisation"))
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
    if kind == "organisation":
        return _organisation_levels(left, right, prepared[comparison.field])
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


# Thresholds of the organisation levels, on the word-weighted agreement of two names.
SHARED_WORDS = 0.2  # weighted cosine: "a word in common"
SIMILAR_WORDS = 0.5  # weighted cosine: "similar"
SIMILAR_SPELLING = 0.92  # Jaro-Winkler of the keys: "similar"
WITHIN = 0.8  # how much of one name the other holds: "one within the other"
SAME_WORDS = 0.9  # how much of each name the other holds: "nearly the same"
SAME_ORDER_FREE = 95  # token sort ratio: "nearly the same" (another word order, a typo)
SAME_SPELLING = 0.95  # Jaro-Winkler of the keys: "nearly the same" (a typo)


def _organisation_levels(left: pl.Series, right: pl.Series, names: pl.Series) -> np.ndarray:
    """Levels of two organisation names, each word weighed by its rarity among `names`.

    A typo counts only where the names' numbers agree ("Alpha Capital 1" and "2" differ);
    names written with and without spaces ("Willow Stream", "Willowstream") are one within the
    other when one's letters run inside the other's."""
    weights = WordWeights.of(names)
    agreement = name_agreement(left, right, weights)
    spelling = _similarity(left, right, JaroWinkler.normalized_similarity)
    order_free = _similarity(left, right, fuzz.token_sort_ratio)
    pair = pl.DataFrame({"a": left, "b": right})
    numbers_agree = _column(
        pair,
        pl.col("a").str.extract_all(r"\d+").list.join(" ")
        == pl.col("b").str.extract_all(r"\d+").list.join(" "),
    )
    a_joined, b_joined = pl.col("a").str.replace_all(" ", ""), pl.col("b").str.replace_all(" ", "")
    run_inside = _column(
        pair,
        (pl.min_horizontal(a_joined.str.len_chars(), b_joined.str.len_chars()) >= 6)
        & (
            b_joined.str.contains(a_joined, literal=True)
            | a_joined.str.contains(b_joined, literal=True)
        ),
    )
    shared_rare = agreement.shared_rare
    levels = np.zeros(left.len(), dtype=np.int8)
    levels[(agreement.cosine >= SHARED_WORDS) | shared_rare] = 1
    levels[(agreement.cosine >= SIMILAR_WORDS) | (spelling >= SIMILAR_SPELLING)] = 2
    levels[((agreement.within >= WITHIN) & shared_rare) | agreement.acronym | run_inside] = 3
    typo = ((order_free >= SAME_ORDER_FREE) | (spelling >= SAME_SPELLING)) & numbers_agree
    levels[(agreement.mutual >= SAME_WORDS) | typo] = 4
    same = (left == right).fill_null(False).to_numpy()
    levels[same] = 5
    levels[same & weights.rare_names(left)] = 6
    return levels


def _column(frame: pl.DataFrame, expression: pl.Expr) -> np.ndarray:
    return frame.select(expression.fill_null(False)).to_series().to_numpy()


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
