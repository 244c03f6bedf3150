"""A fake of the four vendors' APIs (Apollo, Hunter, People Data Labs, Clearbit) over real HTTP,
for tests and benchmarks: deterministic answers from a small directory, each vendor's auth, error
envelopes and status codes, switchable faults and a log of the calls received.

Faults are named by what happens; each vendor answers them in its own way (Hunter's rate limit
is a 403 and its empty credit pool a 429; Apollo's empty pool is a 422), as the real ones do.
"""

from __future__ import annotations

import asyncio
import base64
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

Vendor = Literal["apollo", "hunter", "pdl", "clearbit"]
VENDORS: tuple[Vendor, ...] = ("apollo", "hunter", "pdl", "clearbit")
FaultKind = Literal[
    "rate_limited", "server_error", "unavailable", "slow", "malformed", "bad_key", "no_credits",
    "pending", "error",
]  # fmt: skip
KEYS: dict[Vendor, str] = {vendor: f"test-{vendor}-key" for vendor in VENDORS}
Answer = Callable[[dict[str, str]], Response]


@dataclass
class Fault:
    """The next `times` answers of a vendor fail this way."""

    kind: FaultKind
    times: int = 1
    retry_after: str | None = "7"  # the Retry-After sent, seconds or an HTTP-date; None: none
    delay: float = 1.0  # seconds a "slow" answer waits before answering normally
    status: int = 400  # the status of an "error" answer


@dataclass(frozen=True)
class Call:
    """One request the fake received, and the status it answered."""

    vendor: Vendor
    method: str
    path: str
    params: dict[str, str]
    status: int
    fault: FaultKind | None
    at: float = field(default_factory=time.monotonic)  # when it arrived, for rate checks


class Faults:
    """Queued failures per vendor, safe to change from the test's thread while serving."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queued: dict[Vendor, list[Fault]] = {}

    def add(
        self,
        vendor: Vendor,
        kind: FaultKind,
        *,
        times: int = 1,
        retry_after: str | None = "7",
        delay: float = 1.0,
        status: int = 400,
    ) -> Fault:
        """Queue a fault for the vendor's next `times` answers (after those already queued)."""
        fault = Fault(kind, times=times, retry_after=retry_after, delay=delay, status=status)
        with self._lock:
            self._queued.setdefault(vendor, []).append(fault)
        return fault

    def take(self, vendor: Vendor) -> Fault | None:
        """The fault the vendor's next answer shows, counted as used; None when none is queued."""
        with self._lock:
            queue = self._queued.get(vendor, [])
            if not queue:
                return None
            fault = queue[0]
            fault.times -= 1
            if fault.times <= 0:
                queue.pop(0)
            return fault

    def clear(self) -> None:
        """Forget every queued fault."""
        with self._lock:
            self._queued.clear()


