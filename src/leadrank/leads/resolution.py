"""Incremental identity resolution in the workspace: new leads are compared with the leads
that share their match block; sure matches are merged (undoably), likely ones wait for review,
and a person's decision on a pair holds for every later import."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import polars as pl
from sqlalchemy.orm import Session

from leadrank.kit.bulk import lookup_in
from leadrank.leads.match_weights import ROLE_MAP, match_frame, workspace_model
from leadrank.leads.merge_many import merge_many
from leadrank.matching.blocking import MAX_BLOCK
from leadrank.matching.compare import NULL, compare
from leadrank.matching.model import MatchModel
from leadrank.matching.prepare import prepare
from leadrank.matching.service import DEFAULT_THRESHOLD
from leadrank.orm import LeadReview

MERGE_THRESHOLD = DEFAULT_THRESHOLD
REVIEW_THRESHOLD = 0.5


@dataclass(frozen=True)
class ResolutionOutcome:
    """What incremental matching did with a batch of new leads."""

    merged: int = 0
    queued_for_review: int = 0


def scored_pairs(model: MatchModel, frame: pl.DataFrame, pairs: pl.DataFrame) -> pl.DataFrame:
    """Pairs (positions i, j in `frame`) with their lead ids, probability and field levels."""
    prepared = prepare(frame, ROLE_MAP)
    levels = compare(prepared, pairs, model.comparisons)
    probability = model.probability(levels)
    fields = [c.field for c in model.comparisons]
    # Two different emails, or two different phones, may be two people of one name at one
    # company: never merged without a person's decision, however likely.
    conflict = np.zeros(len(levels), dtype=bool)
    for field in ("email", "phone"):
        if field in fields:
            conflict |= levels[:, fields.index(field)] == 0
    ids = frame["id"]
    return pl.DataFrame(
        {
            "lead_a": ids.gather(pairs["i"]),
            "lead_b": ids.gather(pairs["j"]),
            "probability": probability,
            # The reasons are put in words later, only for the pairs a person will see.
            "levels": levels,
            "conflict": conflict,
        }
    ).with_columns(
        pl.min_horizontal("lead_a", "lead_b").alias("lead_a"),
        pl.max_horizontal("lead_a", "lead_b").alias("lead_b"),
    )


def explain(model: MatchModel, levels: np.ndarray) -> list[str]:
    """Plain words for a pair's levels, strongest evidence first: "email the same (+19.5)"."""
    weights = model.weights()
    said = [
        (float(weights[c][level]), f"{comp.field.replace('_', ' ')} {comp.labels[level]}")
        for c, (comp, level) in enumerate(zip(model.comparisons, levels, strict=True))
        if level != NULL
    ]
    said.sort(key=lambda item: -abs(item[0]))
    return [f"{words} ({weight:+.1f})" for weight, words in said]


def resolve_new_leads(session: Session, *, lead_ids: list[int], now: datetime) -> ResolutionOutcome:
    """Compare new leads with the leads of their match blocks; merge sure matches into the
    older lead, queue likely ones for review."""
    if not lead_ids:
        return ResolutionOutcome()
    new = match_frame(session, lead_ids)
    blocks = new["match_block"].drop_nulls().unique().to_list()
    if not blocks:
        return ResolutionOutcome()
    model = workspace_model(session, now=now)
    if model is None:
        return ResolutionOutcome()
    rows = lookup_in(
        session, table="leads", select=["id"], column="match_block", values=sorted(blocks)
    )
    frame = match_frame(session, sorted({int(r[0]) for r in rows}))
    pairs = _block_pairs(frame, set(lead_ids))
    if pairs.is_empty():
        return ResolutionOutcome()
    scored = scored_pairs(model, frame, pairs)
    scored = _without_decided(session, scored)
    sure = (pl.col("probability") >= MERGE_THRESHOLD) & ~pl.col("conflict")
    contacts = {
        lead_id: (email, phone)
        for lead_id, email, phone in frame.select("id", "email", "phone_e164").iter_rows()
    }
    merged, deferred = _merge_sure(session, scored.filter(sure), contacts, now)
    likely = scored.filter(~sure & (pl.col("probability") >= REVIEW_THRESHOLD))
    queued = _queue_likely(
        session, model, pl.concat([likely, deferred]), merged_away=merged, now=now
    )
    return ResolutionOutcome(merged=len(merged), queued_for_review=queued)


