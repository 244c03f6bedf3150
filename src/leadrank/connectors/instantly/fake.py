"""A fake Instantly for tests and demos: the API v2 endpoints the connector uses, over a small
deterministic workspace, with faults that can be switched on, and a helper that serves it on
127.0.0.1 in a background thread.

Shapes follow Instantly's API v2 reference (Campaign, Lead and Email objects; cursor pages of
`{"items", "next_starting_after"}`; errors as `{"statusCode", "error", "message"}`) and its
webhook-event guide (developer.instantly.ai/guides/webhook-events) for `webhook_event`.
`POST /leads/add` follows the reference's "Add leads in bulk to a campaign or list"
(developer.instantly.ai/api-reference/lead/add-leads-in-bulk-to-a-campaign-or-list): 1-1,000
leads of the documented keys, the `skip_if_in_...` flags, and its summary of counts. Where the
reference leaves the order of the checks open, the fake checks a lead's email, then the
blocklist, then a repeat within the request, then the campaign itself (`duplicated_leads`), then
the skip flags (`skipped_count`). It serves campaigns only, not lead lists.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
import uuid
from collections.abc import Iterator
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

FAKE_API_KEY = "fake-instantly-key"
ORGANIZATION = "0196a1f0-4c5e-7000-8000-00000000c0de"
EMAIL_ACCOUNT = "maya@outreach.leadrank-demo.io"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
FAULTS = ("429", "500", "401", "malformed", "slow")
ADD_LIMIT = 1000  # leads per POST /leads/add
BLOCKLIST_ID = "0196a1f0-4c5e-7000-8000-0000000b10c4"
# The lead keys POST /leads/add accepts; its schema allows no others.
ADD_LEAD_FIELDS = frozenset(
    {
        "email",
        "first_name",
        "last_name",
        "company_name",
        "job_title",
        "personalization",
        "website",
        "phone",
        "lt_interest_status",
        "pl_value_lead",
        "assigned_to",
        "custom_variables",
    }
)
ADD_FLAGS = (
    "skip_if_in_workspace",
    "skip_if_in_campaign",
    "skip_if_in_list",
    "verify_leads_on_import",
)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_NAMESPACE = uuid.UUID("6f1c2a4e-3b1d-4c8e-9a57-0d3f4e5a6b7c")

CAMPAIGN_NAMES = ("Q2 Outbound - SaaS Leaders", "EMEA Expansion 2026", "Webinar Follow-up")
# first, last, company, domain, title
PEOPLE = (
    ("Ann", "Lee", "Acme Corp", "acme-corp.com", "VP Engineering"),
    ("Bo", "Chen", "Globex", "globex.io", "Head of Data"),
    ("Carla", "Diaz", "Initech", "initech.com", "CFO"),
    ("Dev", "Patel", "Umbrella Health", "umbrella-health.com", "Director of IT"),
    ("Eva", "Novak", "Hooli", "hooli.xyz", "Chief Revenue Officer"),
    ("Femi", "Adeyemi", "Stark Logistics", "starklogistics.co", "Operations Manager"),
    ("Greta", "Larsen", "Nordwind", "nordwind.de", "Head of Sales"),
    ("Hiro", "Tanaka", "Kaizen Labs", "kaizenlabs.jp", "CTO"),
    ("Ines", "Moreau", "Lumiere SA", "lumiere.fr", "Marketing Director"),
    ("Jon", "Berg", "Fjord Analytics", "fjordanalytics.no", "Data Engineer"),
    ("Kim", "Osei", "Sunrise Energy", "sunrise-energy.com", "VP Operations"),
    ("Lena", "Weber", "Brightpath", "brightpath.io", "Revenue Operations Lead"),
)
# Which people each campaign holds: Femi is in two campaigns, as one person can be.
CAMPAIGN_PEOPLE = ((0, 1, 2, 3, 4, 5), (5, 6, 7, 8), (9, 10, 11))


def _id(*parts: object) -> str:
    return str(uuid.uuid5(_NAMESPACE, "/".join(str(p) for p in parts)))


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _email_address(person: int) -> str:
    first, last, _, domain, _ = PEOPLE[person]
    return f"{first}.{last}@{domain}".lower()


@dataclass
class Workspace:
    """The campaigns, leads and emails the fake serves, in the order it pages them."""

    campaigns: list[dict[str, Any]]
    leads: list[dict[str, Any]]
    emails: list[dict[str, Any]]


def sample_workspace() -> Workspace:
    """Three campaigns, 13 leads (12 people), and their emails: sends, replies, an auto-reply
    and scheduled emails not sent yet; the same every time."""
    campaigns, leads, emails = [], [], []
    for c, name in enumerate(CAMPAIGN_NAMES):
        cid = _id("campaign", c)
        launched = START + timedelta(days=14 * c)
        campaigns.append(
            {
                "id": cid,
                "name": name,
                "status": 1,
                "timestamp_created": _iso(launched - timedelta(days=3)),
                "timestamp_updated": _iso(launched),
                "organization": ORGANIZATION,
                "email_list": [EMAIL_ACCOUNT],
                "daily_limit": 50,
            }
        )
        for k, person in enumerate(CAMPAIGN_PEOPLE[c]):
            lead = _lead(c, k, person, launched)
            leads.append(lead)
            emails.extend(_emails_of(lead, k, last=k == len(CAMPAIGN_PEOPLE[c]) - 1))
    # GET /emails lists the newest first by default.
    emails.sort(key=lambda e: (e["timestamp_created"], e["id"]), reverse=True)
    return Workspace(campaigns, leads, emails)


def _lead(c: int, k: int, person: int, launched: datetime) -> dict[str, Any]:
    first, last, company, domain, title = PEOPLE[person]
    added = launched - timedelta(days=2, hours=k)
    return {
        "id": _id("lead", c, person),
        "timestamp_created": _iso(added),
        "timestamp_updated": _iso(launched + timedelta(days=1 + k)),
        "organization": ORGANIZATION,
        "campaign": _id("campaign", c),
        "status": 1,
        "email": _email_address(person),
        "first_name": first,
        "last_name": last,
        "company_name": company,
        "job_title": title,
        "phone": f"+1 415 555 01{person:02d}",
        "website": f"https://www.{domain}",
        "company_domain": domain,
        "email_open_count": (k * 2) % 5,
        "email_reply_count": 1 if k % 3 == 0 else 0,
        "email_click_count": k % 2,
        "lt_interest_status": 1 if k == 0 else None,
        "verification_status": 1,
        "payload": {"firstName": first, "lastName": last, "companyName": company},
    }


def _emails_of(lead: dict[str, Any], k: int, *, last: bool) -> list[dict[str, Any]]:
    """A lead's emails: step 1, step 2 for every other lead, a reply from every third, an
    auto-reply from the second, and a scheduled step for the campaign's last lead."""
    sent = datetime.fromisoformat(lead["timestamp_updated"].replace("Z", "+00:00")) - timedelta(
        days=1
    )
    wanted: list[tuple[str, int, int, datetime]] = [("step1", 1, 1, sent)]
    if k % 2 == 0:
        wanted.append(("step2", 1, 2, sent + timedelta(days=3)))
    if k % 3 == 0:
        wanted.append(("reply", 2, 1, sent + timedelta(days=1, hours=2)))
    if k == 1:
        wanted.append(("auto", 2, 1, sent + timedelta(minutes=5)))
    if last:
        wanted.append(("scheduled", 4, 3, sent + timedelta(days=60)))
    return [_email(lead, *item) for item in wanted]