@dataclass
class FakeVendors:
    """The fake's state and its ASGI app; `keys` are the API keys each vendor accepts."""

    keys: Mapping[Vendor, str] = field(default_factory=lambda: dict(KEYS))
    faults: Faults = field(default_factory=Faults)
    calls: list[Call] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self.app = Starlette(
            routes=[
                self._route("apollo", "POST", "/api/v1/people/match", _apollo_person),
                self._route("apollo", "GET", "/api/v1/organizations/enrich", _apollo_org),
                self._route("hunter", "GET", "/v2/email-verifier", _hunter_verify),
                self._route("hunter", "GET", "/v2/domain-search", _hunter_domain),
                self._route("pdl", "GET", "/v5/person/enrich", _pdl_person),
                self._route("pdl", "GET", "/v5/company/enrich", _pdl_company),
                self._route("clearbit", "GET", "/v2/companies/find", _clearbit_company),
            ]
        )

    def calls_to(self, vendor: Vendor) -> list[Call]:
        """The calls one vendor received, oldest first."""
        with self._lock:
            return [call for call in self.calls if call.vendor == vendor]

    def reset(self) -> None:
        """Clear the faults and the call log."""
        self.faults.clear()
        with self._lock:
            self.calls.clear()

    def _route(self, vendor: Vendor, method: str, path: str, answer: Answer) -> Route:
        async def endpoint(request: Request) -> Response:
            return await self._answer(vendor, request, answer)

        return Route(path, endpoint, methods=[method])

    async def _answer(self, vendor: Vendor, request: Request, answer: Answer) -> Response:
        params = dict(request.query_params)
        if request.method == "POST" and await request.body():
            try:  # Apollo takes its parameters in the query string or a JSON body
                body = await request.json()
            except ValueError:
                return _error(vendor, 400, "The body is not JSON")
            params.update({k: str(v) for k, v in body.items()} if isinstance(body, dict) else {})
        fault = self.faults.take(vendor)
        if fault is not None and fault.kind != "slow":
            response = _fault_answer(vendor, fault, params)
        elif not _authorised(vendor, request, params, self.keys[vendor]):
            response = _error(vendor, 401, "Invalid API key")
        else:
            response = answer(params)
        with self._lock:
            # The key is not something to keep, even in a fake's log.
            logged = {k: v for k, v in params.items() if k != "api_key"}
            kind = fault.kind if fault else None
            self.calls.append(
                Call(vendor, request.method, request.url.path, logged, response.status_code, kind)
            )
        if fault is not None and fault.kind == "slow":
            await asyncio.sleep(fault.delay)
        return response


def _authorised(vendor: Vendor, request: Request, params: dict[str, str], key: str) -> bool:
    headers = request.headers
    if vendor == "clearbit":  # HTTP Basic with the key as user name, or a Bearer token
        basic = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
        return headers.get("authorization") in (basic, f"Bearer {key}")
    given = headers.get("x-api-key") or params.get("api_key")
    if vendor == "hunter" and given is None:
        given = headers.get("authorization", "").removeprefix("Bearer ")
    return given == key


def _fault_answer(vendor: Vendor, fault: Fault, params: dict[str, str]) -> Response:
    wait = {"Retry-After": fault.retry_after} if fault.retry_after else {}
    kind = fault.kind
    if kind == "rate_limited" and vendor == "hunter":  # no Retry-After: Hunter documents none
        return _error(vendor, 403, "You have reached the rate limit for this endpoint.")
    if kind == "rate_limited":
        return _error(vendor, 429, "Too many requests: rate limit exceeded.", headers=wait)
    if kind == "server_error":
        return _error(vendor, 500, "Internal server error")
    if kind == "unavailable":  # what a load balancer in front of the API answers
        html = "<html><body><h1>503 Service Unavailable</h1></body></html>"
        return Response(html, status_code=503, media_type="text/html", headers=wait)
    if kind == "malformed":
        return Response('{"data": {"status": "val', status_code=200, media_type="application/json")
    if kind == "bad_key":
        return _error(vendor, 401, "Invalid API key")
    if kind == "no_credits":
        return _no_credits(vendor)
    if kind == "pending":
        return Response(status_code=202)
    subject = params.get("email") or params.get("domain") or params.get("website") or "?"
    return _error(vendor, fault.status, f"Invalid request for {subject}")


# The directory: one set of facts, each vendor answering in its own shapes and vocabulary.


@dataclass(frozen=True)
class _Company:
    name: str
    domain: str
    industry: str
    employees: int
    revenue: float
    country: str
    country_code: str
    city: str
    linkedin: str  # the company page's slug
    founded: int
    technologies: tuple[str, ...]


@dataclass(frozen=True)
class _Person:
    first: str
    last: str
    email: str
    title: str
    domain: str
    city: str
    country: str
    phone: str
    apollo_seniority: str
    apollo_departments: tuple[str, ...]
    pdl_levels: tuple[str, ...]
    pdl_role: str
    likelihood: int  # PDL's, 1-10

    @property
    def linkedin(self) -> str:
        return f"{self.first}-{self.last}".lower()


