"""A fake Salesforce org for tests and demos: the REST API calls the connector makes, over a
deterministic org of leads, contacts, accounts, opportunities and users, with faults that can be
switched on, and a helper that serves it on 127.0.0.1 in a background thread.

Shapes follow Salesforce's REST API Developer Guide: the client credentials token response;
errors as `[{"message", "errorCode", "fields"?}]`; query results of `{"totalSize", "done",
"records", "nextRecordsUrl"?}` with `attributes` on every record and datetimes written
`2026-03-02T09:00:00.000+0000`; sObject Collections PATCH answered with one SaveResult per
record, in order. An unknown field in a collections PATCH refuses the whole request (400
`INVALID_FIELD`, "No such column 'X' on sobject of type Lead"), as Salesforce refuses a body it
cannot read before it saves any record; a field that exists but may not be written
(`SystemModstamp`) fails only its record (`INVALID_FIELD_FOR_INSERT_UPDATE`).

The SOQL understood is what the client sends: `SELECT <fields> FROM <sObject> [WHERE
SystemModstamp > <datetime>] ORDER BY SystemModstamp ASC, Id ASC` (`modified_since`), `SELECT
<fields> FROM <sObject> WHERE <field> IN ('<id>', ...) ORDER BY Id ASC` (`with_ids`) and `SELECT
<fields> FROM User WHERE IsActive = true ORDER BY Id ASC` (`users`).
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from leadrank.connectors.fake_faults import Fault, PendingFaults, RecordedRequest
from leadrank.connectors.salesforce.push import FIELD_NAMES, SCORE_FIELDS
from leadrank.kit.local_server import serve_in_thread

FAKE_CLIENT_ID = "3MVG9fake.leadrank.connected.app.client.id"
FAKE_CLIENT_SECRET = "fake-salesforce-client-secret-8c1f"
ORG_ID = "00DDn00000FaKeOrG"
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
FAULTS = ("429", "500", "daily_limit", "slow")
DEFAULT_BATCH_SIZE = 2000  # Salesforce's default query batch
COLLECTION_LIMIT = 200
PREFIXES = {"Lead": "00Q", "Contact": "003", "Account": "001", "Opportunity": "006", "User": "005"}
LEADRANK_FIELDS = FIELD_NAMES  # the custom fields the push writes, as it names them
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_CHECKSUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


@dataclass(frozen=True)
class FieldSpec:
    """One field as describe lists it."""

    name: str
    type: str
    label: str
    updateable: bool = True


def _fields(*specs: tuple[str, str] | tuple[str, str, bool]) -> tuple[FieldSpec, ...]:
    """FieldSpecs from (name, type[, updateable]); labels spelt out from the name."""
    made = []
    for spec in specs:
        name, kind = spec[0], spec[1]
        label = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name.removesuffix("__c")).replace("_", " ")
        made.append(FieldSpec(name, kind, label, spec[2] if len(spec) == 3 else True))
    return tuple(made)


_SYSTEM = (("CreatedDate", "datetime", False), ("SystemModstamp", "datetime", False))
STANDARD_FIELDS: dict[str, tuple[FieldSpec, ...]] = {
    "Lead": _fields(
        ("Id", "id", False),
        ("FirstName", "string"),
        ("LastName", "string"),
        ("Email", "email"),
        ("Company", "string"),
        ("Website", "url"),
        ("Title", "string"),
        ("Phone", "phone"),
        ("Country", "string"),
        ("State", "string"),
        ("Industry", "picklist"),
        ("NumberOfEmployees", "int"),
        ("AnnualRevenue", "currency"),
        ("LeadSource", "picklist"),
        ("Status", "picklist"),
        ("OwnerId", "reference"),
        ("IsConverted", "boolean", False),
        *_SYSTEM,
    ),
    "Contact": _fields(
        ("Id", "id", False),
        ("FirstName", "string"),
        ("LastName", "string"),
        ("Email", "email"),
        ("Title", "string"),
        ("Phone", "phone"),
        ("MailingCountry", "string"),
        ("MailingState", "string"),
        ("AccountId", "reference"),
        ("OwnerId", "reference"),
        *_SYSTEM,
    ),
    "Account": _fields(
        ("Id", "id", False),
        ("Name", "string"),
        ("Website", "url"),
        ("Industry", "picklist"),
        ("NumberOfEmployees", "int"),
        ("AnnualRevenue", "currency"),
        ("BillingCountry", "string"),
        ("BillingState", "string"),
        ("OwnerId", "reference"),
        *_SYSTEM,
    ),
    "Opportunity": _fields(
        ("Id", "id", False),
        ("Name", "string"),
        ("AccountId", "reference"),
        ("ContactId", "reference"),
        ("Amount", "currency"),
        ("CloseDate", "date"),
        ("StageName", "picklist"),
        ("IsClosed", "boolean", False),
        ("IsWon", "boolean", False),
        *_SYSTEM,
    ),
    "User": _fields(
        ("Id", "id", False),
        ("Name", "string", False),
        ("Email", "email"),
        ("IsActive", "boolean"),
        *_SYSTEM,
    ),
}
# The types this org's admin gave leadrank's fields (a picklist grade and a percent probability,
# as some admins choose over the suggested text and number).
LEADRANK_TYPES = {
    "score": "double",
    "grade": "picklist",
    "probability": "percent",
    "reasons": "textarea",
    "fit": "double",
    "engagement": "double",
    "model_version": "string",
    "scored_at": "datetime",
}
LEADRANK_FIELD_SPECS = _fields(*((f.name, LEADRANK_TYPES[v]) for v, f in SCORE_FIELDS.items()))

FIRST_NAMES = ("Ann", "Bo", "Carla", "Dev", "Eva", "Femi", "Greta", "Hiro", "Ines", "Jon", "Kim")
LAST_NAMES = ("Lee", "Chen", "Diaz", "Patel", "Novak", "Adeyemi", "Larsen", "Tanaka", "Moreau")
# name, domain, industry, employees
COMPANIES = (
    ("Acme Corp", "acme-corp.com", "Technology", 1200),
    ("Globex", "globex.io", "Manufacturing", 5400),
    ("Initech", "initech.com", "Technology", 310),
    ("Umbrella Health", "umbrella-health.com", "Healthcare", 8800),
    ("Hooli", "hooli.xyz", "Technology", 25000),
    ("Stark Logistics", "starklogistics.co", "Transportation", 760),
    ("Nordwind", "nordwind.de", "Energy", 140),
    ("Kaizen Labs", "kaizenlabs.jp", "Biotechnology", 45),
    ("Lumiere SA", "lumiere.fr", "Retail", 2300),
    ("Fjord Analytics", "fjordanalytics.no", "Consulting", 28),
)
TITLES = ("VP Engineering", "Head of Data", "CFO", "Director of IT", "CTO", "Head of Sales")
PLACES = (("United States", "CA"), ("United States", "NY"), ("Germany", None), ("France", None))
LEAD_SOURCES = ("Web", "Partner Referral", "Trade Show", "Purchased List", "Webinar")
LEAD_STATUSES = ("Open - Not Contacted", "Working - Contacted", "Closed - Not Converted")
STAGES = ("Prospecting", "Qualification", "Proposal/Price Quote", "Closed Won", "Closed Lost")
OWNERS = ("005Dn000001AbCdIAK", "005Dn000001AbCeIAK")  # users, ids with their checksum
# id, name, email, active: the owners, and a user who has left
USERS = (
    (OWNERS[0], "Maya Brandt", "maya.brandt@leadrank-demo.com", True),
    (OWNERS[1], "Tomas Ortega", "tomas.ortega@leadrank-demo.com", True),
    ("005Dn000001AbCfIAK", "Lena Wolff", "lena.wolff@leadrank-demo.com", False),
)


def record_id(sobject: str, number: int) -> str:
    """The 18-character id of `sobject`'s `number`th record: key prefix, a fixed pod part, the
    number in base 62, and Salesforce's case-safe checksum."""
    digits = ""
    while True:
        number, rest = divmod(number, 62)
        digits = _BASE62[rest] + digits
        if number == 0:
            break
    return id18(f"{PREFIXES[sobject]}Dn0000{digits:0>6}")


