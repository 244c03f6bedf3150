"""`/leads`: the worklist, ranked by score, filtered and sorted by what the URL says (so a
view can be bookmarked and shared), a page at a time; selected rows (or the whole view)
exported as CSV or XLSX. The queries are `leads.browse`'s, as the API and CLI use them."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Literal, cast
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Form, Query, Request
from starlette.background import BackgroundTask
from starlette.responses import FileResponse, Response

from leadrank.deps import NO_NUL, DbSession
from leadrank.errors import BadInput
from leadrank.leads.browse import (
    SORTS,
    LeadFilters,
    Sort,
    browse_leads,
    count_leads,
    last_activity,
)
from leadrank.leads.export import export_leads
from leadrank.web.deps import WebReader
from leadrank.web.errors import WebRoute
from leadrank.web.responses import PAGE_HEADERS, is_partial, render

router = APIRouter(route_class=WebRoute, include_in_schema=False)
PAGE_SIZES = (25, 50, 100, 200)
MAX_EXPORT_IDS = 10_000
Words = Annotated[str | None, Query(max_length=200, pattern=NO_NUL)]

# The worklist's columns: (sort, heading); None: not sortable.
COLUMNS: tuple[tuple[str | None, str], ...] = (
    ("grade", "Grade"),
    ("score", "Score"),
    ("probability", "Probability"),
    ("name", "Lead"),
    (None, "Top reason"),
    ("company", "Company"),
    ("title", "Title"),
    ("owner", "Owner"),
    ("activity", "Last activity"),
)


@dataclass(frozen=True)
class View:
    """What the URL asks the worklist for, as it goes back into links."""

    grades: tuple[str, ...] = ()
    min_score: float | None = None
    max_score: float | None = None
    source: str | None = None
    country: str | None = None
    seniority: str | None = None
    owner: str | None = None
    company: str | None = None
    created_after: date | None = None
    created_before: date | None = None
    q: str | None = None
    sort: Sort = "score"
    limit: int = 50

    def filters(self) -> LeadFilters:
        """The view's filters as the worklist query takes them."""
        return LeadFilters(
            grades=self.grades,
            min_score=self.min_score,
            max_score=self.max_score,
            source=self.source or None,
            country=self.country or None,
            seniority=self.seniority or None,
            owner=self.owner or None,
            company=self.company or None,
            created_after=_start_of(self.created_after),
            created_before=_start_of(self.created_before, next_day=True),
            search=self.q or None,
        )

    def query(self, **changes: object) -> str:
        """This view's query string, with `changes` (a None drops a parameter)."""
        values = {**self._parameters(), **changes}
        pairs: list[tuple[str, str]] = []
        for name, value in values.items():
            if value is None or value == "" or value == ():
                continue
            if isinstance(value, tuple):
                pairs.extend((name, str(v)) for v in value)
            else:
                pairs.append((name, str(value)))
        return urlencode(pairs)

    def _parameters(self) -> dict[str, object]:
        return {
            "grade": self.grades,
            "min_score": _plain(self.min_score),
            "max_score": _plain(self.max_score),
            "source": self.source,
            "country": self.country,
            "seniority": self.seniority,
            "owner": self.owner,
            "company": self.company,
            "created_after": self.created_after,
            "created_before": self.created_before,
            "q": self.q,
            "sort": None if self.sort == "score" else self.sort,
            "limit": None if self.limit == 50 else self.limit,
        }

    @property
    def filtered(self) -> bool:
        """Whether any filter is set."""
        return self.filters() != LeadFilters()


def _plain(value: float | None) -> str | None:
    return None if value is None else f"{value:g}"


def _start_of(day: date | None, *, next_day: bool = False) -> datetime | None:
    """The first moment of `day` in UTC (of the day after, for an end that includes it)."""
    if day is None:
        return None
    start = datetime.combine(day, time(), tzinfo=UTC)
    return start + timedelta(days=1) if next_day else start