COMPANIES = {
    company.domain: company
    for company in (
        _Company("Acme Analytics", "acme.com", "Computer Software", 230, 42e6, "United States",
                 "US", "Austin", "acme-analytics", 2012, ("Salesforce", "HubSpot", "Amazon AWS")),
        _Company("Globex Automation", "globex.de", "Industrial Automation", 1_200, 310e6,
                 "Germany", "DE", "Munich", "globex-automation", 1998, ("SAP", "Microsoft Azure")),
        _Company("Initech", "initech.co.uk", "Financial Services", 85, 9.5e6, "United Kingdom",
                 "GB", "London", "initech", 2016, ("Stripe",)),
    )
}  # fmt: skip
PEOPLE = (
    _Person("Ada", "Lovelace", "ada.lovelace@acme.com", "VP of Engineering", "acme.com", "Austin",
            "United States", "+1 512 555 0142", "vp", ("master_engineering_technical",), ("vp",),
            "engineering", 9),
    _Person("Grace", "Hopper", "grace.hopper@globex.de", "Chief Technology Officer", "globex.de",
            "Munich", "Germany", "+49 89 12345678", "c_suite", ("c_suite",), ("cxo",),
            "engineering", 8),
    _Person("Alan", "Turing", "alan.turing@initech.co.uk", "Data Analyst", "initech.co.uk",
            "London", "United Kingdom", "+44 20 7946 0958", "senior", ("master_finance",),
            ("senior",), "finance", 6),
)  # fmt: skip
# Hunter's verifier: address -> (status, result, score, webmail, disposable).
VERDICTS: dict[str, tuple[str, str, int, bool, bool]] = {
    "ada.lovelace@acme.com": ("valid", "deliverable", 96, False, False),
    "grace.hopper@globex.de": ("accept_all", "risky", 72, False, False),
    "alan.turing@initech.co.uk": ("valid", "deliverable", 91, False, False),
    "bounced@acme.com": ("invalid", "undeliverable", 3, False, False),
    "ada.lovelace@gmail.com": ("webmail", "deliverable", 88, True, False),
    "throwaway@mailinator.com": ("disposable", "risky", 40, False, True),
}
_SIZES = ((10, "1-10"), (50, "11-50"), (200, "51-200"), (500, "201-500"), (1000, "501-1000"),
          (5000, "1001-5000"), (10000, "5001-10000"))  # fmt: skip
_REVENUES = ((1e6, "$0-$1M"), (10e6, "$1M-$10M"), (25e6, "$10M-$25M"), (50e6, "$25M-$50M"),
             (100e6, "$50M-$100M"), (250e6, "$100M-$250M"), (500e6, "$250M-$500M"),
             (1e9, "$500M-$1B"))  # fmt: skip


def _band(value: float, bands: tuple[tuple[float, str], ...], top: str) -> str:
    return next((label for high, label in bands if value <= high), top)


def _person(params: dict[str, str]) -> _Person | None:
    email = params.get("email", "").lower()
    profile = params.get("linkedin_url") or params.get("profile") or ""
    name = params.get("name") or f"{params.get('first_name', '')} {params.get('last_name', '')}"
    company = (
        params.get("domain") or params.get("organization_name") or params.get("company") or ""
    ).lower()
    for person in PEOPLE:
        works_there = company in (person.domain, COMPANIES[person.domain].name.lower())
        if (
            email == person.email
            or (profile and profile.rstrip("/").lower().endswith("/in/" + person.linkedin))
            or (name.strip().lower() == f"{person.first} {person.last}".lower() and works_there)
        ):
            return person
    return None