def _email(lead: dict[str, Any], tag: str, ue_type: int, step: int, at: datetime) -> dict[str, Any]:
    received = ue_type == 2
    subject = f"{lead['company_name']} x leadrank" if step == 1 else "Following up"
    return {
        "id": _id("email", lead["id"], tag),
        "timestamp_created": _iso(at),
        "timestamp_email": _iso(at),
        "message_id": f"<{_id('message', lead['id'], tag)}@mail.example>",
        "subject": f"Re: {subject}" if received else subject,
        "from_address_email": lead["email"] if received else EMAIL_ACCOUNT,
        "to_address_email_list": EMAIL_ACCOUNT if received else lead["email"],
        "organization_id": ORGANIZATION,
        "campaign_id": lead["campaign"],
        "subsequence_id": None,
        "list_id": None,
        "lead": lead["email"],
        "lead_id": lead["id"],
        "eaccount": EMAIL_ACCOUNT,
        "ue_type": ue_type,
        "step": f"step-{step}",
        "is_unread": 1 if received else 0,
        "is_auto_reply": 1 if tag == "auto" else 0,
        "i_status": 1 if tag == "reply" else 0,
        "thread_id": _id("thread", lead["id"]),
        "content_preview": "Back on Monday" if tag == "auto" else f"Hi {lead['first_name']}",
    }