def id18(id15: str) -> str:
    """A 15-character id with its 3-character suffix: one letter per 5 characters, naming
    which of them are upper case, so the id survives case-insensitive tools."""
    suffix = ""
    for start in (0, 5, 10):
        bits = sum(1 << i for i, c in enumerate(id15[start : start + 5]) if "A" <= c <= "Z")
        suffix += _CHECKSUM[bits]
    return id15[:15] + suffix


def sf_datetime(moment: datetime) -> str:
    """A datetime as Salesforce writes one in JSON: "2026-03-02T09:00:00.000+0000"."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


@dataclass
class Org:
    """The records of the fake org by sObject and id, the custom fields that exist, deleted
    ids, and how often each record was written through the API."""

    records: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: {name: {} for name in PREFIXES}
    )
    custom_fields: dict[str, set[str]] = field(
        default_factory=lambda: {name: set() for name in PREFIXES}
    )
    deleted: set[str] = field(default_factory=set)
    writes: Counter[str] = field(default_factory=Counter)
    _numbers: dict[str, int] = field(default_factory=dict)
    _last_stamp: str = ""

    def fields_of(self, sobject: str) -> list[FieldSpec]:
        """Standard fields, then the custom fields that exist on `sobject`."""
        custom = [s for s in LEADRANK_FIELD_SPECS if s.name in self.custom_fields[sobject]]
        known = {s.name for s in custom}
        extra = sorted(self.custom_fields[sobject] - known)
        return [*STANDARD_FIELDS[sobject], *custom, *(FieldSpec(n, "string", n) for n in extra)]

    def add(self, sobject: str, **fields: Any) -> str:
        """A new record (created and modified now unless given); its id."""
        number = self._numbers.get(sobject, 0) + 1
        self._numbers[sobject] = number
        new_id = record_id(sobject, number)
        stamp = fields.pop("SystemModstamp", None) or self.next_stamp()
        self._last_stamp = max(self._last_stamp, stamp)
        record = {"Id": new_id, "CreatedDate": stamp, **fields, "SystemModstamp": stamp}
        self.records[sobject][new_id] = record
        return new_id

    def touch(self, sobject: str, record: str, **fields: Any) -> None:
        """Change a record as a user would in Salesforce: its SystemModstamp moves on."""
        self.records[sobject][record].update(fields, SystemModstamp=self.next_stamp())

    def delete(self, sobject: str, record: str) -> None:
        """Move a record to the recycle bin: updates of it fail with ENTITY_IS_DELETED."""
        del self.records[sobject][record]
        self.deleted.add(record)

    def create_fields(self, sobject: str, names: Iterable[str]) -> None:
        """Custom fields created on `sobject` (as an admin would in Setup)."""
        self.custom_fields[sobject].update(names)

    def next_stamp(self) -> str:
        """Now, or a millisecond after the latest stamp when the clock is behind it: stamps
        only move forward, as an incremental sync needs."""
        stamp = sf_datetime(datetime.now(UTC))
        if stamp <= self._last_stamp:
            last = datetime.strptime(self._last_stamp, "%Y-%m-%dT%H:%M:%S.%f%z")
            stamp = sf_datetime(last + timedelta(milliseconds=1))
        self._last_stamp = stamp
        return stamp


def sample_org(leads: int = 20, contacts: int = 10, seed: int = 0) -> Org:
    """An org with `leads` leads, `contacts` contacts, an account per three contacts and an
    opportunity per account, created and modified over the first weeks of 2026 (whole days,
    so some records share a SystemModstamp); the same for the same arguments."""
    rng = random.Random(seed)
    org = Org()
    for user_id, name, email, active in USERS:
        stamp = sf_datetime(START)
        org.records["User"][user_id] = {
            "Id": user_id,
            "Name": name,
            "Email": email,
            "IsActive": active,
            "CreatedDate": stamp,
            "SystemModstamp": stamp,
        }
    accounts = [_account(org, rng, k) for k in range((contacts + 2) // 3)]
    first_contacts: dict[str, str] = {}
    for k in range(contacts):
        account = accounts[k % len(accounts)]
        contact = _contact(org, rng, k, account)
        first_contacts.setdefault(account, contact)
    for k, account in enumerate(accounts):
        _opportunity(org, rng, k, account, first_contacts.get(account))
    for k in range(leads):
        _lead(org, rng, k)
    return org


def _stamps(rng: random.Random) -> tuple[str, str]:
    created = START + timedelta(days=rng.randrange(60), minutes=rng.randrange(0, 600, 15))
    modified = created + timedelta(days=rng.randrange(14))
    return sf_datetime(created), sf_datetime(modified)


def _person(rng: random.Random, k: int) -> tuple[str, str, tuple[str, str, str, int]]:
    return rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES), COMPANIES[k % len(COMPANIES)]


def _account(org: Org, rng: random.Random, k: int) -> str:
    name, domain, industry, employees = COMPANIES[k % len(COMPANIES)]
    created, modified = _stamps(rng)
    country, state = rng.choice(PLACES)
    return org.add(
        "Account",
        Name=name if k < len(COMPANIES) else f"{name} {k // len(COMPANIES) + 1}",
        Website=f"https://www.{domain}",
        Industry=industry,
        NumberOfEmployees=employees,
        AnnualRevenue=float(employees * 180_000),
        BillingCountry=country,
        BillingState=state,
        OwnerId=rng.choice(OWNERS),
        CreatedDate=created,
        SystemModstamp=modified,
    )


def _contact(org: Org, rng: random.Random, k: int, account: str) -> str:
    first, last, (_, domain, _, _) = _person(rng, k)
    created, modified = _stamps(rng)
    country, state = rng.choice(PLACES)
    return org.add(
        "Contact",
        FirstName=first,
        LastName=last,
        Email=f"{first}.{last}.{k}@{domain}".lower(),
        Title=rng.choice(TITLES),
        Phone=f"+1 415 555 {k % 10_000:04d}",
        MailingCountry=country,
        MailingState=state,
        AccountId=account,
        OwnerId=rng.choice(OWNERS),
        CreatedDate=created,
        SystemModstamp=modified,
    )


def _opportunity(org: Org, rng: random.Random, k: int, account: str, contact: str | None) -> str:
    stage = rng.choice(STAGES)
    created, modified = _stamps(rng)
    closes = START.date() + timedelta(days=30 + rng.randrange(120))
    return org.add(
        "Opportunity",
        Name=f"{org.records['Account'][account]['Name']} - Platform {k + 1}",
        AccountId=account,
        ContactId=contact,
        Amount=float(rng.randrange(5, 200) * 1000),
        CloseDate=closes.isoformat(),
        StageName=stage,
        IsClosed=stage.startswith("Closed"),
        IsWon=stage == "Closed Won",
        CreatedDate=created,
        SystemModstamp=modified,
    )


def _lead(org: Org, rng: random.Random, k: int) -> str:
    first, last, (company, domain, industry, employees) = _person(rng, k)
    created, modified = _stamps(rng)
    country, state = rng.choice(PLACES)
    return org.add(
        "Lead",
        FirstName=first,
        LastName=last,
        Email=f"{first}.{last}.{k}@{domain}".lower(),
        Company=company,
        Website=f"https://www.{domain}" if k % 3 else None,
        Title=rng.choice(TITLES),
        Phone=f"+1 628 555 {k % 10_000:04d}",
        Country=country,
        State=state,
        Industry=industry,
        NumberOfEmployees=employees,
        AnnualRevenue=float(employees * 150_000) if k % 4 else None,
        LeadSource=rng.choice(LEAD_SOURCES),
        Status=rng.choice(LEAD_STATUSES),
        OwnerId=rng.choice(OWNERS),
        IsConverted=False,
        CreatedDate=created,
        SystemModstamp=modified,
    )


class _Refusal(Exception):
    """An error answer: `[{"message", "errorCode"}]` with an HTTP status."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


