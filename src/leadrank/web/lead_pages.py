"""`/leads`: the worklist, ranked by score, filtered and sorted by what the URL says (so a
view can be bookmarked and shared), a page at a time; selected rows (or the whole view)
exported as CSV or XLSX. The queries are `leads.browse`'s, as the API and CLI use them."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Literal, cast
from urllib.parse import parse_qs, parse_qsl, urlencode

from fastapi import APIRouter, Form, Request
from pydantic import Field
from starlette.responses import Response

from leadrank.deps import DbSession
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
from leadrank.leads.saved_searches import keep_search, kept_token, search_words
from leadrank.orm.base import LARGEST_ID
from leadrank.web.deps import WebReader, write_beside
from leadrank.web.downloads import file_download
from leadrank.web.errors import WebRoute
from leadrank.web.responses import go_to, is_partial, render

router = APIRouter(route_class=WebRoute, include_in_schema=False)
PAGE_SIZES = (25, 50, 100, 200)
MAX_EXPORT_IDS = 10_000
COUNTED_AT_MOST = 10_000  # past it the page says "more than 10,000": counting costs a scan
LeadId = Annotated[int, Field(ge=1, le=LARGEST_ID)]

# The worklist's columns: (the sort that orders by it, heading).
COLUMNS: tuple[tuple[str, str], ...] = (
    ("grade", "Grade"),
    ("score", "Score"),
    ("probability", "Probability"),
    ("name", "Lead"),
    ("reason", "Top reason"),
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
    search_token: str | None = None  # the URL shows this instead of `q` and `owner`

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
            "view": self.search_token,
            "owner": None if self.search_token else self.owner,
            "company": self.company,
            "created_after": self.created_after,
            "created_before": self.created_before,
            "q": None if self.search_token else self.q,
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
    for text in (source, country, seniority, owner, company, q):
        if text and (len(text) > 200 or "\x00" in text):
            raise BadInput("a filter of the worklist is at most 200 characters of text")
    if country and not (len(country.strip()) in (0, 2) and country.strip().isalpha()):
        raise BadInput(f"country {country!r}: give a two-letter code such as US or DE")
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
def worklist(request: Request, session: DbSession, user: WebReader) -> Response:
    """The worklist page (or, for htmx, just its table). The view is the URL's query: blank
    fields a form sent are dropped, so the address bar shows what a bookmark needs."""
    query = request.url.query
    asked = parse_qs(query)
    view = _with_kept_words(request, session, _view_of_query(query), asked)
    cursor = _cursor(asked.get("cursor"))
    shown = view.query(cursor=cursor)
    canonical = "/leads" + (f"?{shown}" if shown else "")
    partial = is_partial(request)
    blank = any(not v for _, v in parse_qsl(query, keep_blank_values=True))
    words_shown = view.search_token is not None and ("q" in asked or "owner" in asked)
    if not partial and (blank or words_shown):
        return go_to(canonical)
    filters = view.filters()
    rows, next_cursor = browse_leads(
        session, filters=filters, sort=view.sort, limit=view.limit, cursor=cursor
    )
    context = {
        "view": view,
        "rows": rows,
        "activity": last_activity(session, [row.lead.id for row in rows]),
        "total": count_leads(session, filters=filters, at_most=COUNTED_AT_MOST),
        "counted_at_most": COUNTED_AT_MOST,
        "next_cursor": next_cursor,
        "first_page": cursor is None,
        "columns": COLUMNS,
        "page_sizes": PAGE_SIZES,
        "seniorities": ("c-level", "vp", "director", "manager", "individual"),
        "now": datetime.now(UTC),
    }
    response = render(request, "leads/_table.html" if partial else "leads/worklist.html", context)
    if partial:
        response.headers["HX-Push-Url"] = canonical
    return response


def _with_kept_words(
    request: Request, session: DbSession, view: View, asked: dict[str, list[str]]
) -> View:
    """The view with its words (a search, an owner's name) kept by the server: words typed
    just now are stored and the URL shows their token instead; a token brings its words
    back. A view's link then names no person."""
    if view.q or view.owner:
        words = {"q": view.q or "", "owner": view.owner or ""}
        token = _keep(request, session, words)
        return replace(view, search_token=token) if token else view
    tokens = asked.get("view")
    if not tokens:
        return view
    token = tokens[0]
    words = search_words(session, token=token)
    return replace(
        view, q=words.get("q") or None, owner=words.get("owner") or None, search_token=token
    )


def _keep(request: Request, session: DbSession, words: dict[str, str]) -> str | None:
    """The token of `words`, stored now unless it was before (None if the database is busy:
    the words then stay in the URL this once)."""
    known = kept_token(session, words=words)
    if known is not None:
        return known
    now = datetime.now(UTC)
    return write_beside(request, session, lambda s: keep_search(s, words=words, now=now))


def _cursor(values: list[str] | None) -> str | None:
    cursor = values[0] if values else None
    if cursor and (len(cursor) > 500 or "\x00" in cursor):
        raise BadInput("this page link is broken; start again from the first page")
    return cursor or None


@router.post("/leads/export")
def export(
    request: Request,
    session: DbSession,
    user: WebReader,
    format: Annotated[Literal["csv", "xlsx"], Form()] = "csv",
    lead: Annotated[list[LeadId], Form(max_length=MAX_EXPORT_IDS)] = [],  # noqa: B006
    view_query: Annotated[str, Form(max_length=4_000)] = "",
) -> Response:
    """The selected leads (or, with none selected, the whole view) as a CSV or XLSX file,
    in the worklist's order, with formulas in cells neutralised."""
    view = _with_kept_words(request, session, _view_of_query(view_query), parse_qs(view_query))
    filters = view.filters()
    if lead:
        filters = replace(filters, ids=tuple(lead))
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    return file_download(
        lambda path: export_leads(session, filters=filters, sort=view.sort, path=path).rows,
        filename=f"leadrank-leads-{stamp}.{format}",
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
            value = float(text) if text else None
        except ValueError:
            raise BadInput(f"{name} {text!r} is not a number") from None
        # NaN compares false with every bound, so it is refused here as well as infinity.
        if value is not None and not (math.isfinite(value) and 0 <= value <= 100):
            raise BadInput(f"{name} is a score from 0 to 100")
        return value

    def size(text: str | None) -> int:
        # Digits 0-9 only: str.isdigit() takes "²", which int() refuses.
        if text and re.fullmatch(r"[0-9]{1,4}", text) and int(text) in PAGE_SIZES:
            return int(text)
        return 50

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
        size(one("limit")),
    )


def _day(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadInput(f"{text!r} is not a date (YYYY-MM-DD)") from None
