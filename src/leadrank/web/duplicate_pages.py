"""`/duplicates`: the review queue of records that may be one person (lead pairs) or one
organisation (company pairs), a pair at a time: both records side by side with the fields
that agree and differ, the match probability and the comparisons behind it; Same merges them,
Different keeps them apart for good, Skip moves on. Writers decide; readers see the queue.

The queue and the decisions are `leads.reviews`' and `leads.company_reviews`', as
`leadrank leads duplicates` and `leadrank leads review` use them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import Response

from leadrank.deps import DbSession
from leadrank.leads.company_reviews import decide_companies, pending_company_pairs
from leadrank.leads.reviews import decide, pending_count, pending_pair_at
from leadrank.orm import Company, Lead
from leadrank.orm.matching import PairDecision
from leadrank.web.deps import WebReader, WebWriter
from leadrank.web.errors import WebRoute
from leadrank.web.lead_view import COMPANY_FIELDS, LEAD_FIELDS, label
from leadrank.web.responses import go_to, is_partial, render_view
from leadrank.web.templating import when

router = APIRouter(route_class=WebRoute, include_in_schema=False)
Kind = Literal["people", "companies"]
Verdict = Literal["agrees", "differs", "partial"]
Position = Annotated[int, Query(ge=0, le=1_000_000)]

# The match comparison that weighs a field, as the pair's reasons name it; both records show
# every field of the lead page (`lead_view`), these with what their comparison found.
LEAD_COMPARISONS = {
    "email": "email",
    "phone_e164": "phone",
    "first_name": "first name",
    "last_name": "last name",
    "job_title": "title",
    "linkedin_url": "linkedin",
    "city": "city",
    "state": "state",
    "country_code": "country",
    "company_name": "company",
    "company_domain": "domain",
}
COMPANY_COMPARISONS = {
    "name": "name",
    "domain": "domain",
    "industry": "industry",
    "employees": "employees",
    "revenue": "revenue",
    "country_code": "country",
    "linkedin_url": "linkedin",
}


@dataclass(frozen=True)
class FieldRow:
    """One field of both records, whether they agree, and the comparison that weighed it."""

    label: str
    first: str
    second: str
    verdict: Verdict
    evidence: str | None  # what the comparison found: "the same (+6.7)"


@dataclass(frozen=True)
class Side:
    """One record of a pair, as its column heading shows it."""

    id: int
    title: str
    href: str
    note: str  # where it came from, or how many leads it has


@dataclass(frozen=True)
class PairCard:
    """The pair shown: both records, how likely one, and why."""

    kind: Kind
    at: int
    review: PairDecision
    first: Side
    second: Side
    rows: list[FieldRow]
    reasons: list[str]

    @property
    def agreeing(self) -> int:
        """How many fields hold the same value in both."""
        return sum(row.verdict == "agrees" for row in self.rows)

    @property
    def differing(self) -> int:
        """How many fields hold different values."""
        return sum(row.verdict == "differs" for row in self.rows)

    @property
    def evidence(self) -> list[tuple[str, str]]:
        """Each reason with whether it speaks for one record ("for"), against ("against"),
        or neither: a weight's sign when it has one, else its words."""
        return [(reason, _tone(reason)) for reason in self.reasons]


def _tone(reason: str) -> str:
    if "(+" in reason:
        return "for"
    if "(-" in reason or " differ" in reason:
        return "against"
    return ""


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return when(value)
    if isinstance(value, float):
        return f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value).strip()


def _verdict(first: str, second: str) -> Verdict:
    if first and second:
        return "agrees" if first.casefold() == second.casefold() else "differs"
    return "partial"


def _rows(
    first: Any, second: Any, fields: list[str], comparisons: dict[str, str], reasons: list[str]
) -> list[FieldRow]:
    """The fields either record holds, each with its verdict and its comparison's reason."""
    rows = []
    for attribute in fields:
        compared = comparisons.get(attribute)
        one, other = _text(getattr(first, attribute)), _text(getattr(second, attribute))
        if not one and not other:
            continue
        said = next(
            (r for r in reasons if compared and r.casefold().startswith(f"{compared} ")), None
        )
        evidence = said[len(f"{compared} ") :] if said and compared else None
        rows.append(FieldRow(label(attribute), one, other, _verdict(one, other), evidence))
    return rows