def _error(
    vendor: Vendor, status: int, message: str, headers: dict[str, str] | None = None
) -> Response:
    """An error in the vendor's own envelope."""
    kind = {401: "invalid_api_key", 402: "payment_required", 404: "not_found", 429: "rate_limit"}
    if vendor == "hunter":
        body: Any = {
            "errors": [{"id": kind.get(status, "error"), "code": status, "details": message}]
        }
    elif vendor == "apollo":
        body = {"error": message}
    elif vendor == "pdl":
        body = {
            "status": status,
            "error": {"type": kind.get(status, "invalid_request_error"), "message": message},
        }
    else:
        body = {"error": {"type": kind.get(status, "invalid_request"), "message": message}}
    return JSONResponse(body, status_code=status, headers=headers)


def _no_credits(vendor: Vendor) -> Response:
    if vendor == "apollo":  # Apollo answers an empty credit pool with 422, not 402
        return _error(vendor, 422, "Insufficient credits. Please upgrade your plan.")
    if vendor == "hunter":  # Hunter's 429 is the month's usage, not a rate limit
        return _error(
            vendor, 429, "You have reached your usage limit. Upgrade your plan if necessary."
        )
    return _error(vendor, 402, "You have hit your account maximum for this plan.")


def _apollo_org_of(company: _Company) -> dict[str, Any]:
    return {
        "id": f"org-{company.domain}", "name": company.name,
        "website_url": f"http://www.{company.domain}", "primary_domain": company.domain,
        "industry": company.industry.lower(), "estimated_num_employees": company.employees,
        "annual_revenue": company.revenue, "country": company.country, "city": company.city,
        "linkedin_url": f"http://www.linkedin.com/company/{company.linkedin}",
        "founded_year": company.founded, "technology_names": list(company.technologies),
    }  # fmt: skip


def _apollo_person(params: dict[str, str]) -> Response:
    person = _person(params)
    if person is None:
        return JSONResponse({"person": None})
    return JSONResponse({"person": {
        "id": f"person-{person.linkedin}", "first_name": person.first, "last_name": person.last,
        "name": f"{person.first} {person.last}", "title": person.title,
        "seniority": person.apollo_seniority, "departments": list(person.apollo_departments),
        "linkedin_url": f"http://www.linkedin.com/in/{person.linkedin}", "city": person.city,
        "country": person.country, "email": person.email, "email_status": "verified",
        "organization": _apollo_org_of(COMPANIES[person.domain]),
    }})  # fmt: skip


def _apollo_org(params: dict[str, str]) -> Response:
    company = COMPANIES.get(params.get("domain", "").lower())
    return JSONResponse({"organization": _apollo_org_of(company)} if company else {})


def _hunter_verify(params: dict[str, str]) -> Response:
    email = params.get("email", "").lower()
    if "@" not in email:
        return _error("hunter", 400, "You are missing the email parameter")
    status, result, score, webmail, disposable = VERDICTS.get(
        email, ("unknown", "risky", 0, False, False)
    )
    data = {
        "status": status, "result": result, "score": score, "email": email, "regexp": True,
        "gibberish": False, "disposable": disposable, "webmail": webmail, "mx_records": True,
        "smtp_server": True, "smtp_check": status == "valid", "accept_all": status == "accept_all",
        "block": False, "sources": [],
    }  # fmt: skip
    return JSONResponse({"data": data, "meta": {"params": {"email": email}}})


def _hunter_domain(params: dict[str, str]) -> Response:
    domain = params.get("domain", "").lower()
    company = COMPANIES.get(domain)
    data: dict[str, Any] = {"domain": domain, "organization": None, "emails": []}
    if company:
        data |= {
            "organization": company.name, "industry": company.industry,
            "country": company.country_code, "city": company.city,
            "headcount": _band(company.employees, _SIZES, "10001+"),
            "linkedin": f"https://www.linkedin.com/company/{company.linkedin}",
            "technologies": [t.lower().replace(" ", "-") for t in company.technologies],
            "pattern": "{first}.{last}",
            "emails": [{"value": p.email, "type": "personal"} for p in PEOPLE if p.domain == domain],
        }  # fmt: skip
    return JSONResponse({"data": data, "meta": {"results": len(data["emails"])}})


