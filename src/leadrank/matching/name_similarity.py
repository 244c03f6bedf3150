"""How alike two organisation names are, word by word, each word weighed by how rare it is.

Sharing "Akzo" is strong evidence; sharing "Technology" is weak. A word's weight is its inverse
document frequency over the file's distinct names (a name written 300 times counts once), damped
for words that describe what any organisation does (`GENERIC_WORDS`), which a small file cannot
show to be common. Everything runs on columns: the words of distinct names are exploded once and
pairs are scored by joins, so millions of pairs cost seconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl

from leadrank.matching.organisation_words import GENERIC_WORDS, place_words

GENERIC_DAMPING = 0.35  # a generic word counts this much of its rarity
# A word in more distinct names than this share (and more than RARE_MIN_NAMES) is not rare.
RARE_SHARE = 0.5
RARE_MIN_NAMES = 25


@dataclass(frozen=True)
class WordWeights:
    """Per word of the file's distinct names: its weight, and whether it is rare enough that an
    identical name containing it identifies one organisation."""

    table: pl.DataFrame  # word, weight, rare
    names: int  # distinct names seen

    @classmethod
    def of(cls, keys: pl.Series) -> WordWeights:
        """The weights of the words of `keys` (organisation keys: words joined by spaces)."""
        distinct = keys.drop_nulls().unique()
        words = (
            distinct.str.split(" ")
            .list.unique()
            .explode()
            .alias("word")
            .to_frame()
            .group_by("word")
            .len("df")
        )
        count = distinct.len()
        idf = ((count + 1) / (pl.col("df") + 0.5)).log()
        generic = pl.col("word").is_in(list(GENERIC_WORDS | place_words()))
        most = max(RARE_MIN_NAMES, math.ceil(RARE_SHARE * count))
        table = words.select(
            "word",
            pl.when(generic).then(idf * GENERIC_DAMPING).otherwise(idf).alias("weight"),
            idf.alias("full"),
            (
                ~generic
                & (pl.col("df") <= most)
                & (pl.col("word").str.len_chars() >= 2)
                & ~pl.col("word").str.contains(r"^\d+$")
            ).alias("rare"),
        )
        return cls(table, count)

    def rare_names(self, keys: pl.Series) -> np.ndarray:
        """Whether each key holds a rare word: the same such name twice is one organisation."""
        rare = self._per_key(keys, pl.col("rare").any()).fill_null(False)
        return rare.to_numpy()

    def rarest_words(self, keys: pl.Series, count: int) -> pl.Series:
        """Each key's `count` heaviest words (a list; null for no key), for blocking."""
        # Ties broken by the word, so a file gives the same blocks on every run.
        heaviest = pl.col("word").sort_by(["weight", "word"], descending=[True, False])
        return self._per_key(keys, heaviest.unique(maintain_order=True).head(count))

    def _per_key(self, keys: pl.Series, aggregate: pl.Expr) -> pl.Series:
        """`aggregate` over the words of each key (with their weight and rarity), one value
        per key; null for no key."""
        frame = keys.alias("key").to_frame().with_row_index("row")
        per = (
            frame.drop_nulls("key")
            .with_columns(pl.col("key").str.split(" ").alias("word"))
            .explode("word")
            .join(self.table, on="word", how="left")
            .group_by("row")
            .agg(aggregate.alias("value"))
        )
        return frame.join(per, on="row", how="left", maintain_order="left")["value"]


@dataclass(frozen=True)
class NameAgreement:
    """For each pair of names: weighted cosine of their words; how much of each name the other
    holds (the shared weight over itself plus its own words the other lacks, those at their
    full, undamped rarity: "Sunzone Medical" is not within "Sunzone Wealth"), the larger and the
    smaller of the two; whether they share a rare word; whether one is the other's acronym."""

    cosine: np.ndarray
    within: np.ndarray
    mutual: np.ndarray
    shared_rare: np.ndarray
    acronym: np.ndarray


