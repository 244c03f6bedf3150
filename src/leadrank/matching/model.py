"""Fellegi-Sunter match weights, estimated from the data itself (no labels).

For each field level, m is how often true matches show it and u how often unrelated records do;
log2(m / u) is the evidence it carries. As in Splink:
- u comes from random pairs, almost all of which are unrelated;
- m comes from expectation-maximisation on the pairs of one blocking rule at a time, leaving out
  the fields that rule's pairs agree on by construction (they would look like proof of a match),
  and averaging each field's estimates over the rules that could estimate it;
- the prior is the chance that two random records match: the matches expected among the
  candidates, over all possible pairs. Evidence must overcome it, so a large file needs more.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from leadrank.matching.blocking import Blocking
from leadrank.matching.compare import NULL, Comparison, compare

U_SAMPLE_PAIRS = 300_000
EM_ITERATIONS = 40
EM_TOLERANCE = 1e-5
MIN_SESSION_PAIRS = 20  # fewer pairs than this teach nothing reliable about a rule's fields
U_KEPT = 0.01  # at least this share of a level's random pairs is taken to be non-matches
MATCHES_EXPLAIN = 0.5  # ... when the matches explain more than this share of them
EXPLAINED_PAIRS = 100  # ... and only a level that many random pairs show
ANCHOR_PAIRS = 20  # random pairs of one rare name enough to read the prior off
TYPICAL_WEIGHT = 50.0  # pseudo-matches of typical m blended into what the data shows
_FLOOR = 1e-6  # no level is ever impossible: one odd record must not veto a match outright
# Two records of one rare organisation name (a word few other names have, "Akzo Nobel N.V.")
# are taken to be one organisation at these odds or better when nothing else says otherwise.
RARE_NAME_ODDS = 99.0


@dataclass(frozen=True)
class MatchModel:
    """m and u per comparison level, and the prior share of matches among candidates."""

    comparisons: list[Comparison]
    m: list[np.ndarray]
    u: list[np.ndarray]
    prior: float

    def weights(self) -> list[np.ndarray]:
        """log2(m / u) per level of each comparison. The top level of a decisive comparison
        (the same rare organisation name) settles a match on its own: its weight is at least
        what lifts the prior to RARE_NAME_ODDS, however many records the file holds (only
        contrary evidence undoes it)."""
        weights = [np.log2(m / u) for m, u in zip(self.m, self.u, strict=True)]
        decisive = np.log2(RARE_NAME_ODDS) - np.log2(self.prior / (1 - self.prior))
        for comparison, w in zip(self.comparisons, weights, strict=True):
            if comparison.decisive:
                # ... and never weighs less than a lower level ("the same" common name).
                w[-1] = max(w[-1], decisive, float(w[:-1].max()))
        return weights

    def evidence(self, levels: np.ndarray) -> np.ndarray:
        """Per pair, the summed log2 Bayes factors of its levels (an empty field adds 0); a
        group of fields that say one thing counts once, by its most specific present field."""
        # Level -1 (empty) indexes the appended 0: one gather per column, no mask.
        weights = [np.append(w, 0.0) for w in self.weights()]
        groups, singles = field_groups(self.comparisons)
        total = np.zeros(levels.shape[0], dtype=np.float64)
        for column in singles:
            total += weights[column][levels[:, column]]
        for members in groups:
            taken = np.zeros(levels.shape[0], dtype=bool)
            for column in members:
                present = (levels[:, column] != NULL) & ~taken
                total[present] += weights[column][levels[present, column]]
                taken |= present
        return total

    def probability(self, levels: np.ndarray) -> np.ndarray:
        """Match probability of each pair."""
        prior = np.log2(self.prior / (1 - self.prior))
        return _sigmoid2(prior + self.evidence(levels))


# Fields that describe one thing and agree or differ together: the city, state and country of
# one office; for a person, the company, its domain and its industry. Summing them would count
# colleagues' shared employer several times over.
PLACE = ("city", "state", "country")
ORGANISATION = ("company", "domain", "category")


def field_groups(comparisons: list[Comparison]) -> tuple[list[list[int]], list[int]]:
    """Column groups, most specific field first, and the columns that count on their own."""
    fields = [c.field for c in comparisons]
    person = "first_name" in fields or "last_name" in fields
    groups = [
        [fields.index(f) for f in group if f in fields]
        for group in ([PLACE, ORGANISATION] if person else [PLACE])
    ]
    groups = [g for g in groups if len(g) > 1]
    grouped = {c for g in groups for c in g}
    return groups, [c for c in range(len(fields)) if c not in grouped]


def _sigmoid2(log2_odds: np.ndarray) -> np.ndarray:
    odds = np.exp2(-np.clip(log2_odds, -60, 60))
    return np.asarray(1.0 / (1.0 + odds), dtype=np.float64)


def _distribution(levels: np.ndarray, count: int, weights: np.ndarray | None = None) -> np.ndarray:
    present = levels != NULL
    values = levels[present]
    w = None if weights is None else weights[present]
    counts = np.bincount(values, weights=w, minlength=count).astype(np.float64)
    smoothed = counts + _FLOOR * max(counts.sum(), 1.0)
    return np.asarray(smoothed / smoothed.sum(), dtype=np.float64)


def estimate_u(
    prepared: pl.DataFrame,
    comparisons: list[Comparison],
    *,
    sample_pairs: int = U_SAMPLE_PAIRS,
    seed: int = 0,
    groups: pl.Series | None = None,
) -> list[np.ndarray]:
    """Level frequencies among random pairs of rows (across groups when linking)."""
    rows = prepared.height
    rng = np.random.default_rng(seed)
    size = min(sample_pairs, max(rows * (rows - 1) // 2, 1))
    left = rng.integers(0, rows, size=size)
    right = rng.integers(0, rows, size=size)
    keep = left != right
    if groups is not None:
        codes = groups.cast(pl.String).rank("dense").to_numpy()
        keep &= codes[left] != codes[right]
    pairs = pl.DataFrame({"i": left[keep].astype(np.uint32), "j": right[keep].astype(np.uint32)})
    levels = compare(prepared, pairs, comparisons)
    return [_with_typical_u(levels[:, c], comp) for c, comp in enumerate(comparisons)]


def _with_typical_u(levels: np.ndarray, comparison: Comparison) -> np.ndarray:
    """Level frequencies among random pairs; for organisation names blended with
    TYPICAL_U_PAIRS pseudo-pairs of the typical u, so a handful of names (a new workspace)
    does not make every level look impossible among unrelated records."""
    observed = _distribution(levels, comparison.levels)
    typical = TYPICAL_U.get(comparison.kind)
    if typical is None:
        return observed
    seen = float((levels != NULL).sum())
    blended = (observed * seen + np.asarray(typical) * TYPICAL_U_PAIRS) / (seen + TYPICAL_U_PAIRS)
    return np.asarray(blended / blended.sum(), dtype=np.float64)


def _initial_m(comparison: Comparison) -> np.ndarray:
    # Matches mostly agree exactly; the rest spread over the lower levels, least at "different".
    count = comparison.levels
    m = np.linspace(1.0, 2.0, count)
    m[-1] = 6.0 * count
    return np.asarray(m / m.sum(), dtype=np.float64)


def fit(
    levels: np.ndarray,
    comparisons: list[Comparison],
    u: list[np.ndarray],
    *,
    iterations: int = EM_ITERATIONS,
) -> MatchModel:
    """m and the prior by expectation-maximisation on the candidate pairs, u held fixed."""
    model = MatchModel(comparisons, [_initial_m(c) for c in comparisons], u, prior=0.1)
    if levels.shape[0] == 0:
        return model
    for _ in range(iterations):
        posterior = model.probability(levels)
        prior = float(np.clip(posterior.mean(), 1e-6, 1 - 1e-6))
        m = [
            _distribution(levels[:, c], comp.levels, posterior)
            for c, comp in enumerate(comparisons)
        ]
        change = max(
            abs(prior - model.prior),
            *(float(np.abs(a - b).max()) for a, b in zip(m, model.m, strict=True)),
        )
        model = MatchModel(comparisons, m, u, prior)
        if change < EM_TOLERANCE:
            break
    return model


def share_of_matches(levels: np.ndarray, model: MatchModel) -> float:
    """The share of matches among `levels`' pairs, m and u held fixed."""
    if levels.shape[0] == 0:
        return 0.0
    evidence = model.evidence(levels)
    prior = 0.1
    for _ in range(EM_ITERATIONS):
        posterior = _sigmoid2(np.log2(prior / (1 - prior)) + evidence)
        updated = float(np.clip(posterior.mean(), 1e-9, 1 - 1e-9))
        if abs(updated - prior) < EM_TOLERANCE:
            return updated
        prior = updated
    return prior


