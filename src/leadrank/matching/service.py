"""Finding the records of one person or company: roles, blocking, comparison, weights learnt
from the data, and clustering. Used by `leadrank dedupe` and by the workspace."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from leadrank.errors import BadInput
from leadrank.kit.progress import Progress, no_progress
from leadrank.kit.raw_tables import EXTRA_FIELDS_COLUMN
from leadrank.kit.readers import read_table
from leadrank.kit.tables import free_column_name, write_table
from leadrank.matching.affiliations import LEVELS
from leadrank.matching.blocking import MAX_BLOCK, candidate_pairs, rules_for
from leadrank.matching.cluster import cluster_rows
from leadrank.matching.compare import compare, comparisons_for
from leadrank.matching.model import MatchModel, train
from leadrank.matching.prepare import prepare, with_organisation_helpers
from leadrank.matching.roles import RoleMap, guess_roles

DEFAULT_THRESHOLD = 0.9


@dataclass(frozen=True)
class Matches:
    """Per row a cluster id and best match probability, and how they were found."""

    cluster_id: np.ndarray
    match_score: np.ndarray
    roles: RoleMap
    model: MatchModel
    candidate_pairs: int
    pairs_by_rule: dict[str, int]
    skipped_blocks: int
    threshold: float

    @property
    def clusters(self) -> int:
        """Entities found (a record alone is an entity of its own)."""
        return int(np.unique(self.cluster_id).size)

    def rule_shares(self) -> str:
        """ "name 41% (36,579), rare name word 30% (...)": each blocking rule's pairs, as a
        share of all it found (a pair two rules find counts for both)."""
        total = sum(self.pairs_by_rule.values())
        if not total:
            return "none"
        ranked = sorted(self.pairs_by_rule.items(), key=lambda item: -item[1])
        return ", ".join(
            f"{rule} {count / total:.0%} ({count:,})" for rule, count in ranked if count
        )

    @property
    def duplicate_rows(self) -> int:
        """Rows that belong to an entity seen on an earlier row."""
        return int(self.cluster_id.size - self.clusters)


def find_matches(
    frame: pl.DataFrame,
    *,
    entity: str = "person",
    threshold: float = DEFAULT_THRESHOLD,
    roles: RoleMap | None = None,
    groups: pl.Series | None = None,
    max_block: int = MAX_BLOCK,
    company_level: str = "organisation",
    progress: Progress = no_progress,
) -> Matches:
    """Cluster the rows of `frame` into entities. With `groups`, only rows of different groups
    are compared (linking files that are each free of duplicates). Companies named with their
    address are one entity per organisation, or per site (`company_level`)."""
    if not 0.0 < threshold < 1.0:
        raise BadInput("--threshold must be between 0 and 1 (a match probability)")
    if company_level not in LEVELS:
        raise BadInput(f"--company-level must be {' or '.join(LEVELS)}, got {company_level!r}")
    roles = roles or guess_roles(frame, entity=entity)
    if frame.height < 2:  # nothing to compare: each row is its own entity
        return Matches(
            cluster_id=np.arange(1, frame.height + 1, dtype=np.int64),
            match_score=np.full(frame.height, np.nan),
            roles=roles,
            model=MatchModel([], [], [], 0.5),
            candidate_pairs=0,
            pairs_by_rule={},
            skipped_blocks=0,
            threshold=threshold,
        )
    if entity == "company":
        prepared = with_organisation_helpers(prepare(frame, roles, company_level=company_level))
    else:
        prepared = prepare(frame, roles)
    steps = 5
    progress("match", 1, steps)
    rules = rules_for(entity, prepared.columns)
    if not rules:
        raise BadInput(
            f"the columns found ({roles.described()}) give no way to block {entity} records; "
            "add names, emails, phones or addresses with --column ROLE=COLUMN"
        )
    blocking = candidate_pairs(prepared, rules, max_block=max_block, groups=groups)
    progress("match", 2, steps)
    comparisons = comparisons_for(prepared.columns, entity=entity, company_level=company_level)
    levels = compare(prepared, blocking.pairs, comparisons)
    progress("match", 3, steps)
    model = train(
        prepared,
        blocking,
        comparisons,
        levels,
        possible_pairs=_possible_pairs(frame.height, groups),
        groups=groups,
    )
    probability = _apart_by_unit(prepared, blocking.pairs, model.probability(levels))
    progress("match", 4, steps)
    cluster_id, match_score = cluster_rows(
        frame.height,
        blocking.pairs,
        probability,
        threshold=threshold,
        signature=_record_signatures(prepared, [c.field for c in comparisons]),
    )
    progress("match", 5, steps)
    return Matches(
        cluster_id=cluster_id,
        match_score=match_score,
        roles=roles,
        model=model,
        candidate_pairs=blocking.pairs.height,
        pairs_by_rule=blocking.pairs_by_rule,
        skipped_blocks=blocking.skipped_blocks,
        threshold=threshold,
    )


def _record_signatures(prepared: pl.DataFrame, fields: list[str]) -> np.ndarray:
    """A number per distinct record: rows alike in every compared field share one."""
    columns = [f for f in fields if f in prepared.columns]
    if "_unit" in prepared.columns:
        columns.append("_unit")
    hashed = prepared.select(columns).hash_rows(seed=0)
    return hashed.rank("dense").cast(pl.Int64).to_numpy() - 1


def _apart_by_unit(
    prepared: pl.DataFrame, pairs: pl.DataFrame, probability: np.ndarray
) -> np.ndarray:
    """At site level, two departments (schools, divisions) of one organisation are two sites,
    however alike the rest: such pairs are never matched."""
    if "_unit" not in prepared.columns:
        return probability
    left, right = prepared["_unit"].gather(pairs["i"]), prepared["_unit"].gather(pairs["j"])
    both = pl.DataFrame({"a": left, "b": right})
    # Units agree when they share a word that names what they do ("Dept. of Physics",
    # "Physics Department"), apart when they share none.
    apart = both.select(
        pl.col("a").is_not_null()
        & pl.col("b").is_not_null()
        & (pl.col("a").list.set_intersection(pl.col("b")).list.len() == 0)
    ).to_series()
    return np.where(apart.fill_null(False).to_numpy(), 0.0, probability)


def _possible_pairs(rows: int, groups: pl.Series | None) -> int:
    """Pairs that could match: all pairs, or only pairs across groups when linking."""
    if groups is None:
        return rows * (rows - 1) // 2
    sizes = [int(size) for size in groups.value_counts()["count"].to_list()]
    return (sum(sizes) ** 2 - sum(size * size for size in sizes)) // 2


def parse_columns(choices: Sequence[str]) -> dict[str, str]:
    """ "role=column" choices from the command line."""
    parsed: dict[str, str] = {}
    for choice in choices:
        role, sep, column = choice.partition("=")
        if not sep or not role.strip() or not column.strip():
            raise BadInput(f"--column takes ROLE=COLUMN, got {choice!r}")
        parsed[role.strip()] = column.strip()
    return parsed


def dedupe_file(
    source: Path,
    output: Path,
    *,
    entity: str = "person",
    threshold: float = DEFAULT_THRESHOLD,
    columns: Mapping[str, str] | None = None,
    ignore: Sequence[str] = (),
    company_level: str = "organisation",
    progress: Progress = no_progress,
    safe_cells: bool = True,
) -> Matches:
    """Write every input row plus `cluster_id` and `match_score`; rows of one entity share the
    cluster id (`safe_cells`: see `kit.tables.write_table`)."""
    if source.resolve() == output.resolve():
        raise BadInput("the output file must differ from the input file")
    table = read_table(source)
    frame = table.frame.drop(EXTRA_FIELDS_COLUMN, strict=False)
    roles = guess_roles(frame, entity=entity, explicit=columns, ignore=ignore)
    matches = find_matches(
        frame,
        entity=entity,
        threshold=threshold,
        roles=roles,
        company_level=company_level,
        progress=progress,
    )
    taken = {c.casefold() for c in frame.columns}
    result = frame.with_columns(
        pl.Series(free_column_name("cluster_id", taken), matches.cluster_id, dtype=pl.Int64),
        pl.Series(free_column_name("match_score", taken), matches.match_score, dtype=pl.Float64)
        .fill_nan(None)
        .round(4),
    )
    write_table(result, output, safe_cells=safe_cells)
    return matches