Handler = Callable[[Request, Any], Response]


@dataclass
class FakeSalesforce:
    """The fake's state: its org, the connected app it accepts, the tokens it issued, the
    requests it saw, and the faults still to come.

    Knobs: `batch_size` (records per query batch), `daily_limit` (API requests a day; past it,
    403 REQUEST_LIMIT_EXCEEDED), `slow_seconds` (the "slow" fault's delay), `fail()` for
    faults, `fail_records()` for records that fail to save (`accept_records()` ends that),
    `expire_tokens()`.
    """

    org: Org = field(default_factory=sample_org)
    client_id: str = FAKE_CLIENT_ID
    client_secret: str = FAKE_CLIENT_SECRET
    batch_size: int = DEFAULT_BATCH_SIZE
    daily_limit: int = 100_000
    api_usage: int = 0
    slow_seconds: float = 1.0
    requests: list[RecordedRequest] = field(default_factory=list)
    _tokens: set[str] = field(default_factory=set)
    _issued: int = 0
    _faults: PendingFaults[Fault] = field(default_factory=lambda: PendingFaults(FAULTS))
    _failing: dict[str, tuple[str, str]] = field(default_factory=dict)
    _cursors: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- knobs and helpers -----------------------------------------------------------------

    def fail(
        self, kind: str, *, times: int = 1, path: str | None = None, retry_after: str = "1"
    ) -> None:
        """Answer the next `times` data API calls (or only those whose path contains `path`,
        which may name the token endpoint) with a fault: "429" (with `Retry-After`), "500",
        "daily_limit" (403 REQUEST_LIMIT_EXCEEDED) or "slow" (the right answer, late)."""
        with self._lock:
            self._faults.add(Fault(kind, times, path, retry_after))

    def fail_records(
        self,
        *ids: str,
        status_code: str = "FIELD_CUSTOM_VALIDATION_EXCEPTION",
        message: str = "Scores may not be written to this record",
    ) -> None:
        """Make updates of these records fail on their own (as a validation rule would)."""
        with self._lock:
            for record in ids:
                self._failing[id18(record)] = (status_code, message)

    def accept_records(self, *ids: str) -> None:
        """Let updates of these records save again (the validation rule was fixed)."""
        with self._lock:
            for record in ids:
                self._failing.pop(id18(record), None)

    def expire_tokens(self) -> None:
        """End every session: the next data call answers 401 INVALID_SESSION_ID."""
        with self._lock:
            self._tokens.clear()

    def create_leadrank_fields(self, sobjects: Iterable[str] = ("Lead", "Contact")) -> None:
        """leadrank's custom fields, created on `sobjects`."""
        with self._lock:
            for sobject in sobjects:
                self.org.create_fields(sobject, LEADRANK_FIELDS)

    def add(self, sobject: str, **fields: Any) -> str:
        """A new record; its id."""
        with self._lock:
            return self.org.add(sobject, **fields)

    def touch(self, sobject: str, record: str, **fields: Any) -> None:
        """Change a record as a user would: its SystemModstamp moves on."""
        with self._lock:
            self.org.touch(sobject, record, **fields)

    def record(self, sobject: str, record: str) -> dict[str, Any]:
        """A copy of one record as stored."""
        with self._lock:
            return dict(self.org.records[sobject][record])

    def calls(self, path: str) -> list[RecordedRequest]:
        """The requests whose path contains `path` ("/query", "/composite/sobjects", ...)."""
        with self._lock:
            return [r for r in self.requests if path in r.path]

    # -- the application -------------------------------------------------------------------

    def app(self) -> Starlette:
        """The ASGI application."""
        data = "/services/data/{version}"
        return Starlette(
            routes=[
                Route(
                    "/services/oauth2/token", self._endpoint(self._token, False), methods=["POST"]
                ),
                Route(f"{data}/query", self._endpoint(self._query), methods=["GET"]),
                Route(f"{data}/query/{{locator}}", self._endpoint(self._more), methods=["GET"]),
                Route(
                    f"{data}/sobjects/{{sobject}}/describe",
                    self._endpoint(self._describe),
                    methods=["GET"],
                ),
                Route(
                    f"{data}/composite/sobjects",
                    self._endpoint(self._collections),
                    methods=["PATCH"],
                ),
                Route(
                    "/{rest:path}",
                    self._endpoint(self._not_found, False),
                    methods=["GET", "POST", "PATCH", "PUT", "DELETE"],
                ),
            ]
        )

    def _endpoint(
        self, handler: Handler, data_api: bool = True
    ) -> Callable[[Request], Awaitable[Response]]:
        """The handler behind recording, faults, the session check and the daily limit."""

        async def endpoint(request: Request) -> Response:
            body = await _read_body(request)
            recorded = RecordedRequest.of(request, body, at=time.monotonic())
            with self._lock:
                self.requests.append(recorded)
                fault = self._take_fault(request.url.path, data_api)
            if fault is not None and fault.kind == "slow":
                await asyncio.sleep(self.slow_seconds)
            with self._lock:
                response = self._answer(request, body, handler, data_api, fault)
            recorded.status = response.status_code
            return response

        return endpoint

    def _take_fault(self, path: str, data_api: bool) -> Fault | None:
        """The fault this request meets: one for any data API call, or one for its path."""
        return self._faults.take(
            lambda f: (f.path is None and data_api) or (f.path is not None and f.path in path)
        )

    def _answer(
        self, request: Request, body: Any, handler: Handler, data_api: bool, fault: Fault | None
    ) -> Response:
        try:
            if fault is not None and fault.kind != "slow":
                raise _fault_refusal(fault)
            if not data_api:
                return handler(request, body)
            version = request.path_params.get("version", "")
            if not re.fullmatch(r"v\d{2,3}\.0", version):
                raise _Refusal(404, "NOT_FOUND", "The requested resource does not exist")
            authorization = request.headers.get("authorization", "")
            if authorization.removeprefix("Bearer ") not in self._tokens:
                raise _Refusal(401, "INVALID_SESSION_ID", "Session expired or invalid")
            self.api_usage += 1
            if self.api_usage > self.daily_limit:
                raise _Refusal(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
            response = handler(request, body)
        except _Refusal as refusal:
            response = _error(refusal.status, refusal.code, refusal.message)
            if refusal.status == 429 and fault is not None and fault.retry_after:
                response.headers["Retry-After"] = fault.retry_after
        if data_api:
            response.headers["Sforce-Limit-Info"] = f"api-usage={self.api_usage}/{self.daily_limit}"
        return response

    def _token(self, request: Request, form: Any) -> Response:
        """The client credentials flow: the app's id and secret for a bearer token."""
        form = form if isinstance(form, dict) else {}
        if form.get("grant_type") != "client_credentials":
            return _oauth_error("unsupported_grant_type", "grant type not supported")
        if form.get("client_id") != self.client_id:
            return _oauth_error("invalid_client_id", "client identifier invalid")
        if form.get("client_secret") != self.client_secret:
            return _oauth_error("invalid_client", "invalid client credentials")
        self._issued += 1
        token = f"{ORG_ID}!AQ4AQFakeSessionToken.{self._issued:06d}"
        self._tokens.add(token)
        base = str(request.base_url).rstrip("/")
        return JSONResponse(
            {
                "access_token": token,
                "signature": f"fakeSignature{self._issued:06d}=",
                "scope": "api",
                "instance_url": base,
                "id": f"{base}/id/{id18(ORG_ID)}/{OWNERS[0]}",
                "token_type": "Bearer",
                "issued_at": str(int(time.time() * 1000)),
            }
        )

    def _query(self, request: Request, _body: Any) -> Response:
        soql = request.query_params.get("q", "")
        if not soql.strip():
            raise _Refusal(400, "MALFORMED_QUERY", "A query string has to be specified")
        sobject, selected, chosen, by_stamp = self._parse(soql)
        matching = [r for r in self.org.records[sobject].values() if chosen(r)]
        matching.sort(key=lambda r: (r["SystemModstamp"], r["Id"]) if by_stamp else r["Id"])
        version = request.path_params["version"]
        rows = [_row(sobject, version, record, selected) for record in matching]
        return self._batch(version, rows, 0, f"01gDn{len(self._cursors) + 1:013d}")

    def _more(self, request: Request, _body: Any) -> Response:
        locator, _, offset = request.path_params["locator"].rpartition("-")
        rows = self._cursors.get(locator)
        if rows is None or not offset.isdigit() or int(offset) > len(rows):
            raise _Refusal(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        return self._batch(request.path_params["version"], rows, int(offset), locator)

    def _batch(
        self, version: str, rows: list[dict[str, Any]], offset: int, locator: str
    ) -> Response:
        end = offset + max(1, self.batch_size)
        document: dict[str, Any] = {"totalSize": len(rows), "done": end >= len(rows)}
        if end < len(rows):
            self._cursors[locator] = rows
            document["nextRecordsUrl"] = f"/services/data/{version}/query/{locator}-{end}"
        document["records"] = rows[offset:end]
        return JSONResponse(document)

    def _parse(self, soql: str) -> tuple[str, list[str], Callable[[dict[str, Any]], bool], bool]:
        """The sObject, the canonical names of the fields selected, which records the WHERE
        clause keeps, and whether they come in SystemModstamp order (else by Id), of a query
        of a form the fake understands."""
        match = _SOQL.fullmatch(soql) or _SOQL_BY_ID.fullmatch(soql)
        if match is None:
            raise _Refusal(
                400,
                "MALFORMED_QUERY",
                "unexpected token: the fake understands only SELECT fields FROM object "
                "[WHERE SystemModstamp > datetime] ORDER BY SystemModstamp ASC, Id ASC, and "
                "SELECT fields FROM object WHERE field IN ('id', ...) | IsActive = true "
                "ORDER BY Id ASC",
            )
        sobject = _canonical_sobject(match["sobject"])
        if sobject is None:
            raise _Refusal(
                400, "INVALID_TYPE", f"sObject type '{match['sobject']}' is not supported."
            )
        known = {spec.name.lower(): spec.name for spec in self.org.fields_of(sobject)}
        selected: list[str] = []
        for name in (n.strip() for n in match["fields"].split(",")):
            if not re.fullmatch(r"\w+", name):
                raise _Refusal(400, "MALFORMED_QUERY", f"unexpected token: '{name[:40]}'")
            if name.lower() not in known:
                raise _Refusal(400, "INVALID_FIELD", _no_such_column(name, sobject, "entity"))
            if known[name.lower()] in selected:
                raise _Refusal(400, "INVALID_FIELD", f"duplicate field selected: {name}")
            selected.append(known[name.lower()])
        groups = match.groupdict()
        if "since" in groups:
            since = None if groups["since"] is None else _soql_datetime(groups["since"])
            return sobject, selected, lambda r: since is None or r["SystemModstamp"] > since, True
        compared = groups["field"] or "IsActive"
        if compared.lower() not in known:
            raise _Refusal(400, "INVALID_FIELD", _no_such_column(compared, sobject, "entity"))
        compared = known[compared.lower()]
        if groups["active"] is not None:
            active = groups["active"].lower() == "true"
            return sobject, selected, lambda r: r.get(compared) is active, False
        wanted = set()
        for item in (i.strip() for i in groups["ids"].split(",")):
            if not re.fullmatch(r"'[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?'", item):
                raise _Refusal(400, "MALFORMED_QUERY", f"unexpected token: {item[:40]}")
            wanted.add(id18(item.strip("'")[:15]))
        return sobject, selected, lambda r: r.get(compared) in wanted, False

    def _describe(self, request: Request, _body: Any) -> Response:
        sobject = _canonical_sobject(request.path_params["sobject"])
        if sobject is None:
            raise _Refusal(404, "NOT_FOUND", "The requested resource does not exist")
        version = request.path_params["version"]
        return JSONResponse(
            {
                "name": sobject,
                "label": sobject,
                "keyPrefix": PREFIXES[sobject],
                "custom": False,
                "queryable": True,
                "updateable": True,
                "fields": [_describe_field(spec) for spec in self.org.fields_of(sobject)],
                "urls": {
                    "sobject": f"/services/data/{version}/sobjects/{sobject}",
                    "describe": f"/services/data/{version}/sobjects/{sobject}/describe",
                },
            }
        )

    def _collections(self, _request: Request, body: Any) -> Response:
        """sObject Collections update: refuse a body it cannot read, else save each record on
        its own (or none, with allOrNone) and answer a SaveResult per record."""
        if not isinstance(body, dict) or not isinstance(body.get("records"), list):
            raise _Refusal(400, "JSON_PARSER_ERROR", "the request body needs a list of records")
        records: list[Any] = body["records"]
        if len(records) > COLLECTION_LIMIT:
            raise _Refusal(
                400,
                "EXCEEDED_ID_LIMIT",
                "record limit reached. cannot submit more than 200 records into this call",
            )
        typed = [self._readable(record) for record in records]
        checks = [self._check_save(sobject, record) for sobject, record in typed]
        if body.get("allOrNone") is True and any(errors for errors in checks):
            rolled_back = _save_error(
                "ALL_OR_NONE_OPERATION_ROLLED_BACK",
                "Record rolled back because not all records were valid and the request was "
                "using AllOrNone header",
            )
            return JSONResponse([_failure(errors or [rolled_back]) for errors in checks])
        results = []
        for (sobject, record), errors in zip(typed, checks, strict=True):
            results.append(_failure(errors) if errors else self._save(sobject, record))
        return JSONResponse(results)

    def _readable(self, record: Any) -> tuple[str, dict[str, Any]]:
        """A record's sObject, and its fields under their canonical names; an unknown type or
        field refuses the whole request."""
        attributes = record.get("attributes") if isinstance(record, dict) else None
        kind = attributes.get("type") if isinstance(attributes, dict) else None
        if not isinstance(kind, str):
            raise _Refusal(400, "INVALID_TYPE", "Must send a concrete entity type.")
        sobject = _canonical_sobject(kind)
        if sobject is None:
            raise _Refusal(400, "INVALID_TYPE", f"sObject type '{kind}' is not supported.")
        known = {spec.name.lower(): spec.name for spec in self.org.fields_of(sobject)}
        fields: dict[str, Any] = {}
        for name, value in record.items():
            if name == "attributes":
                continue
            if name.lower() not in known:
                raise _Refusal(
                    400, "INVALID_FIELD", _no_such_column(name, sobject, "sobject of type")
                )
            fields[known[name.lower()]] = value
        return sobject, fields

    def _check_save(self, sobject: str, record: dict[str, Any]) -> list[dict[str, Any]]:
        """Why this record cannot be saved; nothing when it can."""
        given = record.get("Id")
        if not given:
            return [_save_error("MISSING_ARGUMENT", "Id not specified in an update call")]
        if not isinstance(given, str) or not _is_id_of(given, sobject):
            message = f"{sobject} ID: id value of incorrect type: {str(given)[:18]}"
            return [_save_error("MALFORMED_ID", message, ["Id"])]
        key = id18(given)
        if key in self.org.deleted:
            return [_save_error("ENTITY_IS_DELETED", "entity is deleted")]
        if key not in self.org.records[sobject]:
            return [_save_error("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")]
        if key in self._failing:
            return [_save_error(*self._failing[key])]
        specs = {spec.name: spec for spec in self.org.fields_of(sobject)}
        locked = [n for n in record if n != "Id" and not specs[n].updateable]
        if locked:
            message = (
                f"Unable to create/update fields: {', '.join(locked)}. Please check the security "
                "settings of this field and verify that it is read/write for your profile or "
                "permission set."
            )
            return [_save_error("INVALID_FIELD_FOR_INSERT_UPDATE", message, locked)]
        return []

    def _save(self, sobject: str, record: dict[str, Any]) -> dict[str, Any]:
        key = id18(record["Id"])
        changes = {name: value for name, value in record.items() if name != "Id"}
        self.org.touch(sobject, key, **changes)
        self.org.writes[key] += 1
        return {"id": key, "success": True, "errors": []}

    def _not_found(self, _request: Request, _body: Any) -> Response:
        raise _Refusal(404, "NOT_FOUND", "The requested resource does not exist")


_SOQL = re.compile(
    r"\s*SELECT\s+(?P<fields>[^()]+?)\s+FROM\s+(?P<sobject>\w+)"
    r"(?:\s+WHERE\s+SystemModstamp\s*>\s*(?P<since>\S+))?"
    r"\s+ORDER\s+BY\s+SystemModstamp\s+ASC\s*,\s*Id\s+ASC\s*",
    re.IGNORECASE | re.DOTALL,
)
_SOQL_BY_ID = re.compile(
    r"\s*SELECT\s+(?P<fields>[^()]+?)\s+FROM\s+(?P<sobject>\w+)\s+WHERE\s+"
    r"(?:(?P<field>\w+)\s+IN\s*\((?P<ids>[^()]*)\)|IsActive\s*=\s*(?P<active>true|false))"
    r"\s+ORDER\s+BY\s+Id\s+ASC\s*",
    re.IGNORECASE | re.DOTALL,
)
_DATETIME_LITERAL = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,3})?(?:Z|[+-]\d\d:\d\d)")