def train(
    prepared: pl.DataFrame,
    blocking: Blocking,
    comparisons: list[Comparison],
    candidate_levels: np.ndarray,
    *,
    possible_pairs: int,
    groups: pl.Series | None = None,
) -> MatchModel:
    """u from random pairs, m rule by rule, and the prior for two random records.

    m is learnt from the exact-identifier rules (email, phone, id) when they found pairs enough,
    else from every rule: in a list with few duplicates, pairs of one name are mostly two
    people, and expectation-maximisation there learns "same name" rather than "same person".
    Each rule's estimate is weighed by the matches it found and blended with the typical m by
    TYPICAL_WEIGHT pseudo-matches, so that a level no match showed still stays possible.
    """
    u = estimate_u(prepared, comparisons, groups=groups)
    sessions = [
        (rule, pairs)
        for rule, pairs in blocking.rule_pairs.items()
        if pairs.height >= MIN_SESSION_PAIRS
    ]
    strong = [(rule, pairs) for rule, pairs in sessions if rule.strong]
    if strong:
        sessions = strong
    totals = [_typical(c) * TYPICAL_WEIGHT for c in comparisons]
    for rule, pairs in sessions:
        free = [c for c, comp in enumerate(comparisons) if comp.field not in rule.fields]
        if not free:
            continue
        chosen = [comparisons[c] for c in free]
        session = fit(compare(prepared, pairs, chosen), chosen, [u[c] for c in free])
        matches = session.prior * pairs.height
        for position, c in enumerate(free):
            totals[c] = totals[c] + session.m[position] * matches
    m = [np.asarray(total / total.sum(), dtype=np.float64) for total in totals]
    return _with_prior(comparisons, m, u, candidate_levels, possible_pairs)


