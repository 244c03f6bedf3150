"""`/accounts` and `/accounts/{id}`: companies ranked by their account score (rolled up from
their leads' scores by each scoring run), and one company with its fields, its leads by grade
and the chance that at least one of them converts."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from leadrank.deps import DbSession
from leadrank.errors import NotFound
from leadrank.leads import company_reviews, repository, service
from leadrank.leads.browse import MAX_PAGE, LeadFilters, LeadRow, browse_leads
from leadrank.orm.base import LARGEST_ID
from leadrank.scoring.repository import accounts_page, served_run
from leadrank.web.deps import WebReader
from leadrank.web.errors import WebRoute
from leadrank.web.lead_charts import grades_chart
from leadrank.web.lead_view import COMPANY_FIELDS, fields_of
from leadrank.web.responses import render

router = APIRouter(route_class=WebRoute, include_in_schema=False)
PAGE_SIZE = 50
GRADES = "ABCDE"


@router.get("/accounts")
def accounts(
    request: Request,
    session: DbSession,
    user: WebReader,
    grade: Annotated[str | None, Query(pattern="^[A-Ea-e]?$")] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """Companies by account score, best first, a page at a time (of one grade, if asked)."""
    chosen = grade.upper() if grade else None
    rows, total = accounts_page(
        session, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, grade=chosen
    )
    best_ids = tuple(account.best_lead_id for account, _ in rows)
    best = _rows_by_id(session, best_ids)
    try:
        run = served_run(session)
    except NotFound:
        run = None
    context = {
        "rows": rows,
        "best": best,
        "total": total,
        "grade": chosen,
        "page": page,
        "pages": max(1, math.ceil(total / PAGE_SIZE)),
        "page_size": PAGE_SIZE,
        "run": run,
        "grades": GRADES,
        "with_probability": any(a.probability is not None for a, _ in rows),
    }
    return render(request, "accounts/list.html", context)


@router.get("/accounts/{company_id}")
def account(
    request: Request,
    session: DbSession,
    user: WebReader,
    company_id: Annotated[int, Path(ge=1, le=LARGEST_ID)],
) -> Response:
    """One company: its account score, its fields with where they came from, and its leads
    grouped by the grade they are served with."""
    company = service.get_company(session, company_id=company_id)
    scored = repository.account_of_company(session, company.id)
    ids = repository.lead_ids_of_company(session, company.id, limit=MAX_PAGE)
    total = repository.count_leads_of_company(session, company.id)
    leads = _rows_by_id(session, tuple(ids))
    rows = sorted(
        leads.values(), key=lambda r: (-(r.score if r.score is not None else -1), r.lead.id)
    )
    by_grade: dict[str, list[LeadRow]] = {g: [] for g in [*GRADES, ""]}
    for row in rows:
        by_grade[row.grade or ""].append(row)
    counts = {g: len(by_grade[g]) for g in GRADES}
    imports = service.imports_by_id(
        session, [place[0] for place in (company.provenance or {}).values() if place]
    )
    context = {
        "company": company,
        "account": scored,
        "by_grade": by_grade,
        "counts": counts,
        "total": total,
        "shown": len(rows),
        "chance": _chance(scored.probability if scored else None, rows),
        "with_probability": any(r.probability is not None for r in rows),
        "best": rows[0] if rows else None,
        "chart": grades_chart(counts),
        "fields": fields_of(company, COMPANY_FIELDS, imports),
        "aliases": company_reviews.aliases_of(session, company.id),
        "now": datetime.now(UTC),
    }
    return render(request, "accounts/detail.html", context)


def _rows_by_id(session: Session, ids: tuple[int, ...]) -> dict[int, LeadRow]:
    """These leads with their served scores, by id (none asked: none, not every lead)."""
    if not ids:
        return {}
    rows, _ = browse_leads(session, filters=LeadFilters(ids=ids), limit=min(len(ids), MAX_PAGE))
    return {row.lead.id: row for row in rows}


def _chance(stored: float | None, rows: list[LeadRow]) -> float | None:
    """The chance at least one lead converts: the account score's, else from the leads'
    probabilities (1 - the product of each one's chance of not converting); None without a
    model's probabilities."""
    if stored is not None:
        return stored
    chances = [r.probability for r in rows if r.probability is not None]
    if not chances:
        return None
    return 1 - math.prod(1 - min(max(p, 0.0), 1.0) for p in chances)
