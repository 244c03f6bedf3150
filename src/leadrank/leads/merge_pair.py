"""Merging one lead into another, and undoing it.

A merge fills the kept lead's empty fields from the other (never an empty value over a filled
one; the value keeps its provenance), unions attributes and sources, moves keys, bronze records
and events, and records a snapshot. Undoing it restores the merged lead with its id, moves back
what was moved, clears from the kept lead the values the merge brought (unless something has
changed them since), and records that the two are different people, so no later import merges
them again.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from leadrank.errors import BadInput, NotFound
from leadrank.kit.sql import get_or_404
from leadrank.leads.merge_many import DATETIMES, FIELDS, merge_many
from leadrank.leads.upsert_existing import reconciled_issues
from leadrank.matching.prepare import lead_blocks
from leadrank.orm import (
    BronzeRecord,
    Company,
    CompanyAlias,
    Event,
    Lead,
    LeadKey,
    LeadMerge,
    LeadReview,
)


def _restored(row: dict[str, Any]) -> dict[str, Any]:
    return {
        k: datetime.fromisoformat(v) if k in DATETIMES and isinstance(v, str) else v
        for k, v in row.items()
    }


def _set_json(lead: Lead, **values: Any) -> None:
    # These columns take JSON text (bulk paths encode it in Arrow); reads give it back decoded.
    for name, value in values.items():
        setattr(lead, name, json.dumps(value, ensure_ascii=False))


def _lead(session: Session, lead_id: int) -> Lead:
    return get_or_404(session, Lead, lead_id, name="lead")


def merge_leads(
    session: Session, *, keep: int, absorb: int, score: float | None, by: str, now: datetime
) -> LeadMerge:
    """Fold lead `absorb` into lead `keep`; returns the recorded merge."""
    if keep == absorb:
        raise BadInput("a lead cannot be merged into itself")
    _lead(session, keep), _lead(session, absorb)
    (merge_id,) = merge_many(session, [(keep, absorb, score)], by=by, now=now)
    merge = session.get(LeadMerge, merge_id)
    assert merge is not None
    return merge


def _block_of(lead: Lead) -> str | None:
    block = lead_blocks(
        pl.Series([lead.first_name], dtype=pl.String),
        pl.Series([lead.last_name], dtype=pl.String),
        pl.Series([lead.company_id], dtype=pl.Int64),
        pl.Series([lead.country_code], dtype=pl.String),
    )[0]
    return None if block is None else str(block)


def latest_merge(session: Session, *, lead_id: int) -> LeadMerge:
    """The newest merge into this lead that has not been undone."""
    merge = session.scalar(
        select(LeadMerge)
        .where(LeadMerge.kept_lead_id == lead_id, LeadMerge.undone_at.is_(None))
        .order_by(LeadMerge.id.desc())
        .limit(1)
    )
    if merge is None:
        raise NotFound(f"lead {lead_id} has no merge to undo")
    return merge


def unmerge(session: Session, *, merge: LeadMerge, by: str, now: datetime) -> Lead:
    """Undo a merge; returns the lead brought back."""
    if merge.undone_at is not None:
        raise BadInput(f"merge {merge.id} was already undone")
    newest = latest_merge(session, lead_id=merge.kept_lead_id)
    if newest.id != merge.id:
        # What a merge brought can only be told apart from what came after it, newest first.
        raise BadInput(
            f"lead {merge.kept_lead_id} has a newer merge ({newest.id}); undo that one first"
        )
    kept = _lead(session, merge.kept_lead_id)
    before, merged = merge.snapshot["kept"], merge.snapshot["merged"]
    restored = Lead(**_restored(merged))
    if restored.company_id is not None and session.get(Company, restored.company_id) is None:
        # Its company was folded into another since: the lead comes back at that one.
        restored.company_id = session.scalar(
            select(CompanyAlias.company_id).where(CompanyAlias.folded_id == restored.company_id)
        )
        restored.match_block = _block_of(restored)
    _set_json(
        restored,
        provenance=merged["provenance"],
        attributes=merged["attributes"],
        sources=merged["sources"],
        issues=merged["issues"],
    )
    session.add(restored)
    session.flush()

    # Values the merge brought go, unless an import has changed them since.
    provenance = dict(kept.provenance or {})
    for name in FIELDS:
        brought = before.get(name) is None and merged.get(name) is not None
        if brought and _same(getattr(kept, name), merged[name]):
            setattr(kept, name, None)
            if provenance.get(name) == (merged.get("provenance") or {}).get(name):
                provenance.pop(name, None)
    attributes = dict(kept.attributes or {})
    for name, value in (merged.get("attributes") or {}).items():
        if name not in (before.get("attributes") or {}) and attributes.get(name) == value:
            attributes.pop(name)
    # Only what the merge brought goes: sources and a better quality score it added.
    new_sources = [s for s in merged.get("sources") or [] if s not in before["sources"]]
    sources = [s for s in kept.sources if s not in new_sources] or before["sources"]
    if kept.quality_score == max(
        before.get("quality_score") or 0.0, merged.get("quality_score") or 0.0
    ):
        kept.quality_score = before.get("quality_score")
    # Issues the merge settled come back when the value that settled them is gone again.
    current = {name: getattr(kept, name) for name in FIELDS}
    issues = reconciled_issues(
        list(dict.fromkeys([*(kept.issues or []), *(before.get("issues") or [])])), current
    )
    _set_json(kept, provenance=provenance, attributes=attributes, sources=sources, issues=issues)
    kept.match_block = _block_of(kept)
    kept.updated_at = now

    for key_type, key_value in merge.snapshot["keys"]:
        session.execute(
            update(LeadKey)
            .where(LeadKey.key_type == key_type, LeadKey.key_value == key_value)
            .where(LeadKey.lead_id == kept.id)
            .values(lead_id=restored.id)
        )
    for model, ids in ((BronzeRecord, merge.snapshot["bronze"]), (Event, merge.snapshot["events"])):
        if ids:
            session.execute(
                update(model)
                .where(model.id.in_(ids), model.lead_id == kept.id)
                .values(lead_id=restored.id)
            )
    moved_merges = merge.snapshot.get("merges") or []
    if moved_merges:
        session.execute(
            update(LeadMerge).where(LeadMerge.id.in_(moved_merges)).values(kept_lead_id=restored.id)
        )
    merge.undone_at = now
    record_decision(
        session,
        lead_a=kept.id,
        lead_b=restored.id,
        same=False,
        by=by,
        now=now,
        score=merge.match_score,
    )
    session.flush()
    return restored


def _same(current: Any, stored: Any) -> bool:
    if isinstance(current, datetime) and isinstance(stored, str):
        return current == datetime.fromisoformat(stored)
    return bool(current == stored)


def record_decision(
    session: Session,
    *,
    lead_a: int,
    lead_b: int,
    same: bool,
    by: str,
    now: datetime,
    score: float | None = None,
) -> LeadReview:
    """Record that two leads are (or are not) one person; it holds for later imports."""
    low, high = min(lead_a, lead_b), max(lead_a, lead_b)
    review = session.scalar(
        select(LeadReview).where(LeadReview.lead_a == low, LeadReview.lead_b == high)
    )
    if review is None:
        review = LeadReview(
            lead_a=low,
            lead_b=high,
            match_score=score if score is not None else 0.0,
            reasons=[],
            created_at=now,
            status="pending",
        )
        session.add(review)
    review.status = "same" if same else "different"
    review.decided_at = now
    review.decided_by = by
    session.flush()
    return review