def _with_prior(
    comparisons: list[Comparison],
    m: list[np.ndarray],
    u: list[np.ndarray],
    candidate_levels: np.ndarray,
    possible_pairs: int,
) -> MatchModel:
    """The model with m and u, and the prior that the candidates imply: the matches expected
    among them, over all the pairs that could match.

    When an organisation's name is all there is to go on, the prior is read off the random
    pairs instead (`_anchored_prior`), and u is corrected: random pairs are matches at the
    rate of the prior, so in a file of few, large entities (one applicant on hundreds of
    patents) their levels are largely the matches' own, and u is what is left once the
    prior's share of m is taken out.
    """
    sampled = min(U_SAMPLE_PAIRS, possible_pairs)
    anchored = _anchored_prior(comparisons, m, u, sampled)
    if anchored is not None:
        u = [
            _at_least_typical(_without_matches(r, m_c, anchored, sampled), comparison)
            for r, m_c, comparison in zip(u, m, comparisons, strict=True)
        ]
        return MatchModel(comparisons, m, u, anchored)
    among = share_of_matches(candidate_levels, MatchModel(comparisons, m, u, 0.5))
    expected = among * candidate_levels.shape[0]
    prior = float(np.clip(expected / max(possible_pairs, 1), 1e-12, 0.5))
    return MatchModel(comparisons, m, u, prior)


