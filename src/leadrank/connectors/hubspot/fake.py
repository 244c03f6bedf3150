"""A fake HubSpot for tests, demos and benchmarks: the CRM API v3 endpoints the connector uses
(search, batch update, properties and groups, owners, a plain list) and v4 associations, over
a deterministic portal of contacts, companies and deals, with HubSpot's rate limits, faults
that can be switched on, a record of every request, and a helper that serves it on 127.0.0.1
in a background thread.

Shapes follow HubSpot's CRM docs (objects as `{"id", "properties", "createdAt", "updatedAt",
"archived"}`; errors as `{"status": "error", "message", "correlationId", "category"}`; 207
multi-status batches with `errors[].context`; 429s with `policyName` and the
`X-HubSpot-RateLimit-*` headers). Search responses carry no rate-limit headers, as HubSpot's
do not.
"""

from __future__ import annotations

import asyncio
import json
import math
import operator
import random
import threading
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from leadrank.connectors.fake_faults import Fault, PendingFaults, RecordedRequest
from leadrank.kit.local_server import serve_in_thread

FAKE_TOKEN = "pat-na1-0f1e2d3c-fake-4b5a-leadrank-hubspot"
START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
OBJECT_TYPES = ("contacts", "companies", "deals")
FAULTS = ("429", "500", "401", "403", "slow")
MODIFIED = {
    "contacts": "lastmodifieddate",
    "companies": "hs_lastmodifieddate",
    "deals": "hs_lastmodifieddate",
}
SEARCH_CAP = 10_000
BATCH_LIMIT = 100
ASSOCIATION_INPUTS = 1_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAMES = {
    "contacts": "contacts",
    "contact": "contacts",
    "0-1": "contacts",
    "companies": "companies",
    "company": "companies",
    "0-2": "companies",
    "deals": "deals",
    "deal": "deals",
    "0-3": "deals",
}
_SINGULAR = {"contacts": "contact", "companies": "company", "deals": "deal"}
# HubSpot-defined association types, per direction: (typeId, label).
_ASSOCIATION_TYPES: dict[tuple[str, str], tuple[tuple[int, str | None], ...]] = {
    ("contacts", "companies"): ((1, "Primary"), (279, None)),
    ("companies", "contacts"): ((2, "Primary"), (280, None)),
    ("deals", "contacts"): ((3, None),),
    ("contacts", "deals"): ((4, None),),
    ("deals", "companies"): ((5, "Primary"), (341, None)),
    ("companies", "deals"): ((6, "Primary"), (342, None)),
}

# name, label, type, fieldType, read-only value
_Definition = tuple[str, str, str, str, bool]
_COMMON: tuple[_Definition, ...] = (
    ("hs_object_id", "Record ID", "number", "number", True),
    ("createdate", "Create Date", "datetime", "date", True),
)
_PROPERTIES: dict[str, tuple[_Definition, ...]] = {
    "contacts": (
        *_COMMON,
        ("lastmodifieddate", "Last Modified Date", "datetime", "date", True),
        ("email", "Email", "string", "text", False),
        ("firstname", "First Name", "string", "text", False),
        ("lastname", "Last Name", "string", "text", False),
        ("company", "Company Name", "string", "text", False),
        ("jobtitle", "Job Title", "string", "text", False),
        ("phone", "Phone Number", "string", "phonenumber", False),
        ("country", "Country/Region", "string", "text", False),
        ("city", "City", "string", "text", False),
        ("state", "State/Region", "string", "text", False),
        ("industry", "Industry", "string", "text", False),
        ("lifecyclestage", "Lifecycle Stage", "enumeration", "radio", False),
        ("hubspot_owner_id", "Contact owner", "enumeration", "select", False),
    ),
    "companies": (
        *_COMMON,
        ("hs_lastmodifieddate", "Last Modified Date", "datetime", "date", True),
        ("name", "Company name", "string", "text", False),
        ("domain", "Company Domain Name", "string", "text", False),
        ("industry", "Industry", "enumeration", "select", False),
        ("numberofemployees", "Number of Employees", "number", "number", False),
        ("annualrevenue", "Annual Revenue", "number", "number", False),
        ("country", "Country/Region", "string", "text", False),
        ("state", "State/Region", "string", "text", False),
        ("city", "City", "string", "text", False),
        ("hubspot_owner_id", "Company owner", "enumeration", "select", False),
    ),
    "deals": (
        *_COMMON,
        ("hs_lastmodifieddate", "Last Modified Date", "datetime", "date", True),
        ("dealname", "Deal Name", "string", "text", False),
        ("amount", "Amount", "number", "number", False),
        ("closedate", "Close Date", "datetime", "date", False),
        ("dealstage", "Deal Stage", "enumeration", "radio", False),
        ("pipeline", "Pipeline", "enumeration", "select", False),
        ("hs_is_closed", "Is Deal Closed?", "bool", "booleancheckbox", True),
        ("hs_is_closed_won", "Is Closed Won", "bool", "booleancheckbox", True),
        ("hubspot_owner_id", "Deal owner", "enumeration", "select", False),
    ),
}
_GROUPS = {
    "contacts": ("contactinformation", "Contact information"),
    "companies": ("companyinformation", "Company information"),
    "deals": ("dealinformation", "Deal information"),
}
# The properties a search returns when asked for none, besides id, create and modified dates.
_DEFAULT_SHOWN = {
    "contacts": ("email", "firstname", "lastname"),
    "companies": ("name", "domain"),
    "deals": ("dealname", "amount", "dealstage", "pipeline", "closedate"),
}
_TYPES = ("string", "number", "date", "datetime", "enumeration", "bool")
_FIELD_TYPES = (
    "text",
    "textarea",
    "number",
    "date",
    "select",
    "radio",
    "checkbox",
    "booleancheckbox",
    "phonenumber",
    "calculation_equation",
    "html",
    "file",
)
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "EQ": operator.eq,
    "NEQ": operator.ne,
    "LT": operator.lt,
    "LTE": operator.le,
    "GT": operator.gt,
    "GTE": operator.ge,
}
_OPERATORS = (*_COMPARE, "IN", "NOT_IN", "HAS_PROPERTY", "NOT_HAS_PROPERTY")