def _soql_datetime(literal: str) -> str:
    """A SOQL datetime literal as stored text, for comparing with SystemModstamp."""
    if not _DATETIME_LITERAL.fullmatch(literal):
        raise _Refusal(
            400,
            "MALFORMED_QUERY",
            "value of filter criterion for field 'SystemModstamp' must be of type dateTime and "
            "should not be enclosed in quotes",
        )
    return sf_datetime(datetime.fromisoformat(literal))


def _canonical_sobject(name: str) -> str | None:
    return next((known for known in PREFIXES if known.lower() == name.lower()), None)


def _is_id_of(given: str, sobject: str) -> bool:
    return (
        re.fullmatch(r"[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?", given) is not None
        and given[:3] == PREFIXES[sobject]
    )


def _row(sobject: str, version: str, record: dict[str, Any], selected: list[str]) -> dict[str, Any]:
    url = f"/services/data/{version}/sobjects/{sobject}/{record['Id']}"
    return {"attributes": {"type": sobject, "url": url}, **{n: record.get(n) for n in selected}}


def _describe_field(spec: FieldSpec) -> dict[str, Any]:
    return {
        "name": spec.name,
        "type": spec.type,
        "label": spec.label,
        "updateable": spec.updateable,
        "createable": spec.updateable,
        "custom": spec.name.endswith("__c"),
        "nillable": spec.name not in ("Id", "LastName", "Company", "Name"),
        "length": 255 if spec.type in ("string", "email", "phone", "url", "picklist") else 0,
        "referenceTo": ["User"] if spec.name == "OwnerId" else [],
    }


