"""Companies by name in the workspace: a row naming "Akzo Nobel N.V." or "AKZO NOBEL" (no
domain) joins the stored "Akzo Nobel" instead of creating a second company, by the same
comparisons `leadrank dedupe --entity company` makes.

Exact keys come first (registrable domain, then the normalised name); this step only looks at
names no company carries yet. They are blocked against the stored companies' names on rare
words, sorted words, acronyms and prefixes, compared word by word with each word weighed by its
rarity among the stored and the new names, and scored by a model with the workspace's own u
(random pairs of its names), the typical m of organisation names and a prior of
NEW_NAME_IS_STORED spread over the stored companies. A candidate is taken when the match is
sure (`MERGE_THRESHOLD`) and the countries do not disagree; companies with a domain win ties,
as they are the better-known record. Each join is logged with its reasons. A likely match
(`REVIEW_THRESHOLD` or more), or a sure one in another country, is created as a company of its
own and waits for a person's decision in `leadrank leads duplicates`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from leadrank.matching.blocking import candidate_pairs, company_rules
from leadrank.matching.compare import Comparison, compare, comparisons_for
from leadrank.matching.model import TYPICAL_M, MatchModel, estimate_u
from leadrank.matching.organisations import organisation_key
from leadrank.matching.prepare import with_organisation_helpers
from leadrank.matching.service import DEFAULT_THRESHOLD
from leadrank.normalize.values import map_distinct
from leadrank.orm import Company

MERGE_THRESHOLD = DEFAULT_THRESHOLD
REVIEW_THRESHOLD = 0.5
U_SAMPLE_PAIRS = 20_000  # random pairs of names for u; blended with the typical u
# The share of names new to the workspace's exact keys that are a stored company written
# another way: the prior of a pair is this over the stored companies, as any of them could be
# the one. (A workspace holds too few name variants to learn it from, and exact keys have
# taken the easy ones already.)
NEW_NAME_IS_STORED = 0.2
log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class CompanyMatch:
    """A new name-only company key and the stored company it is, with why."""

    key: str
    match_key: str
    probability: float
    reason: str


@dataclass(frozen=True)
class NameMatches:
    """New name-only companies that are a stored one (`sure`), and those that may be, for a
    person to decide (`likely`: REVIEW_THRESHOLD or more, or sure but in another country)."""

    sure: list[CompanyMatch]
    likely: list[CompanyMatch]

    def keys(self) -> dict[str, str]:
        """New company key -> the stored company's match key, for the sure matches."""
        return {m.key: m.match_key for m in self.sure}


def company_matches(session: Session, rows: pl.DataFrame) -> NameMatches:
    """The matches of this batch's new name-only companies among the stored ones."""
    none = NameMatches([], [])
    named = rows.filter(
        pl.col("company_key").str.starts_with("name:") & pl.col("company_name_key").is_not_null()
    )
    if named.is_empty():
        return none
    wanted = named.group_by("company_key", maintain_order=True).agg(
        pl.col("company_name_key").first().alias("name_key"),
        pl.col("country_code").drop_nulls().first().alias("country"),
    )
    stored = _stored_names(session)
    wanted = wanted.filter(~pl.col("company_key").is_in(stored["match_key"].implode()))
    if wanted.is_empty() or stored.is_empty():
        return none
    both = pl.concat(
        [
            stored.with_columns(pl.lit(0).alias("side")),
            wanted.select(
                pl.col("company_key").alias("match_key"), "name_key", "country"
            ).with_columns(pl.lit(1).alias("side")),
        ]
    )
    return _name_matches(both)


def _stored_names(session: Session) -> pl.DataFrame:
    """Every stored company's match key, name key and country; domain-keyed ones first."""
    stored = pl.DataFrame(
        session.execute(
            select(Company.match_key, Company.name_key, Company.country_code).where(
                Company.name_key.is_not(None)
            )
        ).all(),
        schema={"match_key": pl.String, "name_key": pl.String, "country": pl.String},
        orient="row",
    )
    return stored.sort(pl.col("match_key").str.starts_with("domain:"), descending=True)


def _name_matches(both: pl.DataFrame) -> NameMatches:
    """Stored (side 0) and new (side 1) names compared as `dedupe --entity company` would,
    linking only across the two sides."""
    keys = map_distinct(both["name_key"], lambda v: (organisation_key(v),), {"v": pl.String})["v"]
    prepared = with_organisation_helpers(pl.DataFrame({"company": keys}))
    rules = [r for r in company_rules() if all(c in prepared.columns for c in r.needs)]
    sides = both["side"]
    blocking = candidate_pairs(prepared, rules, groups=sides)
    if blocking.pairs.is_empty():
        return NameMatches([], [])
    comparisons = comparisons_for(prepared.columns, entity="company")
    levels = compare(prepared, blocking.pairs, comparisons)
    stored_count = int((sides == 0).sum())
    u = estimate_u(prepared, comparisons, groups=sides, sample_pairs=U_SAMPLE_PAIRS)
    typical = [np.asarray(TYPICAL_M[c.kind], dtype=np.float64) for c in comparisons]
    model = MatchModel(comparisons, typical, u, prior=NEW_NAME_IS_STORED / stored_count)
    probability = model.probability(levels)
    i, j = blocking.pairs["i"].to_numpy(), blocking.pairs["j"].to_numpy()
    new, old = np.where(sides.to_numpy()[i] == 1, i, j), np.where(sides.to_numpy()[i] == 1, j, i)
    countries = both["country"].to_list()
    scored = pl.DataFrame({"new": new, "old": old, "p": probability, "level": levels[:, 0]}).filter(
        pl.col("p") >= REVIEW_THRESHOLD
    )
    # Best first; among equals the earlier stored row, which is domain-keyed when one is.
    best = scored.sort(["new", "p", "old"], descending=[False, True, False]).unique(
        "new", keep="first", maintain_order=True
    )
    sure, likely = [], []
    for new_row, old_row, p, level in best.iter_rows():
        one, other = countries[new_row], countries[old_row]
        abroad = one is not None and other is not None and one != other
        reason = _reason(model, comparisons[0], int(level))
        match = CompanyMatch(
            key=both["match_key"][new_row],
            match_key=both["match_key"][old_row],
            probability=float(p),
            reason=f"{reason}; country differs ({other}, {one})" if abroad else reason,
        )
        if p < MERGE_THRESHOLD or abroad:
            likely.append(match)
            continue
        log.info(
            "company joined by name",
            name=both["name_key"][new_row],
            company=match.match_key,
            probability=round(match.probability, 4),
            reason=match.reason,
        )
        sure.append(match)
    return NameMatches(sure, likely)


def _reason(model: MatchModel, comparison: Comparison, level: int) -> str:
    """ "name the same rare name (+18.2)"."""
    return f"name {comparison.labels[level]} ({float(model.weights()[0][level]):+.1f})"