FIRST_NAMES = (
    "Ann", "Bo", "Carla", "Dev", "Eva", "Femi", "Greta", "Hiro", "Ines", "Jon", "Kim", "Lena",
    "Marco", "Nia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tara", "Uma", "Victor", "Wen",
)  # fmt: skip
LAST_NAMES = (
    "Lee", "Chen", "Diaz", "Patel", "Novak", "Adeyemi", "Larsen", "Tanaka", "Moreau", "Berg",
    "Osei", "Weber", "Rossi", "Okafor", "Haddad", "Sharma", "Murphy", "Alvarez", "Nguyen",
)  # fmt: skip
COMPANY_WORDS = (
    "Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Nordwind", "Kaizen", "Lumiere",
    "Fjord", "Sunrise", "Brightpath", "Bluepeak", "Ironbridge", "Silverline", "Evergreen",
    "Northstar", "Redwood", "Copperleaf", "Meridian",
)  # fmt: skip
COMPANY_KINDS = (
    ("Analytics", "io"), ("Logistics", "com"), ("Health", "com"), ("Labs", "ai"),
    ("Software", "com"), ("Energy", "de"), ("Capital", "co"), ("Robotics", "io"),
)  # fmt: skip
INDUSTRIES = (
    ("COMPUTER_SOFTWARE", "Computer Software"),
    ("INFORMATION_TECHNOLOGY_AND_SERVICES", "Information Technology and Services"),
    ("FINANCIAL_SERVICES", "Financial Services"),
    ("HOSPITAL_HEALTH_CARE", "Hospital & Health Care"),
    ("LOGISTICS_AND_SUPPLY_CHAIN", "Logistics and Supply Chain"),
    ("RENEWABLES_ENVIRONMENT", "Renewables & Environment"),
    ("MARKETING_AND_ADVERTISING", "Marketing and Advertising"),
    ("MACHINERY", "Machinery"),
)
PLACES = (  # country, state, city
    ("United States", "California", "San Francisco"),
    ("United States", "New York", "New York"),
    ("United States", "Texas", "Austin"),
    ("United Kingdom", "England", "London"),
    ("Germany", "Bavaria", "Munich"),
    ("France", "Île-de-France", "Paris"),
    ("Canada", "Ontario", "Toronto"),
    ("Netherlands", "North Holland", "Amsterdam"),
)
JOB_TITLES = (
    "VP Engineering", "Head of Data", "CFO", "Director of IT", "Chief Revenue Officer",
    "Operations Manager", "Head of Sales", "CTO", "Marketing Director", "Data Engineer",
    "Revenue Operations Lead", "Account Executive",
)  # fmt: skip
LIFECYCLE_STAGES = (
    "subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity",
    "customer",
)  # fmt: skip
DEAL_STAGES = (
    "appointmentscheduled", "qualifiedtobuy", "presentationscheduled", "decisionmakerboughtin",
    "contractsent", "closedwon", "closedlost",
)  # fmt: skip
PRODUCTS = ("Platform licence", "Pilot", "Renewal", "Expansion", "Onboarding")
OWNERS = (
    ("Maya", "Brooks"), ("Liam", "Ortega"), ("Sofia", "Ivanova"), ("Noah", "Kim"),
    ("Ava", "Mensah"), ("Ethan", "Dubois"),
)  # fmt: skip
PHONES = ("+1 415 555 01{:02d}", "(212) 555-01{:02d}", "+44 20 7946 09{:02d}", "089 1234 56{:02d}")
# How long after its creation an object was last changed.
_CHANGED_AFTER = (0, 300_000, 3 * 3_600_000, 2 * 86_400_000, 20 * 86_400_000)


