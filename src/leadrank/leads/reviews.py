"""Reviewing likely duplicates: list the pairs, decide them, undo merges."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadrank.errors import BadInput, NotFound
from leadrank.kit.sql import get_or_404
from leadrank.leads import repository
from leadrank.leads.merge_pair import latest_merge, merge_leads, record_decision, unmerge
from leadrank.orm import Lead, LeadMerge, LeadReview


@dataclass(frozen=True)
class PendingPair:
    """A pair waiting for a decision, with both leads."""

    review: LeadReview
    first: Lead
    second: Lead


def pending_pairs(session: Session, *, limit: int = 50) -> tuple[list[PendingPair], int]:
    """The likeliest pending pairs first (both leads still there), and how many are pending."""
    reviews = session.scalars(
        select(LeadReview)
        .where(LeadReview.status == "pending")
        .order_by(LeadReview.match_score.desc(), LeadReview.id)
    ).all()
    pairs = []
    for review in reviews:
        first, second = session.get(Lead, review.lead_a), session.get(Lead, review.lead_b)
        if first is not None and second is not None:
            pairs.append(PendingPair(review, first, second))
    return pairs[:limit], len(pairs)


def pending_pair_at(session: Session, *, position: int) -> tuple[PendingPair | None, int]:
    """The pending pair at `position` (from 0) in `pending_pairs`' order, or the last one when
    the queue is shorter (None when it is empty), and how many are pending."""
    total = repository.count_pending_reviews(session)
    if total == 0:
        return None, 0
    review = repository.pending_review_at(session, min(position, total - 1))
    if review is None:  # a decision between the count and the read
        return None, total
    first, second = session.get(Lead, review.lead_a), session.get(Lead, review.lead_b)
    if first is None or second is None:  # the query joined both: only a race gets here
        return None, total
    return PendingPair(review, first, second), total


def pending_count(session: Session) -> int:
    """How many pairs wait for a decision (both leads still there), as `pending_pairs`
    counts them."""
    return repository.count_pending_reviews(session)


def pending_pairs_of(session: Session, *, lead_id: int) -> list[PendingPair]:
    """The pending pairs that include this lead (both leads still there), likeliest first."""
    pairs = []
    for review in repository.pending_reviews_of(session, lead_id):
        first, second = session.get(Lead, review.lead_a), session.get(Lead, review.lead_b)
        if first is not None and second is not None:
            pairs.append(PendingPair(review, first, second))
    return pairs


def decide(
    session: Session, *, lead_a: int, lead_b: int, same: bool, by: str, now: datetime
) -> LeadMerge | None:
    """Record a person's decision on two leads; "same" merges the newer into the older.
    Returns the merge when there was one."""
    low, high = sorted((lead_a, lead_b))
    if low == high:
        raise BadInput("give two different lead ids")
    for lead_id in (low, high):
        get_or_404(session, Lead, lead_id, name="lead")
    review = session.scalar(
        select(LeadReview).where(LeadReview.lead_a == low, LeadReview.lead_b == high)
    )
    record_decision(session, lead_a=low, lead_b=high, same=same, by=f"review:{by}", now=now)
    if not same:
        return None
    score = review.match_score if review is not None else None
    return merge_leads(session, keep=low, absorb=high, score=score, by=f"review:{by}", now=now)


def undo_merge(
    session: Session, *, lead_id: int, merge_id: int | None, by: str, now: datetime
) -> Lead:
    """Undo the newest merge into a lead (or the one given); returns the lead brought back."""
    if merge_id is None:
        merge = latest_merge(session, lead_id=lead_id)
    else:
        found = session.get(LeadMerge, merge_id)
        if found is None or found.kept_lead_id != lead_id:
            raise NotFound(f"no merge {merge_id} into lead {lead_id}")
        merge = found
    return unmerge(session, merge=merge, by=f"review:{by}", now=now)
