"""Companies that may be one organisation: queued when a name written another way could not be
settled by the comparisons (`company_resolution`), listed beside the lead pairs in `leadrank
leads duplicates`, and decided by a person. "Same" folds the newer company into the older:
its leads move over, the kept company's empty fields are filled from it, and its match key
stays behind as an alias, so later rows naming it join the kept company. "Different" holds:
the pair is not offered again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from leadrank.errors import BadInput
from leadrank.kit.bulk import bulk_update, lookup_in
from leadrank.kit.sql import get_or_404, insert_missing, table_of
from leadrank.leads import repository
from leadrank.leads.company_resolution import CompanyMatch
from leadrank.matching.prepare import lead_blocks
from leadrank.orm import Company, CompanyAlias, CompanyReview, Lead
from leadrank.orm.scoring import AccountScore, PendingRescore

# Filled on the kept company from the folded one where the kept one has nothing.
FILLED = (
    "domain",
    "name",
    "linkedin_url",
    "industry",
    "employees",
    "employees_min",
    "employees_max",
    "revenue",
    "revenue_min",
    "revenue_max",
    "country_code",
)


@dataclass(frozen=True)
class PendingCompanies:
    """Two companies waiting for a decision, with how many leads each has."""

    review: CompanyReview
    first: Company
    second: Company
    first_leads: int
    second_leads: int


def queue_likely(session: Session, likely: list[CompanyMatch], *, now: datetime) -> int:
    """A pending review for each likely match whose companies both exist and were never
    reviewed; how many were queued."""
    if not likely:
        return 0
    ids = repository.find_company_ids(
        session, [m.key for m in likely] + [m.match_key for m in likely]
    )
    queued = 0
    for match in likely:
        one, other = ids.get(match.key), ids.get(match.match_key)
        if one is None or other is None or one == other:
            continue
        low, high = sorted((one, other))
        seen = session.scalar(
            select(CompanyReview.id).where(
                CompanyReview.company_a == low, CompanyReview.company_b == high
            )
        )
        if seen is not None:
            continue
        session.add(
            CompanyReview(
                company_a=low,
                company_b=high,
                match_score=match.probability,
                reasons=[match.reason],
                status="pending",
                created_at=now,
            )
        )
        queued += 1
    session.flush()
    return queued


def remember_joins(session: Session, sure: list[CompanyMatch], *, now: datetime) -> None:
    """Each name joined to a stored company becomes an alias of it, with the reason: later
    rows of that name join it at once, and `leads show` says why."""
    if not sure:
        return
    ids = repository.find_company_ids(session, [m.match_key for m in sure])
    rows = [
        {
            "match_key": match.key,
            "company_id": ids[match.match_key],
            "folded_id": None,
            "match_score": match.probability,
            "reason": match.reason,
            "created_at": now,
        }
        for match in sure
        if match.match_key in ids
    ]
    if rows:
        insert_missing(session.connection(), table_of(CompanyAlias), rows)


def aliases_of(session: Session, company_id: int) -> list[CompanyAlias]:
    """The other keys of a company, oldest first."""
    return list(
        session.scalars(
            select(CompanyAlias)
            .where(CompanyAlias.company_id == company_id)
            .order_by(CompanyAlias.created_at, CompanyAlias.match_key)
        ).all()
    )


def pending_company_pairs(
    session: Session, *, limit: int = 50
) -> tuple[list[PendingCompanies], int]:
    """The likeliest pending company pairs first, and how many are pending."""
    reviews = session.scalars(
        select(CompanyReview)
        .where(CompanyReview.status == "pending")
        .order_by(CompanyReview.match_score.desc(), CompanyReview.id)
    ).all()
    pairs = []
    for review in reviews[:limit]:
        first = session.get(Company, review.company_a)
        second = session.get(Company, review.company_b)
        if first is not None and second is not None:
            pairs.append(
                PendingCompanies(
                    review,
                    first,
                    second,
                    _lead_count(session, first.id),
                    _lead_count(session, second.id),
                )
            )
    return pairs, len(reviews)


def _lead_count(session: Session, company_id: int) -> int:
    return int(
        session.scalar(select(func.count(Lead.id)).where(Lead.company_id == company_id)) or 0
    )


def decide_companies(
    session: Session, *, company_a: int, company_b: int, same: bool, by: str, now: datetime
) -> Company | None:
    """Record a person's decision on two companies; "same" folds the newer into the older and
    returns the kept company."""
    low, high = sorted((company_a, company_b))
    if low == high:
        raise BadInput("give two different company ids")
    kept = get_or_404(session, Company, low, name="company")
    folded = get_or_404(session, Company, high, name="company")
    review = session.scalar(
        select(CompanyReview).where(CompanyReview.company_a == low, CompanyReview.company_b == high)
    )
    if review is None:
        review = CompanyReview(
            company_a=low, company_b=high, match_score=1.0 if same else 0.0, reasons=[],
            created_at=now,
        )  # fmt: skip
        session.add(review)
    review.status = "same" if same else "different"
    review.decided_at, review.decided_by = now, f"review:{by}"
    session.flush()
    if not same:
        return None
    fold_company(session, kept=kept, folded=folded, by=f"review:{by}", now=now)
    return kept


def fold_company(
    session: Session, *, kept: Company, folded: Company, by: str, now: datetime
) -> None:
    """Move `folded`'s leads to `kept`, fill `kept`'s empty fields, leave `folded`'s match key
    (and its aliases) pointing at `kept`, and mark the moved leads for rescoring."""
    for field in FILLED:
        if getattr(kept, field) is None and getattr(folded, field) is not None:
            setattr(kept, field, getattr(folded, field))
            kept.provenance = {**kept.provenance, field: folded.provenance.get(field)}
    kept.updated_at = now
    moved = _move_leads(session, source=folded.id, target=kept.id)
    session.execute(
        update(CompanyAlias).where(CompanyAlias.company_id == folded.id).values(company_id=kept.id)
    )
    session.add(
        CompanyAlias(
            match_key=folded.match_key,
            company_id=kept.id,
            folded_id=folded.id,
            reason=f"company {folded.id} folded into it by {by}",
            created_at=now,
        )
    )
    # Its account score is a roll-up of leads that are now the kept company's.
    session.execute(delete(AccountScore).where(AccountScore.company_id == folded.id))
    session.execute(
        delete(CompanyReview).where(
            CompanyReview.status == "pending",
            or_(CompanyReview.company_a == folded.id, CompanyReview.company_b == folded.id),
        )
    )
    session.flush()
    session.delete(folded)
    # Their company's firmographics changed: the next rescore of what changed scores them.
    session.add_all(PendingRescore(lead_id=lead_id, marked_at=now) for lead_id in moved)
    session.flush()


def _move_leads(session: Session, *, source: int, target: int) -> list[int]:
    """Move a company's leads to another, with new match blocks (a lead is blocked at its
    company); their ids."""
    rows = lookup_in(
        session,
        table="leads",
        select=["id", "first_name", "last_name", "country_code"],
        column="company_id",
        values=[source],
    )
    leads = pl.DataFrame(
        rows,
        schema={
            "id": pl.Int64,
            "first_name": pl.String,
            "last_name": pl.String,
            "country_code": pl.String,
        },
        orient="row",
    ).with_columns(pl.lit(target, dtype=pl.Int64).alias("company_id"))
    blocks = lead_blocks(
        leads["first_name"], leads["last_name"], leads["company_id"], leads["country_code"]
    )
    bulk_update(session, Lead, leads.select("id", "company_id", blocks))
    return leads["id"].to_list()