def name_agreement(left: pl.Series, right: pl.Series, weights: WordWeights) -> NameAgreement:
    """Agreement of left[k] and right[k] for every k (both present)."""
    pairs = pl.DataFrame({"a": left, "b": right}).with_row_index("pair")
    distinct = pairs.select("a", "b").unique().with_row_index("d")
    words_a = _weighted_words(distinct, "a", weights)
    words_b = _weighted_words(distinct, "b", weights)
    shared = (
        words_a.join(words_b, on=["d", "word"], how="semi")
        .group_by("d")
        .agg(
            pl.col("weight").sum().alias("sw"),
            (pl.col("weight") ** 2).sum().alias("sw2"),
            pl.col("full").sum().alias("sf"),
            pl.col("rare").any().alias("rare"),
        )
    )
    norms = [
        words.group_by("d").agg(
            pl.col("weight").sum().alias(f"s_{side}"),
            (pl.col("weight") ** 2).sum().alias(f"n_{side}"),
            pl.col("full").sum().alias(f"f_{side}"),
        )
        for side, words in (("a", words_a), ("b", words_b))
    ]
    scored = (
        distinct.join(shared, on="d", how="left")
        .join(norms[0], on="d", how="left")
        .join(norms[1], on="d", how="left")
        .with_columns(
            (pl.col("sw2") / (pl.col("n_a") * pl.col("n_b")).sqrt()).fill_null(0.0).alias("cos"),
            _held("a").alias("in_a"),
            _held("b").alias("in_b"),
            _is_acronym("a", "b").alias("acr"),
        )
        .select(
            "a",
            "b",
            pl.col("cos").fill_nan(0.0),
            pl.max_horizontal("in_a", "in_b").fill_nan(0.0).alias("within"),
            pl.min_horizontal("in_a", "in_b").fill_nan(0.0).alias("mutual"),
            pl.col("rare").fill_null(False),
            "acr",
        )
    )
    joined = pairs.join(scored, on=["a", "b"], how="left", maintain_order="left")
    return NameAgreement(
        cosine=joined["cos"].to_numpy(),
        within=joined["within"].to_numpy(),
        mutual=joined["mutual"].to_numpy(),
        shared_rare=joined["rare"].fill_null(False).to_numpy(),
        acronym=joined["acr"].fill_null(False).to_numpy(),
    )


def _held(side: str) -> pl.Expr:
    """How much of one side's name the other holds (0 when they share nothing)."""
    shared = pl.col("sw").fill_null(0.0)
    missing = (pl.col(f"f_{side}") - pl.col("sf").fill_null(0.0)).clip(lower_bound=0.0)
    return (shared / (shared + missing)).fill_null(0.0)


def _weighted_words(distinct: pl.DataFrame, side: str, weights: WordWeights) -> pl.DataFrame:
    # Words unseen when the weights were made (another file's) weigh as the rarest.
    rarest = float(weights.table["weight"].fill_null(1.0).max() or 1.0)  # type: ignore[arg-type]
    return (
        distinct.select("d", pl.col(side).str.split(" ").alias("word"))
        .explode("word")
        .unique(["d", "word"])
        .join(weights.table, on="word", how="left")
        .with_columns(
            pl.col("weight").fill_null(rarest),
            pl.col("full").fill_null(rarest),
            pl.col("rare").fill_null(True),
        )
    )


def _is_acronym(a: str, b: str) -> pl.Expr:
    """One name a single word that spells the initials of the other's three words or more."""

    def initials(column: str) -> pl.Expr:
        words = pl.col(column).str.split(" ")
        return pl.when(words.list.len() >= 3).then(
            words.list.eval(pl.element().str.slice(0, 1)).list.join("")
        )

    single_a = ~pl.col(a).str.contains(" ")
    single_b = ~pl.col(b).str.contains(" ")
    return (
        (single_a & (pl.col(a) == initials(b))) | (single_b & (pl.col(b) == initials(a)))
    ).fill_null(False)