def _pdl_not_found() -> Response:
    return _error("pdl", 404, "No records were found matching your request")


def _pdl_case(params: dict[str, str]) -> Callable[[str], str]:
    # PDL stores names and places lower-cased and title-cases them when asked to.
    return str.title if params.get("titlecase") == "true" else str.lower


def _pdl_person(params: dict[str, str]) -> Response:
    person = _person(params)
    least = params.get("min_likelihood", "2")
    if person is None or person.likelihood < (int(least) if least.isdigit() else 2):
        return _pdl_not_found()
    company, case = COMPANIES[person.domain], _pdl_case(params)
    data = {
        "full_name": case(f"{person.first} {person.last}"), "first_name": case(person.first),
        "last_name": case(person.last), "job_title": person.title.lower(),
        "job_title_role": person.pdl_role, "job_title_levels": list(person.pdl_levels),
        "work_email": person.email, "linkedin_url": f"linkedin.com/in/{person.linkedin}",
        "mobile_phone": person.phone, "location_locality": case(person.city),
        "location_country": case(person.country), "job_company_name": case(company.name),
        "job_company_website": company.domain,
    }  # fmt: skip
    return JSONResponse({"status": 200, "likelihood": person.likelihood, "data": data})


def _pdl_company(params: dict[str, str]) -> Response:
    wanted = (params.get("website") or params.get("name") or "").lower()
    company = next((c for c in COMPANIES.values() if wanted in (c.domain, c.name.lower())), None)
    if company is None:
        return _pdl_not_found()
    case = _pdl_case(params)
    return JSONResponse({
        "status": 200, "likelihood": 8, "name": case(company.name), "display_name": company.name,
        "website": company.domain, "industry": company.industry.lower(),
        "employee_count": company.employees, "size": _band(company.employees, _SIZES, "10001+"),
        "founded": company.founded, "linkedin_url": f"linkedin.com/company/{company.linkedin}",
        "location": {"locality": case(company.city), "country": case(company.country)},
        "inferred_revenue": _band(company.revenue, _REVENUES, "$1B+"),
    })  # fmt: skip


def _clearbit_company(params: dict[str, str]) -> Response:
    domain = params.get("domain", "").lower()
    if "." not in domain:
        return _error("clearbit", 422, "Invalid domain")
    company = COMPANIES.get(domain)
    if company is None:
        return _error("clearbit", 404, "Unknown domain")
    return JSONResponse({
        "id": f"cb-{domain}", "name": company.name, "legalName": None, "domain": domain,
        "category": {"sector": "Information Technology", "industry": company.industry},
        "foundedYear": company.founded,
        "geo": {"city": company.city, "country": company.country, "countryCode": company.country_code},
        "linkedin": {"handle": f"company/{company.linkedin}"},
        "metrics": {"employees": None, "employeesRange": _band(company.employees, _SIZES, "10K+"),
                    "annualRevenue": None,
                    "estimatedAnnualRevenue": _band(company.revenue, _REVENUES, "$1B+")},
        "tech": [t.lower().replace(" ", "_") for t in company.technologies],
    })  # fmt: skip


@contextmanager
def serve(fake: FakeVendors) -> Iterator[str]:
    """Run the fake in a background thread on 127.0.0.1 and a free port; yields its base URL."""
    # Bound here, on the loopback address only, and handed to uvicorn: no port race, and the
    # fake is never reachable from another machine.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    config = uvicorn.Config(
        fake.app,
        log_level="warning",
        access_log=False,
        lifespan="off",
        ws="none",
        timeout_graceful_shutdown=1,  # a "slow" answer still sleeping must not hold the exit
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="fake-vendors", daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the fake vendor server did not start")
            time.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