def _block_pairs(frame: pl.DataFrame, new_ids: set[int]) -> pl.DataFrame:
    """Positions (i < j) of leads sharing a match block, at least one of them new."""
    keyed = (
        frame.with_row_index("i")
        .select(
            pl.col("i").cast(pl.UInt32),
            "match_block",
            pl.col("id").is_in(list(new_ids)).alias("new"),
        )
        .filter(pl.col("match_block").is_not_null())
    )
    keyed = keyed.filter(pl.len().over("match_block") <= MAX_BLOCK)
    joined = keyed.join(keyed, on="match_block", suffix="_r").filter(
        (pl.col("i") < pl.col("i_r")) & (pl.col("new") | pl.col("new_r"))
    )
    return joined.select("i", pl.col("i_r").alias("j"))


def _without_decided(session: Session, scored: pl.DataFrame) -> pl.DataFrame:
    """Drop pairs someone has already decided or that already wait for review."""
    known = lookup_in(
        session,
        table="lead_reviews",
        select=["lead_a", "lead_b"],
        column="lead_a",
        values=[int(v) for v in scored["lead_a"].unique().to_list()],
    )
    if not known:
        return scored
    seen = pl.DataFrame(
        [(int(a), int(b)) for a, b in known], schema=["lead_a", "lead_b"], orient="row"
    ).cast(pl.Int64)
    return scored.join(seen, on=["lead_a", "lead_b"], how="anti")


def _merge_sure(
    session: Session,
    sure: pl.DataFrame,
    contacts: dict[int, tuple[str | None, str | None]],
    now: datetime,
) -> tuple[set[int], pl.DataFrame]:
    """Merge sure pairs, strongest first, the newer lead into the older. A lead merged away,
    or one that has absorbed another, takes no further part: no chains of merges. A lead whose
    email or phone differs from one its keeper has taken in meanwhile is left for review
    (two new namesakes can each match a lead without either). Returns the ids merged away and
    the pairs left for review."""
    gone: set[int] = set()
    keepers: dict[int, list[set[str]]] = {}  # keeper -> [emails, phones] merged into it
    chosen: list[tuple[int, int, float | None]] = []
    deferred: list[int] = []
    ordered = sure.sort("probability", descending=True)
    for row, (lead_a, lead_b, probability) in enumerate(
        ordered.select("lead_a", "lead_b", "probability").iter_rows()
    ):
        if lead_a in gone or lead_b in gone:
            continue
        # What earlier merges of this batch brought the keeper; its own values were weighed
        # in the pair's score already.
        held = keepers.get(lead_a, [set(), set()])
        incoming = contacts[lead_b]
        conflict = any(
            v is not None and held[k] and v not in held[k] for k, v in enumerate(incoming)
        )
        if conflict or lead_b in keepers:  # a person decides; chains are not followed
            deferred.append(row)
            continue
        for k, value in enumerate(incoming):
            if value is not None:
                held[k].add(value)
        keepers[lead_a] = held
        chosen.append((lead_a, lead_b, float(probability)))
        gone.add(lead_b)
    merge_many(session, chosen, by="auto", now=now)
    return gone, ordered[deferred]


def _queue_likely(
    session: Session,
    model: MatchModel,
    likely: pl.DataFrame,
    *,
    merged_away: set[int],
    now: datetime,
) -> int:
    """Pending reviews for likely pairs whose leads both still exist."""
    count = 0
    for lead_a, lead_b, probability, levels in likely.select(
        "lead_a", "lead_b", "probability", "levels"
    ).iter_rows():
        if lead_a in merged_away or lead_b in merged_away:
            continue
        session.add(
            LeadReview(
                lead_a=lead_a,
                lead_b=lead_b,
                match_score=float(probability),
                reasons=explain(model, np.asarray(levels)),
                status="pending",
                created_at=now,
            )
        )
        count += 1
    session.flush()
    return count