def _no_such_column(name: str, sobject: str, where: str) -> str:
    return (
        f"No such column '{name[:40]}' on {where} {sobject}"
        if where == "sobject of type"
        else f"No such column '{name[:40]}' on {where} '{sobject}'. If you are attempting to use a "
        "custom field, be sure to append the '__c' after the custom field name. Please reference "
        "your WSDL or the describe call for the appropriate names."
    )


def _save_error(code: str, message: str, fields: list[str] | None = None) -> dict[str, Any]:
    return {"statusCode": code, "message": message, "fields": fields or []}


def _failure(errors: list[dict[str, Any]]) -> dict[str, Any]:
    return {"success": False, "errors": errors}


def _fault_refusal(fault: Fault) -> _Refusal:
    if fault.kind == "429":
        return _Refusal(429, "REQUEST_LIMIT_EXCEEDED", "Too many requests; try again shortly.")
    if fault.kind == "daily_limit":
        return _Refusal(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
    return _Refusal(
        500,
        "UNKNOWN_EXCEPTION",
        "An unexpected error occurred. Please include this ErrorId if you contact support: "
        "1234567890-12345 (-1234567890)",
    )


def _error(status: int, code: str, message: str) -> Response:
    return JSONResponse([{"message": message, "errorCode": code}], status)


def _oauth_error(error: str, description: str) -> Response:
    return JSONResponse({"error": error, "error_description": description}, 400)


async def _read_body(request: Request) -> Any:
    """A form as a dict, JSON as parsed, or None (also for a body that is not JSON)."""
    raw = await request.body()
    if not raw:
        return None
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return dict(parse_qsl(raw.decode("utf-8", "replace")))
    try:
        return json.loads(raw)
    except ValueError:
        return None


@contextmanager
def serve_fake(fake: FakeSalesforce | None = None) -> Iterator[str]:
    """Run a fake Salesforce on 127.0.0.1 on a free port in a background thread; yields its
    base URL ("http://127.0.0.1:PORT"), both the login URL and the instance URL, and stops it
    on exit."""
    fake = fake or FakeSalesforce()
    with serve_in_thread(fake.app(), name="fake-salesforce") as port:
        yield f"http://127.0.0.1:{port}"