def _view(
    grade: list[str],
    min_score: float | None,
    max_score: float | None,
    source: str | None,
    country: str | None,
    seniority: str | None,
    owner: str | None,
    company: str | None,
    created_after: date | None,
    created_before: date | None,
    q: str | None,
    sort: str,
    limit: int,
) -> View:
    grades = tuple(dict.fromkeys(g.strip().upper() for g in grade if g.strip()))
    if any(g not in "ABCDE" or len(g) != 1 for g in grades):
        raise BadInput("grades are A to E")
    if sort not in SORTS:
        raise BadInput(f"unknown sort {sort!r}")
    chosen = cast(Sort, sort)
    if limit not in PAGE_SIZES:
        limit = 50
    return View(
        grades=grades,
        min_score=min_score,
        max_score=max_score,
        source=(source or "").strip() or None,
        country=(country or "").strip().upper() or None,
        seniority=(seniority or "").strip().lower() or None,
        owner=(owner or "").strip() or None,
        company=(company or "").strip() or None,
        created_after=created_after,
        created_before=created_before,
        q=(q or "").strip() or None,
        sort=chosen,
        limit=limit,
    )


@router.get("/leads")
def worklist(
    request: Request,
    session: DbSession,
    user: WebReader,
    grade: Annotated[list[str], Query(max_length=5)] = [],  # noqa: B006 (FastAPI copies it)
    min_score: Annotated[float | None, Query(ge=0, le=100)] = None,
    max_score: Annotated[float | None, Query(ge=0, le=100)] = None,
    source: Words = None,
    country: Annotated[str | None, Query(pattern="^[A-Za-z]{0,2}$")] = None,
    seniority: Words = None,
    owner: Words = None,
    company: Words = None,
    created_after: date | None = None,
    created_before: date | None = None,
    q: Words = None,
    sort: str = "score",
    limit: int = 50,
    cursor: Annotated[str | None, Query(max_length=500, pattern=NO_NUL)] = None,
) -> Response:
    """The worklist page (or, for htmx, just its table)."""
    view = _view(
        grade,
        min_score,
        max_score,
        source,
        country,
        seniority,
        owner,
        company,
        created_after,
        created_before,
        q,
        sort,
        limit,
    )
    filters = view.filters()
    rows, next_cursor = browse_leads(
        session,
        filters=filters,
        sort=view.sort,
        limit=view.limit,
        cursor=cursor,
    )
    context = {
        "view": view,
        "rows": rows,
        "activity": last_activity(session, [row.lead.id for row in rows]),
        "total": count_leads(session, filters=filters),
        "next_cursor": next_cursor,
        "first_page": cursor is None,
        "columns": COLUMNS,
        "page_sizes": PAGE_SIZES,
        "seniorities": ("c-level", "vp", "director", "manager", "individual"),
        "now": datetime.now(UTC),
    }
    template = "leads/_table.html" if is_partial(request) else "leads/worklist.html"
    return render(request, template, context)


@router.post("/leads/export")
def export(
    request: Request,
    session: DbSession,
    user: WebReader,
    format: Annotated[Literal["csv", "xlsx"], Form()] = "csv",
    lead: Annotated[list[int], Form(max_length=MAX_EXPORT_IDS)] = [],  # noqa: B006
    view_query: Annotated[str, Form(max_length=4_000)] = "",
) -> Response:
    """The selected leads (or, with none selected, the whole view) as a CSV or XLSX file,
    in the worklist's order, with formulas in cells neutralised."""
    view = _view_of_query(view_query)
    filters = view.filters()
    if lead:
        filters = replace(filters, ids=tuple(lead))
    folder = Path(tempfile.mkdtemp(prefix="leadrank-export-"))
    path = folder / f"leads.{format}"
    report = export_leads(session, filters=filters, sort=view.sort, path=path)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    return FileResponse(
        path,
        filename=f"leadrank-leads-{stamp}.{format}",
        headers={**PAGE_HEADERS, "X-Rows": str(report.rows)},
        background=BackgroundTask(_remove, folder),
    )


def _view_of_query(query: str) -> View:
    """The view a worklist URL's query string names (what the export form sends back)."""
    asked = parse_qs(query)

    def one(name: str) -> str | None:
        values = asked.get(name)
        return values[0] if values else None

    def number(name: str) -> float | None:
        text = one(name)
        try:
            return float(text) if text else None
        except ValueError:
            raise BadInput(f"{name} {text!r} is not a number") from None

    return _view(
        asked.get("grade", []),
        number("min_score"),
        number("max_score"),
        one("source"),
        one("country"),
        one("seniority"),
        one("owner"),
        one("company"),
        _day(one("created_after")),
        _day(one("created_before")),
        one("q"),
        one("sort") or "score",
        50,
    )


def _day(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadInput(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _remove(folder: Path) -> None:
    for child in folder.iterdir():
        child.unlink(missing_ok=True)
    folder.rmdir()