def _iso(ms: int) -> str:
    """Epoch milliseconds as HubSpot writes datetimes: "2025-01-06T09:00:00.123Z"."""
    moment = _EPOCH + timedelta(milliseconds=ms)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _ms(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def _parse_ms(text: str) -> int:
    """A datetime filter value or stored datetime in epoch milliseconds (digits or ISO)."""
    if text.isdigit():
        return int(text)
    moment = datetime.fromisoformat(text)
    return _ms(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


@dataclass
class Portal:
    """The HubSpot account the fake serves: objects by type and id, associations in both
    directions, owners, property definitions and groups, and the fake's own "now" (epoch
    milliseconds), which only moves forward, a second per change."""

    objects: dict[str, dict[str, dict[str, Any]]]
    links: dict[tuple[str, str], dict[str, list[str]]]
    owners: list[dict[str, Any]]
    properties: dict[str, dict[str, dict[str, Any]]]
    groups: dict[str, dict[str, dict[str, Any]]]
    now_ms: int
    next_id: int = 1

    def tick(self) -> int:
        """The next moment of change."""
        self.now_ms += 1000
        return self.now_ms

    def add(self, kind: str, properties: dict[str, str], at_ms: int, created_ms: int) -> str:
        """Store a new object; its id."""
        rid = str(self.next_id)
        self.next_id += 1
        values = {**properties, "hs_object_id": rid, "createdate": _iso(created_ms)}
        values[MODIFIED[kind]] = _iso(at_ms)
        self.objects[kind][rid] = {
            "id": rid,
            "properties": values,
            "createdAt": _iso(created_ms),
            "updatedAt": _iso(at_ms),
            "archived": False,
        }
        return rid

    def change(self, kind: str, rid: str, properties: dict[str, Any], at_ms: int) -> None:
        """Set properties of an object and mark it modified at `at_ms`."""
        record = self.objects[kind][rid]
        for name, value in properties.items():
            record["properties"][name] = "" if value is None else _text_value(value)
        record["properties"][MODIFIED[kind]] = _iso(at_ms)
        record["updatedAt"] = _iso(at_ms)

    def link(self, kind: str, rid: str, other: str, other_id: str) -> None:
        """Associate two objects, both ways."""
        for a, a_id, b, b_id in ((kind, rid, other, other_id), (other, other_id, kind, rid)):
            targets = self.links.setdefault((a, b), {}).setdefault(a_id, [])
            if b_id not in targets:
                targets.append(b_id)

    def linked(self, kind: str, rid: str, other: str) -> list[str]:
        """The ids of the `other` objects one object is associated with."""
        return list(self.links.get((kind, other), {}).get(rid, []))


def _text_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def sample_portal(contacts: int = 30, seed: int = 0) -> Portal:
    """A portal of `contacts` contacts, a third as many companies and half as many deals, the
    same for the same arguments: owners, associations (a tenth of the contacts have no
    company), some messy values (upper-case emails, blank phones, blank owners), and runs of
    contacts changed at the same millisecond, as a bulk edit leaves them. 10,000 contacts
    build in well under a second."""
    rng = random.Random(seed)
    created = _ms(START)
    portal = Portal(
        objects={kind: {} for kind in OBJECT_TYPES},
        links={},
        owners=_owners(created),
        properties={kind: _definitions(kind, created) for kind in OBJECT_TYPES},
        groups={kind: {_GROUPS[kind][0]: _group(*_GROUPS[kind])} for kind in OBJECT_TYPES},
        now_ms=created,
    )
    owner_ids = [owner["id"] for owner in portal.owners]
    companies = [_add_company(portal, rng, i, owner_ids) for i in range(max(1, contacts // 3))]
    people: dict[str, list[str]] = {}
    previous: str | None = None
    for i in range(contacts):
        company = companies[i % len(companies)] if i % 10 != 9 else None
        rid = _add_contact(
            portal, rng, i, company, owner_ids, share_with=previous if i % 7 == 6 else None
        )
        if company is not None:
            portal.link("contacts", rid, "companies", company)
            people.setdefault(company, []).append(rid)
        previous = rid
    contact_ids = list(portal.objects["contacts"])
    for j in range(contacts // 2):
        _add_deal(portal, rng, j, contact_ids, people, owner_ids)
    latest = max(
        (_parse_ms(r["updatedAt"]) for kind in OBJECT_TYPES for r in portal.objects[kind].values()),
        default=created,
    )
    portal.now_ms = latest + 60_000
    return portal


def _owners(at_ms: int) -> list[dict[str, Any]]:
    return [
        {
            "id": str(41_629_000 + 7_919 * k),
            "email": f"{first}.{last}@leadrank-demo.io".lower(),
            "type": "PERSON",
            "firstName": first,
            "lastName": last,
            "userId": 9_586_500 + k,
            "userIdIncludingInactive": 9_586_500 + k,
            "createdAt": _iso(at_ms),
            "updatedAt": _iso(at_ms),
            "archived": False,
            "teams": [],
        }
        for k, (first, last) in enumerate(OWNERS)
    ]


def _definitions(kind: str, at_ms: int) -> dict[str, dict[str, Any]]:
    group = _GROUPS[kind][0]
    return {
        name: _definition(name, label, type_, field_type, group, read_only, at_ms)
        for name, label, type_, field_type, read_only in _PROPERTIES[kind]
    }


def _definition(
    name: str,
    label: str,
    type_: str,
    field_type: str,
    group: str,
    read_only: bool,
    at_ms: int,
    *,
    description: str = "",
    hubspot_defined: bool = True,
) -> dict[str, Any]:
    return {
        "name": name,
        "label": label,
        "type": type_,
        "fieldType": field_type,
        "groupName": group,
        "description": description,
        "options": [],
        "displayOrder": -1,
        "calculated": False,
        "externalOptions": False,
        "hasUniqueValue": False,
        "hidden": False,
        "hubspotDefined": hubspot_defined,
        "formField": not read_only,
        "modificationMetadata": {
            "archivable": not hubspot_defined,
            "readOnlyDefinition": hubspot_defined,
            "readOnlyValue": read_only,
        },
        "createdAt": _iso(at_ms),
        "updatedAt": _iso(at_ms),
        "archived": False,
    }


def _group(name: str, label: str, display_order: int = -1) -> dict[str, Any]:
    return {"name": name, "label": label, "displayOrder": display_order, "archived": False}


def _times(rng: random.Random, created: int) -> tuple[int, int]:
    """When an object was created and last changed, to the millisecond."""
    created += rng.randrange(1000)
    return created, created + rng.choice(_CHANGED_AFTER) + rng.randrange(1000)


def _add_company(portal: Portal, rng: random.Random, i: int, owners: list[str]) -> str:
    word = COMPANY_WORDS[i % len(COMPANY_WORDS)]
    kind, tld = COMPANY_KINDS[(i // len(COMPANY_WORDS)) % len(COMPANY_KINDS)]
    series = i // (len(COMPANY_WORDS) * len(COMPANY_KINDS))
    name = f"{word} {kind}" + (f" {series + 1}" if series else "")
    country, state, city = PLACES[i % len(PLACES)]
    industry = INDUSTRIES[(i * 3) % len(INDUSTRIES)][0]
    created, changed = _times(rng, _ms(START) + i * 4 * 3_600_000)
    properties = {
        "name": name,
        "domain": f"{name.lower().replace(' ', '-')}.{tld}",
        "industry": industry,
        "numberofemployees": str(rng.choice((8, 25, 60, 140, 420, 1_200, 5_000))),
        "annualrevenue": str(rng.randrange(5, 5_000) * 100_000) if i % 5 != 4 else "",
        "country": country,
        "state": state,
        "city": city,
        "hubspot_owner_id": owners[i % len(owners)],
    }
    return portal.add("companies", properties, changed, created)


def _add_contact(
    portal: Portal,
    rng: random.Random,
    i: int,
    company: str | None,
    owners: list[str],
    *,
    share_with: str | None,
) -> str:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    if company is not None:
        firm = portal.objects["companies"][company]["properties"]
        domain, firm_name = firm["domain"], firm["name"]
        country, state, city = firm["country"], firm["state"], firm["city"]
        industry = dict(INDUSTRIES)[firm["industry"]]
    else:
        domain, firm_name, industry = "gmail.com", "", ""
        country, state, city = rng.choice(PLACES)
    email = f"{first}.{last}.{i}@{domain}".lower()
    created, changed = _times(rng, _ms(START) + i * 53 * 60_000)
    if share_with is not None:  # changed by the same bulk edit as the one before
        before = portal.objects["contacts"][share_with]
        changed = max(changed, _parse_ms(before["updatedAt"]))
        portal.change("contacts", share_with, {}, changed)
    properties = {
        "email": email.upper() if i % 11 == 5 else email,
        "firstname": first if i % 17 != 3 else first.lower(),
        "lastname": last,
        "company": firm_name,
        "jobtitle": JOB_TITLES[(i * 5) % len(JOB_TITLES)],
        "phone": PHONES[i % len(PHONES)].format(i % 100) if i % 6 != 2 else "",
        "country": country,
        "city": city,
        "state": state,
        "industry": industry,
        "lifecyclestage": rng.choice(LIFECYCLE_STAGES),
        "hubspot_owner_id": owners[i % len(owners)] if i % 8 != 7 else "",
    }
    return portal.add("contacts", properties, changed, created)


def _add_deal(
    portal: Portal,
    rng: random.Random,
    j: int,
    contact_ids: list[str],
    people: dict[str, list[str]],
    owners: list[str],
) -> None:
    buyer = rng.choice(contact_ids)
    companies = portal.linked("contacts", buyer, "companies")
    company = companies[0] if companies else None
    title = (
        portal.objects["companies"][company]["properties"]["name"]
        if company is not None
        else portal.objects["contacts"][buyer]["properties"]["lastname"]
    )
    stage = rng.choice(DEAL_STAGES)
    created, changed = _times(rng, _ms(START) + j * 97 * 60_000)
    properties = {
        "dealname": f"{title} - {rng.choice(PRODUCTS)}",
        "amount": str(rng.randrange(4, 400) * 250) if j % 9 != 4 else "",
        "closedate": _iso(created + rng.randrange(10, 120) * 86_400_000),
        "dealstage": stage,
        "pipeline": "default",
        "hs_is_closed": "true" if stage in ("closedwon", "closedlost") else "false",
        "hs_is_closed_won": "true" if stage == "closedwon" else "false",
        "hubspot_owner_id": owners[j % len(owners)],
    }
    rid = portal.add("deals", properties, changed, created)
    portal.link("deals", rid, "contacts", buyer)
    if company is not None:
        portal.link("deals", rid, "companies", company)
        colleagues = [c for c in people.get(company, []) if c != buyer]
        if colleagues and rng.random() < 0.5:
            portal.link("deals", rid, "contacts", rng.choice(colleagues))


@dataclass
class _Fault(Fault):
    policy: str  # the `policyName` of a 429


class _Refusal(Exception):
    """An error answer, raised from deep in a handler."""

    def __init__(self, status: int, message: str, category: str, **extra: Any) -> None:
        super().__init__(message)
        self.response = _error(status, message, category, **extra)


@dataclass
class FakeHubSpot:
    """The fake's state: its portal, the token it accepts, its limits, the faults still to
    come, the ids whose updates fail, and the requests it saw.

    Knobs: `rate_limits` (enforce the limits below, on by default as HubSpot does),
    `calls_per_10s` over `rolling_seconds`, `search_per_second`, `search_cap` (the most
    results one search query reaches), `association_page` (associations per id per page),
    `slow_seconds` (the delay of a "slow" fault) and `clock` (when requests arrive).
    """

    token: str = FAKE_TOKEN
    portal: Portal = field(default_factory=sample_portal)
    rate_limits: bool = True
    calls_per_10s: int = 100
    rolling_seconds: float = 10.0
    search_per_second: int = 5
    search_cap: int = SEARCH_CAP
    association_page: int = 500
    slow_seconds: float = 1.0
    clock: Callable[[], float] = time.monotonic
    requests: list[RecordedRequest] = field(default_factory=list)
    failing_updates: dict[str, str] = field(default_factory=dict)
    _faults: PendingFaults[_Fault] = field(default_factory=lambda: PendingFaults(FAULTS))
    _call_log: deque[float] = field(default_factory=deque)
    _search_log: deque[float] = field(default_factory=deque)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    # -- test helpers -----------------------------------------------------------------------

    def fail(
        self,
        kind: str,
        *,
        times: int = 1,
        path: str | None = None,
        retry_after: str | None = "1",
        policy: str = "TEN_SECONDLY_ROLLING",
    ) -> None:
        """Answer the next `times` requests (whose path contains `path`, e.g. "/search" or
        "/batch/update", or any) with a fault: "429" (with `retry_after` and `policy`), "500",
        "401", "403" (a missing scope) or "slow" (the right answer, `slow_seconds` late)."""
        with self._lock:
            self._faults.add(_Fault(kind, times, path, retry_after, policy))

    def fail_updates(self, ids: Iterable[str], message: str = "") -> None:
        """Make batch updates of these ids fail, each with a 207 error, until cleared with
        `failing_updates.clear()`."""
        reason = message or "Property values were not valid: INVALID_OPTION"
        with self._lock:
            self.failing_updates.update({str(rid): reason for rid in ids})

    def calls(
        self, path_part: str | None = None, *, method: str | None = None
    ) -> list[RecordedRequest]:
        """The requests whose path contains `path_part` (all when None), of one method or
        any."""
        with self._lock:
            return [
                r
                for r in self.requests
                if (path_part is None or path_part in r.path) and method in (None, r.method)
            ]

    def peak_calls(self, seconds: float = 10.0) -> int:
        """The most requests that arrived within any `seconds`."""
        with self._lock:
            moments = sorted(r.at for r in self.requests)
        most, first = 0, 0
        for last, moment in enumerate(moments):
            while moment - moments[first] >= seconds:
                first += 1
            most = max(most, last - first + 1)
        return most

    def record(self, object_type: str, rid: str) -> dict[str, Any]:
        """A copy of one stored object."""
        with self._lock:
            stored = self.portal.objects[_kind_or_error(object_type)][rid]
            return {**stored, "properties": dict(stored["properties"])}

    def touch(self, object_type: str, rid: str, **properties: str) -> str:
        """Change properties of one object as a user in HubSpot would; its new modified
        time."""
        return self.touch_many(object_type, [rid], **properties)

    def touch_many(self, object_type: str, ids: Iterable[str], **properties: str) -> str:
        """Change objects in one bulk edit: all of them get the same new modified time, which
        is returned."""
        kind = _kind_or_error(object_type)
        with self._lock:
            _check_names(self.portal, kind, properties)
            wanted = list(ids)
            unknown = [rid for rid in wanted if rid not in self.portal.objects[kind]]
            if unknown:
                raise KeyError(f"no {kind} with ids {unknown}")
            moment = self.portal.tick()
            for rid in wanted:
                self.portal.change(kind, rid, properties, moment)
            return _iso(moment)

    def add_contact(self, *, company_id: str | None = None, **properties: str) -> str:
        """A new contact (associated with a company if given), created now; its id."""
        with self._lock:
            _check_names(self.portal, "contacts", properties)
            moment = self.portal.tick()
            rid = self.portal.add("contacts", dict(properties), moment, moment)
            if company_id is not None:
                self.portal.link("contacts", rid, "companies", company_id)
            return rid

    # -- the server -------------------------------------------------------------------------

    def app(self) -> Starlette:
        """The ASGI application."""
        endpoint = self._endpoint
        return Starlette(
            routes=[
                Route(
                    "/crm/v3/objects/{object_type}/search",
                    endpoint(self._search, search=True),
                    methods=["POST"],
                ),
                Route(
                    "/crm/v3/objects/{object_type}/batch/update",
                    endpoint(self._batch_update),
                    methods=["POST"],
                ),
                Route(
                    "/crm/v3/objects/{object_type}/batch/read",
                    endpoint(self._batch_read),
                    methods=["POST"],
                ),
                Route("/crm/v3/objects/{object_type}", endpoint(self._list), methods=["GET"]),
                Route(
                    "/crm/v4/associations/{from_type}/{to_type}/batch/read",
                    endpoint(self._associations),
                    methods=["POST"],
                ),
                Route(
                    "/crm/v3/properties/{object_type}/groups",
                    endpoint(self._groups),
                    methods=["GET", "POST"],
                ),
                Route(
                    "/crm/v3/properties/{object_type}",
                    endpoint(self._properties),
                    methods=["GET", "POST"],
                ),
                Route("/crm/v3/owners", endpoint(self._owners), methods=["GET"]),
            ]
        )

    def _endpoint(
        self, handler: Callable[[Request, Any], Response], *, search: bool = False
    ) -> Callable[[Request], Awaitable[Response]]:
        """Wrap a handler: record the request, answer a fault, a refused token or a rate
        limit if due, else run the handler with the parsed body (under the lock)."""

        async def endpoint(request: Request) -> Response:
            arrived = self.clock()
            raw = await request.body()
            body: Any = None
            refusal: _Refusal | None = None
            try:
                body = json.loads(raw) if raw else None
            except ValueError as exc:
                body = raw.decode(errors="replace")
                refusal = _Refusal(400, f"Invalid input JSON: {exc}", "VALIDATION_ERROR")
            seen = RecordedRequest.of(request, body, at=arrived)
            with self._lock:
                self.requests.append(seen)
            response = await self._gate(request, search, arrived)
            if response is None:
                with self._lock:
                    try:
                        if refusal is not None:
                            raise refusal
                        response = handler(request, body)
                    except _Refusal as refused:
                        response = refused.response
                    if not search:
                        response.headers.update(self._limit_headers())
            seen.status = response.status_code
            return response

        return endpoint

    async def _gate(self, request: Request, search: bool, arrived: float) -> Response | None:
        """A pending fault, a refused token or a rate limit, as HubSpot checks them."""
        path = request.url.path
        with self._lock:
            fault = self._faults.take(lambda f: f.path is None or f.path in path)
        if fault is not None and fault.kind != "slow":
            return _fault_answer(fault, request.method, path)
        if fault is not None:
            await asyncio.sleep(self.slow_seconds)
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return _unauthenticated()
        with self._lock:
            return self._rate_limited(search, arrived)

    def _rate_limited(self, search: bool, now: float) -> Response | None:
        """A 429 when this call would go over a limit; else the call is counted."""
        while self._call_log and self._call_log[0] <= now - self.rolling_seconds:
            self._call_log.popleft()
        while self._search_log and self._search_log[0] <= now - 1.0:
            self._search_log.popleft()
        if self.rate_limits:
            if search and len(self._search_log) >= self.search_per_second:
                wait = self._search_log[0] + 1.0 - now
                return _rate_limit("SECONDLY", self.search_per_second, 1.0, wait)
            if len(self._call_log) >= self.calls_per_10s:
                wait = self._call_log[0] + self.rolling_seconds - now
                return _rate_limit(
                    "TEN_SECONDLY_ROLLING", self.calls_per_10s, self.rolling_seconds, wait
                )
        self._call_log.append(now)
        if search:
            self._search_log.append(now)
        return None

    def _limit_headers(self) -> dict[str, str]:
        return {
            "X-HubSpot-RateLimit-Max": str(self.calls_per_10s),
            "X-HubSpot-RateLimit-Remaining": str(max(0, self.calls_per_10s - len(self._call_log))),
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(round(self.rolling_seconds * 1000)),
        }

    # -- endpoints (each runs under the lock) -------------------------------------------------

    def _search(self, request: Request, body: Any) -> Response:
        kind = _kind_of(request.path_params["object_type"])
        if not isinstance(body, dict):
            raise _Refusal(400, "Invalid input JSON: expected an object", "VALIDATION_ERROR")
        limit = _bounded(body.get("limit", 10), "limit", 1, 200)
        after = _offset(body.get("after"))
        if after >= self.search_cap:
            raise _Refusal(
                400,
                f"Paging past {self.search_cap} results is not supported: after must be below "
                f"{self.search_cap}; narrow the search with filters instead",
                "VALIDATION_ERROR",
            )
        definitions = self.portal.properties[kind]
        groups = _compile_groups(body.get("filterGroups") or [], definitions)
        found = [r for r in self.portal.objects[kind].values() if _any_group(r, groups)]
        found = _sorted(found, body.get("sorts") or [], definitions)
        page = found[after : min(after + limit, self.search_cap, len(found))]
        shown = _shown(kind, body.get("properties"), definitions)
        document: dict[str, Any] = {
            "total": len(found),
            "results": [_view(record, shown) for record in page],
        }
        if page and after + len(page) < len(found):
            document["paging"] = {"next": {"after": str(after + len(page))}}
        return JSONResponse(document)

    def _list(self, request: Request, body: Any) -> Response:
        kind = _kind_of(request.path_params["object_type"])
        query = request.query_params
        limit = _bounded(query.get("limit", 10), "limit", 1, 100)
        after = _offset(query.get("after"))
        records = sorted(self.portal.objects[kind].values(), key=lambda r: int(r["id"]))
        named = query.get("properties")
        shown = _shown(kind, named.split(",") if named else None, self.portal.properties[kind])
        page = records[after : after + limit]
        document: dict[str, Any] = {"results": [_view(record, shown) for record in page]}
        if after + len(page) < len(records):
            following = str(after + len(page))
            document["paging"] = {"next": {"after": following, "link": f"?after={following}"}}
        return JSONResponse(document)

    def _associations(self, request: Request, body: Any) -> Response:
        source = _kind_of(request.path_params["from_type"])
        target = _kind_of(request.path_params["to_type"])
        inputs = _inputs(body, ASSOCIATION_INPUTS)
        results: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        types = [
            {"category": "HUBSPOT_DEFINED", "typeId": type_id, "label": label}
            for type_id, label in _ASSOCIATION_TYPES.get((source, target), ())
        ]
        for item in inputs:
            rid = str(item.get("id"))
            linked = self.portal.linked(source, rid, target)
            if not linked:
                errors.append(_no_associations(source, target, rid))
                continue
            start = _offset(item.get("after"))
            chunk = linked[start : start + self.association_page]
            result: dict[str, Any] = {
                "from": {"id": rid},
                "to": [{"toObjectId": int(t), "associationTypes": types} for t in chunk],
            }
            if start + len(chunk) < len(linked):
                result["paging"] = {"next": {"after": str(start + len(chunk)), "link": None}}
            results.append(result)
        return _batch_answer(results, errors)

    def _properties(self, request: Request, body: Any) -> Response:
        kind = _kind_of(request.path_params["object_type"])
        definitions = self.portal.properties[kind]
        if request.method == "GET":
            return JSONResponse({"results": list(definitions.values())})
        if not isinstance(body, dict):
            raise _Refusal(400, "Invalid input JSON: expected an object", "VALIDATION_ERROR")
        missing = [
            k for k in ("name", "label", "type", "fieldType", "groupName") if not body.get(k)
        ]
        if missing:
            raise _Refusal(
                400, f"Missing required fields: {', '.join(missing)}", "VALIDATION_ERROR"
            )
        name = str(body["name"])
        if name in definitions:
            raise _Refusal(409, f"Property named '{name}' already exists.", "OBJECT_ALREADY_EXISTS")
        if body["type"] not in _TYPES or body["fieldType"] not in _FIELD_TYPES:
            raise _Refusal(
                400,
                f"Invalid type {body['type']!r} or fieldType {body['fieldType']!r} for '{name}'",
                "VALIDATION_ERROR",
            )
        if body["groupName"] not in self.portal.groups[kind]:
            raise _Refusal(
                400, f"Property group '{body['groupName']}' does not exist.", "VALIDATION_ERROR"
            )
        definition = _definition(
            name,
            str(body["label"]),
            str(body["type"]),
            str(body["fieldType"]),
            str(body["groupName"]),
            False,
            self.portal.now_ms,
            description=str(body.get("description") or ""),
            hubspot_defined=False,
        )
        definitions[name] = definition
        return JSONResponse(definition, 201)

    def _groups(self, request: Request, body: Any) -> Response:
        kind = _kind_of(request.path_params["object_type"])
        groups = self.portal.groups[kind]
        if request.method == "GET":
            return JSONResponse({"results": list(groups.values())})
        if not isinstance(body, dict) or not body.get("name") or not body.get("label"):
            raise _Refusal(400, "Missing required fields: name, label", "VALIDATION_ERROR")
        name = str(body["name"])
        if name in groups:
            raise _Refusal(
                409, f"A property group named '{name}' already exists.", "OBJECT_ALREADY_EXISTS"
            )
        order = body.get("displayOrder", -1)
        groups[name] = _group(name, str(body["label"]), order if isinstance(order, int) else -1)
        return JSONResponse(groups[name], 201)

    def _batch_update(self, request: Request, body: Any) -> Response:
        kind = _kind_of(request.path_params["object_type"])
        inputs = _inputs(body, BATCH_LIMIT)
        changes: dict[str, dict[str, Any]] = {}
        for item in inputs:
            rid, properties = item.get("id"), item.get("properties")
            if rid is None or not isinstance(properties, dict):
                raise _Refusal(400, "Each input needs an id and properties", "VALIDATION_ERROR")
            if str(rid) in changes:
                raise _Refusal(
                    400,
                    f"Duplicate IDs found in batch input: [{rid}]. IDs must be unique",
                    "VALIDATION_ERROR",
                )
            changes[str(rid)] = properties
        _check_values(self.portal, kind, changes.values())
        store = self.portal.objects[kind]
        missing = [rid for rid in changes if rid not in store]
        refused = [rid for rid in changes if rid in store and rid in self.failing_updates]
        done = [rid for rid in changes if rid in store and rid not in self.failing_updates]
        results = []
        if done:
            moment = self.portal.tick()
            for rid in done:
                self.portal.change(kind, rid, changes[rid], moment)
                shown = ["hs_object_id", "createdate", MODIFIED[kind], *changes[rid]]
                results.append(_view(store[rid], shown))
        errors = [
            {
                "status": "error",
                "category": "VALIDATION_ERROR",
                "message": self.failing_updates[rid],
                "context": {"id": [rid]},
            }
            for rid in refused
        ]
        if missing:
            errors.append(
                {
                    "status": "error",
                    "category": "OBJECT_NOT_FOUND",
                    "message": (
                        f"Could not get some {_SINGULAR[kind].upper()} objects, they may be "
                        "deleted or not exist. Check that ids are valid."
                    ),
                    "context": {"ids": missing},
                }
            )
        return _batch_answer(results, errors)

    def _batch_read(self, request: Request, body: Any) -> Response:
        kind = _kind_of(request.path_params["object_type"])
        inputs = _inputs(body, BATCH_LIMIT)
        shown = body.get("properties") if isinstance(body, dict) else None
        if not isinstance(shown, list):
            shown = []
        store = self.portal.objects[kind]
        ids = [str(item.get("id")) for item in inputs]
        results = [
            _view(store[rid], ["hs_object_id", "createdate", MODIFIED[kind], *shown])
            for rid in ids
            if rid in store
        ]
        missing = [rid for rid in ids if rid not in store]
        errors = (
            [
                {
                    "status": "error",
                    "category": "OBJECT_NOT_FOUND",
                    "message": f"Could not get some {_SINGULAR[kind].upper()} objects",
                    "context": {"ids": missing},
                }
            ]
            if missing
            else []
        )
        return _batch_answer(results, errors)

    def _owners(self, request: Request, body: Any) -> Response:
        query = request.query_params
        limit = _bounded(query.get("limit", 100), "limit", 1, 500)
        after = _offset(query.get("after"))
        owners = self.portal.owners[after : after + limit]
        document: dict[str, Any] = {"results": owners}
        if after + len(owners) < len(self.portal.owners):
            following = str(after + len(owners))
            document["paging"] = {"next": {"after": following, "link": f"?after={following}"}}
        return JSONResponse(document)


# -- answers ---------------------------------------------------------------------------------


def _error(
    status: int,
    message: str,
    category: str,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    """An error as HubSpot answers one; `extra` adds fields (policyName, errors, ...)."""
    document = {
        "status": "error",
        "message": message,
        "correlationId": str(uuid.uuid4()),
        "category": category,
        **extra,
    }
    return JSONResponse(document, status, headers=headers)


def _unauthenticated() -> Response:
    return _error(
        401,
        "Authentication credentials not found. This API supports OAuth 2.0 authentication and "
        "you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
        "INVALID_AUTHENTICATION",
    )


def _rate_limit(policy: str, limit: int, seconds: float, wait: float) -> Response:
    headers = {
        "Retry-After": str(max(1, math.ceil(wait))),
        "X-HubSpot-RateLimit-Max": str(limit),
        "X-HubSpot-RateLimit-Remaining": "0",
        "X-HubSpot-RateLimit-Interval-Milliseconds": str(round(seconds * 1000)),
    }
    return _error(
        429,
        f"You have reached your {policy.lower()} limit.",
        "RATE_LIMITS",
        errorType="RATE_LIMIT",
        policyName=policy,
        headers=headers,
    )


def _fault_answer(fault: _Fault, method: str, path: str) -> Response:
    if fault.kind == "429":
        response = _error(
            429,
            f"You have reached your {fault.policy.lower()} limit.",
            "RATE_LIMITS",
            errorType="RATE_LIMIT",
            policyName=fault.policy,
        )
        if fault.retry_after is not None:
            response.headers["Retry-After"] = fault.retry_after
        return response
    if fault.kind == "500":
        return _error(500, "internal error", "INTERNAL_ERROR")
    if fault.kind == "401":
        return _unauthenticated()
    scope = _scope_for(method, path)
    return _error(
        403,
        "This app hasn't been granted all required scopes to make this call. Read more about "
        "required scopes here: https://developers.hubspot.com/scopes.",
        "MISSING_SCOPES",
        errors=[
            {
                "message": "One or more of the following scopes are required.",
                "context": {"requiredGranularScopes": [scope]},
            }
        ],
        links={"scopes": "https://developers.hubspot.com/scopes"},
    )


def _scope_for(method: str, path: str) -> str:
    """The scope HubSpot asks for on a path (the private app scopes' names)."""
    if path.startswith("/crm/v3/owners"):
        return "crm.objects.owners.read"
    kind = next((k for k in OBJECT_TYPES if f"/{k}" in path), "contacts")
    if path.startswith("/crm/v3/properties"):
        return f"crm.schemas.{kind}.{'write' if method == 'POST' else 'read'}"
    write = path.endswith("/batch/update")
    return f"crm.objects.{kind}.{'write' if write else 'read'}"


def _no_associations(source: str, target: str, rid: str) -> dict[str, Any]:
    return {
        "status": "error",
        "category": "OBJECT_NOT_FOUND",
        "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
        "message": f"No {_SINGULAR[target]} is associated with {_SINGULAR[source]} {rid}.",
        "context": {
            "fromObjectId": [rid],
            "fromObjectType": [_SINGULAR[source]],
            "toObjectType": [_SINGULAR[target]],
        },
    }


def _batch_answer(results: list[dict[str, Any]], errors: list[dict[str, Any]]) -> Response:
    """200 when every input went through, else 207 with the errors."""
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    document: dict[str, Any] = {
        "status": "COMPLETE",
        "results": results,
        "startedAt": now,
        "completedAt": now,
    }
    if errors:
        document["numErrors"] = len(errors)
        document["errors"] = errors
    return JSONResponse(document, 207 if errors else 200)


# -- requests --------------------------------------------------------------------------------


def _kind_or_error(name: str) -> str:
    kind = _NAMES.get(name)
    if kind is None:
        raise KeyError(f"the fake has no object type {name!r}")
    return kind


def _kind_of(name: str) -> str:
    kind = _NAMES.get(name)
    if kind is None:
        raise _Refusal(400, f"Unable to infer object type from: {name}", "VALIDATION_ERROR")
    return kind


def _bounded(value: Any, name: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = low - 1
    if not low <= number <= high:
        raise _Refusal(400, f"{name} must be between {low} and {high}", "VALIDATION_ERROR")
    return number


def _offset(value: Any) -> int:
    """A paging cursor, which this fake makes an offset."""
    if value in (None, ""):
        return 0
    text = str(value)
    if not text.isdigit():
        raise _Refusal(400, f"Invalid paging cursor: {text}", "VALIDATION_ERROR")
    return int(text)


def _inputs(body: Any, limit: int) -> list[dict[str, Any]]:
    inputs = body.get("inputs") if isinstance(body, dict) else None
    if not isinstance(inputs, list) or not all(isinstance(i, dict) for i in inputs):
        raise _Refusal(400, "Invalid input JSON: inputs must be a list", "VALIDATION_ERROR")
    if len(inputs) > limit:
        raise _Refusal(
            400,
            f"Batch input of {len(inputs)} is larger than the limit of {limit}",
            "VALIDATION_ERROR",
        )
    return inputs


def _check_names(portal: Portal, kind: str, properties: dict[str, Any]) -> None:
    unknown = [name for name in properties if name not in portal.properties[kind]]
    if unknown:
        raise KeyError(f"{kind} have no properties {unknown}")


def _check_values(portal: Portal, kind: str, changes: Iterable[dict[str, Any]]) -> None:
    """400 as HubSpot answers for a property that does not exist or may not be set."""
    definitions = portal.properties[kind]
    problems: list[dict[str, Any]] = []
    for properties in changes:
        for name in properties:
            definition = definitions.get(name)
            owner_ids = {str(owner["id"]) for owner in portal.owners}
            if definition is None:
                text, error = f'Property "{name}" does not exist', "PROPERTY_DOESNT_EXIST"
            elif name == "hubspot_owner_id" and str(properties[name]) not in owner_ids | {""}:
                text, error = f"{properties[name]} is not a valid owner id", "INVALID_OWNER_ID"
            elif definition["modificationMetadata"]["readOnlyValue"]:
                text, error = (
                    f'"{name}" is a read only property; its value cannot be set.',
                    "READ_ONLY_VALUE",
                )
            else:
                continue
            problem = {"isValid": False, "message": text, "error": error, "name": name}
            if problem not in problems:
                problems.append(problem)
    if problems:
        raise _Refusal(
            400, f"Property values were not valid: {json.dumps(problems)}", "VALIDATION_ERROR"
        )


# A compiled filter: property, operator, property type, value(s) to compare with.
_Filter = tuple[str, str, str, Any]


def _compile_groups(groups: Any, definitions: dict[str, dict[str, Any]]) -> list[list[_Filter]]:
    """The filter groups of a search, checked as HubSpot checks them (since August 2024: at
    most 5 groups of 10 filters, 25 in all), with their values made comparable."""
    if not isinstance(groups, list) or len(groups) > 5:
        raise _Refusal(400, "At most 5 filterGroups are allowed", "VALIDATION_ERROR")
    compiled: list[list[_Filter]] = []
    for group in groups:
        filters = group.get("filters") if isinstance(group, dict) else None
        if not isinstance(filters, list) or len(filters) > 10:
            raise _Refusal(
                400, "Each filterGroup takes a list of at most 10 filters", "VALIDATION_ERROR"
            )
        compiled.append([_compile(f, definitions) for f in filters])
    if sum(len(g) for g in compiled) > 25:
        raise _Refusal(400, "At most 25 filters are allowed in all", "VALIDATION_ERROR")
    return compiled


def _compile(spec: Any, definitions: dict[str, dict[str, Any]]) -> _Filter:
    if not isinstance(spec, dict):
        raise _Refusal(400, "A filter must be an object", "VALIDATION_ERROR")
    name, op = str(spec.get("propertyName")), str(spec.get("operator"))
    if op not in _OPERATORS:
        raise _Refusal(400, f"Unknown filter operator {op}", "VALIDATION_ERROR")
    definition = definitions.get(name)
    if definition is None:
        raise _Refusal(
            400,
            f"There was a problem with the request: unknown property {name}",
            "VALIDATION_ERROR",
        )
    type_ = str(definition["type"])
    try:
        if op in ("IN", "NOT_IN"):
            return name, op, type_, {_comparable(v, type_) for v in spec.get("values") or []}
        if op in ("HAS_PROPERTY", "NOT_HAS_PROPERTY"):
            return name, op, type_, None
        return name, op, type_, _comparable(spec.get("value"), type_)
    except (TypeError, ValueError):
        raise _Refusal(
            400, f"Invalid value for {name}: {spec.get('value')!r}", "VALIDATION_ERROR"
        ) from None


def _comparable(value: Any, type_: str) -> float | str:
    """A value as HubSpot compares it for a property type: datetimes as epoch milliseconds,
    numbers as numbers, text case-insensitively."""
    if value is None:
        raise ValueError("no value")
    text = _text_value(value)
    if type_ in ("datetime", "date"):
        return float(_parse_ms(text))
    if type_ == "number":
        return float(text)
    return text.lower()


def _any_group(record: dict[str, Any], groups: list[list[_Filter]]) -> bool:
    """Whether a record meets every filter of some group (all records when there are none)."""
    return not groups or any(all(_meets(record, f) for f in group) for group in groups)


def _meets(record: dict[str, Any], compiled: _Filter) -> bool:
    name, op, type_, wanted = compiled
    raw = record["properties"].get(name)
    present = raw not in (None, "")
    if op == "HAS_PROPERTY":
        return present
    if op == "NOT_HAS_PROPERTY":
        return not present
    if not present:
        return op in ("NEQ", "NOT_IN")
    value = _comparable(raw, type_)
    if op == "IN":
        return value in wanted
    if op == "NOT_IN":
        return value not in wanted
    if type(value) is not type(wanted):
        return False
    return _COMPARE[op](value, wanted)


def _sorted(
    records: list[dict[str, Any]], sorts: Any, definitions: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """Records in the one sort HubSpot allows (by id when none); those without a value last."""
    if not isinstance(sorts, list) or len(sorts) > 1:
        raise _Refusal(400, "Only one sort is allowed", "VALIDATION_ERROR")
    by_id = sorted(records, key=lambda r: int(r["id"]))
    if not sorts:
        return by_id
    sort = sorts[0] if isinstance(sorts[0], dict) else {}
    name = str(sort.get("propertyName"))
    if name not in definitions:
        raise _Refusal(400, f"Cannot sort by unknown property {name}", "VALIDATION_ERROR")
    type_ = str(definitions[name]["type"])
    present = [r for r in by_id if r["properties"].get(name) not in (None, "")]
    absent = [r for r in by_id if r["properties"].get(name) in (None, "")]
    descending = str(sort.get("direction", "ASCENDING")).upper() == "DESCENDING"
    present.sort(key=lambda r: _comparable(r["properties"][name], type_), reverse=descending)
    return present + absent


def _shown(kind: str, requested: Any, definitions: dict[str, dict[str, Any]]) -> list[str]:
    """The properties an answer carries: those asked for that exist (HubSpot ignores the
    others), or a default few; always with id, create and modified dates."""
    named = (
        [str(p) for p in requested if str(p) in definitions]
        if isinstance(requested, list) and requested
        else list(_DEFAULT_SHOWN[kind])
    )
    return list(dict.fromkeys([*named, "hs_object_id", "createdate", MODIFIED[kind]]))


def _view(record: dict[str, Any], shown: list[str]) -> dict[str, Any]:
    values = record["properties"]
    return {
        "id": record["id"],
        "properties": {name: values.get(name) for name in shown},
        "createdAt": record["createdAt"],
        "updatedAt": record["updatedAt"],
        "archived": record["archived"],
    }


@contextmanager
def serve_fake(fake: FakeHubSpot | None = None) -> Iterator[str]:
    """Run a fake HubSpot on 127.0.0.1 on a free port in a background thread; yields its base
    URL ("http://127.0.0.1:PORT") and stops it on exit."""
    fake = fake or FakeHubSpot()
    with serve_in_thread(fake.app(), name="fake-hubspot") as port:
        yield f"http://127.0.0.1:{port}"