def webhook_event(
    event_type: str,
    *,
    lead_email: str,
    timestamp: str = "2026-06-01T10:00:00.000Z",
    campaign_id: str | None = None,
    campaign_name: str = CAMPAIGN_NAMES[0],
    **extra: Any,
) -> dict[str, Any]:
    """A webhook payload as Instantly sends one (base fields, the lead and the account)."""
    return {
        "timestamp": timestamp,
        "event_type": event_type,
        "workspace": ORGANIZATION,
        "campaign_id": campaign_id or _id("campaign", 0),
        "campaign_name": campaign_name,
        "lead_email": lead_email,
        "email_account": EMAIL_ACCOUNT,
        **extra,
    }


@dataclass
class FakeInstantly:
    """The fake's state: its workspace, the key it accepts, the requests it saw and the
    faults still to come. `blocklist`: emails and domains POST /leads/add refuses;
    `remaining_in_plan`: lead uploads left, less each lead it adds; `add_answers`: the
    summaries POST /leads/add answered, in order, even to callers that stopped waiting."""

    api_key: str = FAKE_API_KEY
    workspace: Workspace = field(default_factory=sample_workspace)
    slow_seconds: float = 1.0
    blocklist: set[str] = field(default_factory=set)
    remaining_in_plan: int = 100_000
    add_answers: list[dict[str, Any]] = field(default_factory=list)
    requests: list[RecordedRequest] = field(default_factory=list)
    _faults: PendingFaults[Fault] = field(default_factory=lambda: PendingFaults(FAULTS))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(
        self,
        kind: str,
        *,
        times: int = 1,
        path: str | None = None,
        retry_after: str | None = None,
    ) -> None:
        """Answer the next `times` requests (to `path`, e.g. "/emails", or any) with a fault:
        "429" (with `retry_after`), "500", "401", "malformed" (JSON cut short) or "slow"
        (the right answer, `slow_seconds` late)."""
        with self._lock:
            self._faults.add(Fault(kind, times, path, retry_after))

    def calls(self, path: str) -> list[RecordedRequest]:
        """The requests made to one path ("/campaigns", "/leads/list", "/leads/add",
        "/emails")."""
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def app(self) -> Starlette:
        """The ASGI application."""
        return Starlette(
            routes=[
                Route("/api/v2/campaigns", self._campaigns, methods=["GET"]),
                Route("/api/v2/campaigns/{id}", self._campaign, methods=["GET"]),
                Route("/api/v2/leads/list", self._leads, methods=["POST"]),
                Route("/api/v2/leads/add", self._add_leads, methods=["POST"]),
                Route("/api/v2/emails", self._emails, methods=["GET"]),
            ]
        )

    async def _campaigns(self, request: Request) -> Response:
        early = await self._before(request, None)
        if early is not None:
            return early
        query = request.query_params
        return _page(self.workspace.campaigns, query.get("limit"), query.get("starting_after"))

    async def _campaign(self, request: Request) -> Response:
        early = await self._before(request, None)
        if early is not None:
            return early
        wanted = request.path_params["id"]
        if not _is_uuid(wanted):
            return _error(400, "Bad Request", 'params/id must match format "uuid"')
        with self._lock:
            found = next((c for c in self.workspace.campaigns if c["id"] == wanted), None)
        if found is None:
            return _error(404, "Not Found", "Campaign not found")
        return JSONResponse(found)

    async def _add_leads(self, request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            return _error(400, "Bad Request", "body is not JSON")
        early = await self._before(request, body)
        if early is not None:
            return early
        problem = _add_problem(body)
        if problem is not None:
            return _error(400, "Bad Request", problem)
        with self._lock:
            if not any(c["id"] == body["campaign_id"] for c in self.workspace.campaigns):
                return _error(404, "Not Found", "Campaign not found")
            return JSONResponse(self._add(body))

    def _add(self, body: dict[str, Any]) -> dict[str, Any]:
        """Add a request's leads to its campaign, as Instantly would; the summary it answers.
        Called with the lock held."""
        campaign = body["campaign_id"]
        leads = self.workspace.leads
        in_campaign = {lead["email"].lower() for lead in leads if lead.get("campaign") == campaign}
        in_any_campaign = {lead["email"].lower() for lead in leads if lead.get("campaign")}
        in_workspace = {lead["email"].lower() for lead in leads}
        skip_workspace = body.get("skip_if_in_workspace") is True
        skip_campaign = body.get("skip_if_in_campaign") is True
        blocked = {entry.lower() for entry in self.blocklist}
        counts = dict.fromkeys(
            (
                "leads_uploaded",
                "in_blocklist",
                "duplicated_leads",
                "skipped_count",
                "invalid_email_count",
                "duplicate_email_count",
            ),
            0,
        )
        seen: set[str] = set()
        created: list[dict[str, Any]] = []
        for index, item in enumerate(body["leads"]):
            email = (item.get("email") or "").strip()
            key = email.lower()
            if not _EMAIL.fullmatch(email):
                counts["invalid_email_count"] += 1
            elif key in blocked or key.rsplit("@", 1)[1] in blocked:
                counts["in_blocklist"] += 1
            elif key in seen:
                counts["duplicate_email_count"] += 1
            elif key in in_campaign:
                counts["duplicated_leads"] += 1
            elif (skip_workspace and key in in_workspace) or (
                skip_campaign and key in in_any_campaign
            ):
                counts["skipped_count"] += 1
            else:
                lead = _added_lead(campaign, email, item)
                leads.append(lead)
                created.append({"id": lead["id"], "email": email, "index": index})
                counts["leads_uploaded"] += 1
            seen.add(key)
        self.remaining_in_plan = max(0, self.remaining_in_plan - counts["leads_uploaded"])
        answer = {
            "status": "success",
            "total_sent": len(body["leads"]),
            **counts,
            "blocklist_used": BLOCKLIST_ID,
            "incomplete_count": 0,
            "remaining_in_plan": self.remaining_in_plan,
            "created_leads": created,
        }
        self.add_answers.append(answer)
        return answer

    async def _leads(self, request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            return _error(400, "Bad Request", "body is not JSON")
        early = await self._before(request, body)
        if early is not None:
            return early
        if not isinstance(body, dict):
            return _error(400, "Bad Request", "body must be object")
        with self._lock:
            leads = [
                lead
                for lead in self.workspace.leads
                if body.get("campaign") is None or lead["campaign"] == body["campaign"]
            ]
        return _page(leads, body.get("limit"), body.get("starting_after"))

    async def _emails(self, request: Request) -> Response:
        early = await self._before(request, None)
        if early is not None:
            return early
        query = request.query_params
        emails = self.workspace.emails
        if query.get("campaign_id"):
            emails = [e for e in emails if e["campaign_id"] == query["campaign_id"]]
        if query.get("min_timestamp_created"):
            floor = _parse(query["min_timestamp_created"])
            if floor is None:
                return _error(400, "Bad Request", "min_timestamp_created must be a date-time")
            emails = [e for e in emails if (_parse(e["timestamp_created"]) or floor) >= floor]
        return _page(emails, query.get("limit"), query.get("starting_after"))

    async def _before(self, request: Request, body: Any) -> Response | None:
        """Record the request, then answer with a pending fault or a refused key, if any."""
        path = request.url.path.removeprefix("/api/v2")
        authorization = request.headers.get("authorization")
        with self._lock:
            self.requests.append(RecordedRequest.of(request, body, at=time.monotonic(), path=path))
            fault = self._faults.take(lambda f: f.path in (None, path))
        if fault is not None:
            if fault.kind == "429":
                headers = {"Retry-After": fault.retry_after} if fault.retry_after else None
                return _error(429, "Too Many Requests", "Rate limit exceeded", headers)
            if fault.kind == "500":
                return _error(500, "Internal Server Error", "Something went wrong")
            if fault.kind == "401":
                return _error(401, "Unauthorized", "Invalid API key")
            if fault.kind == "malformed":
                return Response(b'{"items": [{"id": "019', media_type="application/json")
            await asyncio.sleep(self.slow_seconds)
        if authorization is None:
            return _error(401, "Unauthorized", "Missing Authorization header")
        if authorization != f"Bearer {self.api_key}":
            return _error(401, "Unauthorized", "Invalid API key")
        return None


def _page(items: list[dict[str, Any]], limit: Any, starting_after: Any) -> Response:
    """One cursor page: the items after `starting_after` (an id), at most `limit` of them."""
    try:
        size = int(limit) if limit is not None else 10
    except (TypeError, ValueError):
        size = 0
    if not 1 <= size <= 100:
        return _error(400, "Bad Request", "limit must be >= 1 and <= 100")
    start = 0
    if starting_after is not None:
        ids = [item["id"] for item in items]
        if starting_after not in ids:
            return _error(400, "Bad Request", "starting_after is not a known id")
        start = ids.index(starting_after) + 1
    chunk = items[start : start + size]
    document: dict[str, Any] = {"items": chunk}
    if start + size < len(items):
        document["next_starting_after"] = chunk[-1]["id"]
    return JSONResponse(document)


def _add_problem(body: Any) -> str | None:
    """Why Instantly would refuse a POST /leads/add body with a 400, if it would."""
    if not isinstance(body, dict):
        return "body must be object"
    leads = body.get("leads")
    if leads is None:
        return "body must have required property 'leads'"
    if not isinstance(leads, list):
        return "body/leads must be array"
    if not leads:
        return "body/leads must NOT have fewer than 1 items"
    if len(leads) > ADD_LIMIT:
        return f"body/leads must NOT have more than {ADD_LIMIT} items"
    for index, lead in enumerate(leads):
        if not isinstance(lead, dict):
            return f"body/leads/{index} must be object"
        if any(key not in ADD_LEAD_FIELDS for key in lead):
            return f"body/leads/{index} must NOT have additional properties"
        if lead.get("email") is not None and not isinstance(lead["email"], str):
            return f"body/leads/{index}/email must be string,null"
    for flag in ADD_FLAGS:
        if flag in body and not isinstance(body[flag], bool):
            return f"body/{flag} must be boolean"
    if body.get("campaign_id") is not None and body.get("list_id") is not None:
        return "Provide either campaign_id or list_id, not both"
    if body.get("list_id") is not None:
        return "this fake adds leads to campaigns only, not to lists"
    if body.get("campaign_id") is None:
        return "Provide either campaign_id or list_id"
    if not _is_uuid(body["campaign_id"]):
        return 'body/campaign_id must match format "uuid"'
    return None


def _added_lead(campaign: str, email: str, item: dict[str, Any]) -> dict[str, Any]:
    """A lead as POST /leads/add stores it: the fields sent, its custom variables in
    `payload`, and no activity yet."""
    now = _iso(datetime.now(UTC))
    custom = item.get("custom_variables")
    return {
        "id": _id("added-lead", campaign, email.lower()),
        "timestamp_created": now,
        "timestamp_updated": now,
        "organization": ORGANIZATION,
        "campaign": campaign,
        "status": 1,
        "email": email,
        "first_name": item.get("first_name"),
        "last_name": item.get("last_name"),
        "company_name": item.get("company_name"),
        "job_title": item.get("job_title"),
        "phone": item.get("phone"),
        "website": item.get("website"),
        "personalization": item.get("personalization"),
        "company_domain": email.rsplit("@", 1)[1].lower(),
        "email_open_count": 0,
        "email_reply_count": 0,
        "email_click_count": 0,
        "lt_interest_status": item.get("lt_interest_status"),
        "payload": dict(custom) if isinstance(custom, dict) else {},
    }


def _is_uuid(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _error(
    status: int, error: str, message: str, headers: dict[str, str] | None = None
) -> Response:
    return JSONResponse(
        {"statusCode": status, "error": error, "message": message}, status, headers=headers
    )


def _parse(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@contextmanager
def serve_fake(fake: FakeInstantly | None = None) -> Iterator[str]:
    """Run a fake Instantly on 127.0.0.1 on a free port in a background thread; yields its
    API base URL ("http://127.0.0.1:PORT/api/v2") and stops it on exit."""
    fake = fake or FakeInstantly()
    with serve_in_thread(fake.app(), name="fake-instantly") as port:
        yield f"http://127.0.0.1:{port}/api/v2"
