"""An account list with names alone: each sample company written the many ways hand-typed CRM
accounts, trade-show lists and filings write one organisation (legal forms, capitals, common
abbreviations, another word order, typos, a subsidiary or site), for name-only matching
benchmarks and tests. Companies that share a stem ("Brightwave Analytics", "Brightwave
Logistics") are different companies: the hard cases.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from leadrank.sample.columns import Rng
from leadrank.sample.companies import build_companies
from leadrank.sample.vocab import NAME_PREFIXES

LEGAL_FORMS = (
    "Inc.", "Inc", "LLC", "Ltd", "Ltd.", "Limited", "GmbH", "B.V.", "N.V.", "S.A.", "AG",
    "K.K.", "Pty Ltd", "plc", "S.p.A.", "Corp.", "Corporation", "Co.", "Oy", "SAS", "S.r.l.",
)  # fmt: skip
QUALIFIERS = ("International", "Research", "Laboratories", "Technologies", "Systems")
ABBREVIATED = {
    "International": ("Int'l", "Intl", "Internat."),
    "Research": ("Res.",),
    "Laboratories": ("Labs", "Lab."),
    "Technologies": ("Tech", "Technology"),
    "Systems": ("Sys.",),
    "Manufacturing": ("Mfg",),
    "Engineering": ("Eng.",),
    "Industries": ("Ind.",),
    "Institute": ("Inst.",),
}
SUBSIDIARIES = ("Europe", "North America", "(UK)", "Deutschland", "Asia Pacific", "France")


def company_names_with_variants(
    companies: int, *, seed: int = 11, most_rows: int = 60
) -> tuple[pl.DataFrame, pl.Series]:
    """A one-column list (`name`) of `companies` organisations, each on 1 to `most_rows` rows
    (few with many, as in filings), and the organisation behind each row (its truth)."""
    rng = np.random.default_rng(seed)
    pool = build_companies(rng, companies)
    rows_of = np.minimum(rng.zipf(2.0, companies), most_rows)
    qualified = rng.random(companies) < 0.25
    qualifier = rng.integers(0, len(QUALIFIERS), companies)
    names, truth = [], []
    for org, (base, count) in enumerate(zip(pool.name.to_list(), rows_of, strict=True)):
        words = base.split(" ")
        if qualified[org]:
            words.append(QUALIFIERS[qualifier[org]])
        for _ in range(int(count)):
            names.append(_variant(rng, list(words)))
            truth.append(org)
    return pl.DataFrame({"name": names}), pl.Series("organisation", truth)


def _variant(rng: Rng, words: list[str]) -> str:
    """One way of writing the organisation of `words`."""
    draw = rng.random(9)
    words = [rng.choice(ABBREVIATED[w]) if w in ABBREVIATED and draw[0] < 0.3 else w for w in words]
    if draw[1] < 0.08:  # the stem written apart: "Bright Wave"
        words[0] = _split_stem(words[0])
    if draw[2] < 0.06 and len(words) > 1:  # another order: "Analytics Brightwave"
        words = [*words[1:], words[0]]
    if draw[3] < 0.10:
        words.append(str(rng.choice(SUBSIDIARIES)))
    if draw[4] < 0.10:
        position = int(rng.integers(0, len(words)))
        words[position] = _typo(rng, words[position])
    name = " ".join(words)
    if draw[5] < 0.6:
        name += ("," if draw[6] < 0.3 else "") + " " + str(rng.choice(LEGAL_FORMS))
    if draw[7] < 0.15:
        name = name.upper()
    elif draw[7] < 0.2:
        name = name.lower()
    if draw[8] < 0.04:
        name = "The " + name
    return name


def _split_stem(stem: str) -> str:
    """ "Brightwave" -> "Bright Wave": the stem's prefix and root apart."""
    for prefix in NAME_PREFIXES:
        if stem.startswith(prefix) and len(stem) > len(prefix):
            return prefix + " " + stem[len(prefix) :].capitalize()
    return stem


def _typo(rng: Rng, word: str) -> str:
    """One letter dropped, doubled or two swapped, away from the first letter."""
    if len(word) < 5:
        return word
    at = int(rng.integers(1, len(word) - 1))
    kind = int(rng.integers(0, 3))
    if kind == 0:
        return word[:at] + word[at + 1 :]
    if kind == 1:
        return word[:at] + word[at] + word[at:]
    return word[:at] + word[at + 1] + word[at] + word[at + 2 :]
