"""Fuzzy company names in the workspace: a row naming "Acme Analytic" (no domain) joins the
stored "Acme Analytics" of the same country instead of creating a second company.

Exact keys come first (registrable domain, then the normalised name without legal suffixes);
this step only looks at names no company carries yet. Candidates share the name's first word;
a candidate is taken when the names are nearly the same (Jaro-Winkler) and the countries do not
disagree. Companies with a domain are preferred, as they are the better-known record.
"""

from __future__ import annotations

import polars as pl
from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler
from rapidfuzz.process import extractOne
from sqlalchemy import select
from sqlalchemy.orm import Session

from leadrank.orm import Company

SAME_NAME = 0.95  # Jaro-Winkler of the normalised names
MAX_CANDIDATES = 200  # companies per first word compared with one name


def fuzzy_company_keys(session: Session, rows: pl.DataFrame) -> dict[str, str]:
    """For name-only company keys that no company has yet: the match key of the stored company
    of nearly the same name, when there is one."""
    named = rows.filter(
        pl.col("company_key").str.starts_with("name:") & pl.col("company_name_key").is_not_null()
    )
    if named.is_empty():
        return {}
    wanted = named.group_by("company_key").agg(
        pl.col("company_name_key").first(), pl.col("country_code").drop_nulls().first()
    )
    first_words = {key.split(" ")[0] for key in wanted["company_name_key"].to_list()}
    stored = pl.DataFrame(
        session.execute(
            select(Company.match_key, Company.name_key, Company.country_code).where(
                Company.name_key.is_not(None)
            )
        ).all(),
        schema={"match_key": pl.String, "name_key": pl.String, "country": pl.String},
        orient="row",
    )
    stored = stored.with_columns(pl.col("name_key").str.split(" ").list.first().alias("word"))
    stored = stored.filter(pl.col("word").is_in(list(first_words)))
    if stored.is_empty():
        return {}
    # Domain-keyed companies first, so that a tie goes to the better-known record.
    stored = stored.sort(pl.col("match_key").str.starts_with("domain:"), descending=True)
    by_word = stored.partition_by("word", as_dict=True)
    exact = set(stored["match_key"].to_list())
    found: dict[str, str] = {}
    for key, name, country in wanted.iter_rows():
        if key in exact:
            continue
        block = by_word.get((name.split(" ")[0],))
        if block is None:
            continue
        if country is not None:
            block = block.filter(pl.col("country").is_null() | (pl.col("country") == country))
        fits = [_compatible(name, other) for other in block["name_key"].to_list()]
        block = block.filter(pl.Series(fits, dtype=pl.Boolean)).head(MAX_CANDIDATES)
        if block.is_empty():
            continue
        best = extractOne(
            name,
            block["name_key"].to_list(),
            scorer=JaroWinkler.normalized_similarity,
            score_cutoff=SAME_NAME,
        )
        if best is not None and block["match_key"][best[2]] != key:
            found[key] = block["match_key"][best[2]]
    return found


def _compatible(name: str, other: str) -> bool:
    """Whether two nearly equal names may be one business. "Acme Holdings East" and "West",
    "Alpha Capital 1" and "2" differ where businesses differ: in the numbers and the last word.
    A last word may differ by a plural or, when long, by one typo ("Analytcs")."""
    if "".join(c for c in name if c.isdigit()) != "".join(c for c in other if c.isdigit()):
        return False
    last, other_last = name.split(" ")[-1], other.split(" ")[-1]
    if last == other_last or last + "s" == other_last or other_last + "s" == last:
        return True
    return (
        min(len(last), len(other_last)) >= 6 and DamerauLevenshtein.distance(last, other_last) <= 1
    )