def _at_least_typical(u: np.ndarray, comparison: Comparison) -> np.ndarray:
    """u no lower than the typical u of its kind: what is left of a level once the matches are
    taken out is an estimate of little weight, and unrelated organisations do share words."""
    typical = TYPICAL_U.get(comparison.kind)
    if typical is None:
        return u
    floored = np.maximum(u, np.asarray(typical))
    return np.asarray(floored / floored.sum(), dtype=np.float64)


def _anchored_prior(
    comparisons: list[Comparison], m: list[np.ndarray], raw_u: list[np.ndarray], sampled: int
) -> float | None:
    """For a name-only model: the share of random pairs that are one rare organisation name
    over the share of matches that show it; None when too few random pairs show it."""
    if len(comparisons) != 1 or comparisons[0].kind != "organisation":
        return None
    shown = float(raw_u[0][-1])
    if shown * sampled < ANCHOR_PAIRS:
        return None
    return float(np.clip(shown / m[0][-1], 1e-12, 0.5))


def _without_matches(raw: np.ndarray, m: np.ndarray, prior: float, sampled: int) -> np.ndarray:
    """u among non-matches, from level frequencies among random pairs that hold `prior` matches.
    A level whose random pairs the matches explain for the most part is taken to be theirs
    alone (U_KEPT of it left): the typical m is only roughly right, and what remains of such a
    level after subtracting it is mostly that error. Only a level seen often enough
    (EXPLAINED_PAIRS random pairs) is judged so; a few pairs are chance either way."""
    left = raw - prior * m
    explained = (left < MATCHES_EXPLAIN * raw) & (raw * sampled >= EXPLAINED_PAIRS)
    left = np.where(explained, U_KEPT * raw, left)
    left = np.maximum(left, _FLOOR * raw.max())
    return np.asarray(left / left.sum(), dtype=np.float64)


# How often true matches show each level (lowest first), by kind of field: what EM finds on
# the public benchmarks with known duplicates. Used where a file or workspace holds too few
# duplicates to learn them from (a workspace already merged on exact keys is one).
TYPICAL_M: dict[str, tuple[float, ...]] = {
    "name": (0.04, 0.02, 0.16, 0.78),
    "email": (0.05, 0.15, 0.80),
    "digits": (0.05, 0.02, 0.03, 0.90),
    "address": (0.05, 0.05, 0.10, 0.80),
    "company": (0.03, 0.07, 0.10, 0.80),
    # different, a word in common, similar, one within the other, nearly the same, the same,
    # the same rare name: what the sample company names written many ways show (with the
    # name alone there is nothing left over for EM to learn them from)
    "organisation": (0.01, 0.01, 0.035, 0.11, 0.31, 0.05, 0.47),
    "category": (0.08, 0.04, 0.88),
}


# How often unrelated organisations' names show each level: what random pairs of the sample
# company vocabulary show (names of one stem and other words, at the "similar" levels).
TYPICAL_U: dict[str, tuple[float, ...]] = {
    # "the same" name of generic words only ("Global Technology Solutions") is shared by
    # unrelated organisations far more often than one rare name is.
    "organisation": (0.9943, 0.0053, 2.2e-4, 3e-6, 1e-6, 1e-4, 1e-7),
}
TYPICAL_U_PAIRS = 2_000.0


def _typical(comparison: Comparison) -> np.ndarray:
    return np.asarray(TYPICAL_M[comparison.kind], dtype=np.float64)


def with_typical_m(
    comparisons: list[Comparison],
    u: list[np.ndarray],
    candidate_levels: np.ndarray,
    *,
    possible_pairs: int,
) -> MatchModel:
    """A model from typical m, the data's own u, and the prior its candidates imply."""
    m = [_typical(c) for c in comparisons]
    return _with_prior(comparisons, m, u, candidate_levels, possible_pairs)