def _reasons(review: PairDecision) -> list[str]:
    """The review's comparisons one by one (a company pair stores them as one sentence)."""
    return [part.strip() for reason in review.reasons for part in reason.split("; ") if part]


def _lead_side(lead: Lead) -> Side:
    title = lead.full_name or lead.email or f"lead {lead.id}"
    note = f"from {', '.join(lead.sources)}" if lead.sources else ""
    return Side(lead.id, title, f"/leads/{lead.id}", note)


def _company_side(company: Company, leads: int) -> Side:
    title = company.name or company.domain or f"company {company.id}"
    return Side(
        company.id, title, f"/accounts/{company.id}", f"{leads:,} lead{'s' if leads != 1 else ''}"
    )


def _card(session: DbSession, kind: Kind, at: int) -> tuple[PairCard | None, int]:
    """The pair at place `at` of the queue (the last when the queue is shorter), and how
    many pairs of `kind` wait."""
    if kind == "people":
        pair, total = pending_pair_at(session, position=at)
        if pair is None:
            return None, total
        at = min(at, total - 1)
        reasons = _reasons(pair.review)
        return PairCard(
            kind,
            at,
            pair.review,
            _lead_side(pair.first),
            _lead_side(pair.second),
            _rows(pair.first, pair.second, LEAD_FIELDS, LEAD_COMPARISONS, reasons),
            reasons,
        ), total
    found, total = pending_company_pairs(session, limit=at + 1)
    if not found:
        return None, total
    at = min(at, len(found) - 1)
    companies = found[at]
    reasons = _reasons(companies.review)
    return PairCard(
        kind,
        at,
        companies.review,
        _company_side(companies.first, companies.first_leads),
        _company_side(companies.second, companies.second_leads),
        _rows(companies.first, companies.second, COMPANY_FIELDS, COMPANY_COMPARISONS, reasons),
        reasons,
    ), total


def _queue(
    request: Request,
    session: DbSession,
    *,
    kind: Kind | None,
    at: int,
    done: str | None = None,
    done_link: tuple[str, str] | None = None,
) -> Response:
    people = pending_count(session)
    companies = pending_company_pairs(session, limit=0)[1]
    chosen: Kind = kind or ("companies" if companies and not people else "people")
    card, total = _card(session, chosen, at)
    counts = {"people": people, "companies": companies, chosen: total}
    context = {
        "kind": chosen,
        "card": card,
        "total": total,
        "counts": counts,
        "done": done,
        "done_link": done_link,
        "now": datetime.now(UTC),
    }
    return render_view(request, "duplicates/queue.html", "duplicates/_queue.html", context)


@router.get("/duplicates")
def duplicates(
    request: Request,
    session: DbSession,
    user: WebReader,
    kind: Kind | None = None,
    at: Position = 0,
) -> Response:
    """The review queue, a pair at a time (the likeliest first)."""
    return _queue(request, session, kind=kind, at=at)


@router.post("/duplicates/decide")
def decide_pair(
    request: Request,
    session: DbSession,
    user: WebWriter,
    kind: Annotated[Kind, Form()],
    first: Annotated[int, Form(ge=1)],
    second: Annotated[int, Form(ge=1)],
    decision: Annotated[Literal["same", "different"], Form()],
    at: Annotated[int, Form(ge=0, le=1_000_000)] = 0,
) -> Response:
    """Record a decision on a pair ("same" merges the newer record into the older), then
    show the next pair."""
    now, same = datetime.now(UTC), decision == "same"
    link: tuple[str, str] | None = None
    if kind == "people":
        merge = decide(session, lead_a=first, lead_b=second, same=same, by=user.email, now=now)
        if merge is not None:
            done = f"Merged lead {merge.merged_lead_id} into lead {merge.kept_lead_id}."
            link = (f"/leads/{merge.kept_lead_id}", "Undo it from the lead's page")
        else:
            done = f"Recorded: leads {first} and {second} are different people."
    else:
        kept = decide_companies(
            session, company_a=first, company_b=second, same=same, by=user.email, now=now
        )
        if kept is not None:
            done = f"Merged company {max(first, second)} into company {kept.id}: its leads follow."
        else:
            done = f"Recorded: companies {first} and {second} are different organisations."
    if not is_partial(request):
        return go_to(f"/duplicates?kind={kind}&at={at}", request=request)
    return _queue(request, session, kind=kind, at=at, done=done, done_link=link)
