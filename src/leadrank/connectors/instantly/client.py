"""A synchronous client of the Instantly API v2 on an injected `httpx.Client`.

What it relies on, from Instantly's API v2 reference (developer.instantly.ai/api-reference,
OpenAPI at api.instantly.ai/openapi/api_v2.json) and its rate-limit page
(developer.instantly.ai/getting-started/rate-limit):
- `Authorization: Bearer <API key>`; 401 when the header is missing or the key is invalid or
  revoked, 402 when the workspace has no paid plan.
- List endpoints page by cursor: `limit` (1-100) and `starting_after`, answered with
  `{"items": [...], "next_starting_after": "..."}`; no cursor on the last page.
  `GET /campaigns` (query), `POST /leads/list` (JSON body, `campaign` filter) and
  `GET /emails` (query: `campaign_id`, `min_timestamp_created`, `preview_only`).
- Rate limits per workspace, shared by all its keys and API v1: 100 requests a second and
  6,000 a minute; `GET /emails` alone allows 20 requests a minute. Over a limit: 429.
- `GET /campaigns/{id}` (scope `campaigns:read`) answers one Campaign, or 404 with
  `{"statusCode": 404, "error": "Not Found", "message": ...}`.
- `POST /leads/add` ("Add leads in bulk to a campaign or list", operationId `bulkAddLeads`,
  scope `leads:create`): a body of `campaign_id` (or `list_id`, never both), `leads` (1-1,000
  objects; with `campaign_id` each needs an `email`; lead keys limited to `email`,
  `first_name`, `last_name`, `company_name`, `job_title`, `personalization`, `website`,
  `phone`, `lt_interest_status`, `pl_value_lead`, `assigned_to`, `custom_variables`), and the
  flags `skip_if_in_workspace` (in any campaign or list; overrides the others),
  `skip_if_in_campaign` (in ANY campaign of the workspace, not only this one),
  `skip_if_in_list`, `verify_leads_on_import`, `blocklist_id`, `assigned_to`. It answers counts:
  `total_sent`, `leads_uploaded`, `duplicated_leads` (already in this campaign, not re-added),
  `skipped_count` (the skip flags), `invalid_email_count`, `duplicate_email_count` (twice in
  the request), `in_blocklist`, `blocklist_used`, `remaining_in_plan`, and `created_leads`
  (`{"id", "email", "index"}`, `index` into the request's `leads`). Instantly has no
  idempotency key; a retried request that had been stored finds its leads already in the
  campaign and counts them as `duplicated_leads` instead of adding them twice.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from pydantic import SecretStr

from leadrank.connectors.http_answers import error_json, json_object, retry_after_seconds
from leadrank.connectors.vendor_error import VendorError
from leadrank.errors import BadInput

DEFAULT_BASE_URL = "https://api.instantly.ai/api/v2"
PAGE_LIMIT = 100  # the most any list endpoint returns per page
EMAILS_PER_MINUTE = 20.0  # GET /emails' own limit, stricter than the workspace's
ADD_LIMIT = 1000  # the most leads POST /leads/add takes in one request
# The lead keys POST /leads/add accepts (its schema allows no others).
LEAD_FIELDS = frozenset(
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


class InstantlyError(VendorError):
    """Instantly failed or answered something unusable (`retriable` and `retry_after` as
    `VendorError` says)."""


class InstantlyAuthError(InstantlyError):
    """Instantly refused the API key (401) or the workspace (402, 403): permanent until fixed."""


@dataclass
class CampaignAddOutcome:
    """What Instantly did with the leads pushed to a campaign, summed over every request.

    `sent`: leads Instantly received; `uploaded`: leads it created; `already_in_campaign`: in
    the campaign already, not added again; `skipped`: skipped by the `skip_if_in_...` flags;
    `invalid`: a missing or malformed email; `in_blocklist`: on the workspace's blocklist;
    `duplicates`: the same email twice in one request; `remaining_in_plan`: lead uploads the
    plan has left, as of the last answer (None when Instantly did not say); `created`: the id
    Instantly gave each created lead, by email as sent."""

    sent: int = 0
    uploaded: int = 0
    already_in_campaign: int = 0
    skipped: int = 0
    invalid: int = 0
    in_blocklist: int = 0
    duplicates: int = 0
    remaining_in_plan: int | None = None
    created: dict[str, str] = field(default_factory=dict)


class InstantlyClient:
    """Campaigns, leads and emails of one Instantly workspace, page by page.

    Failures are retried where that can help: 429 after its `Retry-After` (or a backoff when
    it gives none), 5xx, timeouts and dropped connections after an exponential backoff
    (`backoff`, doubled each time) for up to `max_attempts` tries. A refused key fails at
    once. `sleep` and `clock` are injectable so tests need not wait. `calls` counts the
    requests sent, retries included.
    """

    def __init__(
        self,
        http: httpx.Client,
        *,
        api_key: SecretStr | str,
        base_url: str = DEFAULT_BASE_URL,
        page_size: int = PAGE_LIMIT,
        max_attempts: int = 5,
        backoff: float = 1.0,
        max_wait: float = 120.0,
        emails_per_minute: float | None = EMAILS_PER_MINUTE,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        key = api_key if isinstance(api_key, SecretStr) else SecretStr(api_key)
        if not key.get_secret_value().strip():
            raise BadInput("the Instantly API key is empty; set LEADRANK_INSTANTLY_API_KEY")
        if not 1 <= page_size <= PAGE_LIMIT:
            raise BadInput(f"page_size must be 1-{PAGE_LIMIT}")
        self._http = http
        self._key = key  # a SecretStr: never in a repr, a log line or an error message
        self._base = base_url.rstrip("/")
        self.page_size = page_size
        self.max_attempts = max(1, max_attempts)
        self.backoff = backoff
        self.max_wait = max_wait
        self._sleep = sleep
        self._clock = clock
        self._intervals = {"/emails": 60.0 / emails_per_minute} if emails_per_minute else {}
        self._last_call: dict[str, float] = {}
        self.calls = 0

    def campaigns(self) -> Iterator[dict[str, Any]]:
        """Every campaign of the workspace (`GET /campaigns`)."""
        yield from self._pages("GET", "/campaigns")

    def campaign(self, campaign_id: str) -> dict[str, Any]:
        """One campaign (`GET /campaigns/{id}`); an InstantlyError when it does not exist."""
        cid = _campaign_id(campaign_id)
        return self._call("GET", f"/campaigns/{cid}", missing=_no_campaign(cid))

    def add_leads_to_campaign(
        self,
        campaign_id: str,
        leads: list[dict[str, Any]],
        *,
        skip_if_in_workspace: bool = False,
        skip_if_in_campaign: bool = False,
    ) -> CampaignAddOutcome:
        """Add leads to a campaign (`POST /leads/add`), at most 1,000 a request, each request
        retried as the class says; the counts of every answer, summed.

        Every lead needs a non-empty `email` and only the keys Instantly accepts
        (`LEAD_FIELDS`); both are checked before anything is sent. A lead already in this
        campaign is never added twice (Instantly counts it in `already_in_campaign`).
        `skip_if_in_campaign` skips a lead that is in ANY campaign of the workspace, and
        `skip_if_in_workspace` one that is in any campaign or list. An unknown campaign is an
        InstantlyError saying so. When a request fails for good its error is raised and the
        requests before it stay done: running the same push again adds only what is missing."""
        cid = _campaign_id(campaign_id)
        prepared = [_prepared_lead(position, lead) for position, lead in enumerate(leads)]
        outcome = CampaignAddOutcome()
        for start in range(0, len(prepared), ADD_LIMIT):
            chunk = prepared[start : start + ADD_LIMIT]
            body = {
                "campaign_id": cid,
                "skip_if_in_workspace": skip_if_in_workspace,
                "skip_if_in_campaign": skip_if_in_campaign,
                "leads": chunk,
            }
            answer = self._call("POST", "/leads/add", body=body, missing=_no_campaign(cid))
            _fold(outcome, answer, chunk)
        return outcome

    def leads(self, *, campaign: str | None = None) -> Iterator[dict[str, Any]]:
        """Every lead, or those of one campaign (`POST /leads/list`)."""
        yield from self._pages("POST", "/leads/list", filters={"campaign": campaign})

    def emails(
        self, *, campaign_id: str | None = None, since: datetime | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every email (sent, received, scheduled) of the workspace or of one campaign,
        created at or after `since` if given (`GET /emails`, previews only)."""
        filters: dict[str, Any] = {"campaign_id": campaign_id, "preview_only": "true"}
        if since is not None:
            filters["min_timestamp_created"] = _iso(since)
        yield from self._pages("GET", "/emails", filters=filters)

    def _pages(
        self, method: str, path: str, *, filters: dict[str, Any] | None = None
    ) -> Iterator[dict[str, Any]]:
        """The items of every page of a list endpoint, following `next_starting_after`."""
        base = {k: v for k, v in (filters or {}).items() if v is not None}
        cursor: str | None = None
        seen: set[str] = set()
        while True:
            arguments = {**base, "limit": self.page_size}
            if cursor is not None:
                arguments["starting_after"] = cursor
            if method == "GET":
                page = self._call(method, path, params=arguments)
            else:
                page = self._call(method, path, body=arguments)
            items = page.get("items")
            if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                raise InstantlyError(f"Instantly answered {method} {path} without a list of items")
            yield from items
            following = page.get("next_starting_after")
            if not items or not following:
                return
            cursor = str(following)
            if cursor in seen:  # a cursor that does not move would page forever
                raise InstantlyError(f"Instantly repeated the page cursor of {method} {path}")
            seen.add(cursor)

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        missing: str | None = None,
    ) -> dict[str, Any]:
        """One request, retried as the class says; its JSON object. `missing`: the message
        for a 404, when the path names something that may not exist."""
        what = f"{method} {path}"
        attempt = 0
        while True:
            attempt += 1
            self._pace(path)
            retry_after: float | None = None
            self.calls += 1
            try:
                response = self._http.request(
                    method,
                    self._base + path,
                    params=params,
                    json=body,
                    headers={"Authorization": f"Bearer {self._key.get_secret_value()}"},
                )
            except httpx.TransportError as exc:  # timeouts, refused or dropped connections
                failure = type(exc).__name__
            else:
                status = response.status_code
                if 200 <= status < 300:
                    return json_object(response, what, vendor="Instantly", error=InstantlyError)
                if status in (401, 402, 403):
                    raise InstantlyAuthError(_refusal(status, what, response))
                if status == 404 and missing is not None:
                    raise InstantlyError(missing)
                if status == 429:
                    retry_after = retry_after_seconds(response)
                    failure = "429 rate limited"
                elif status >= 500:
                    failure = f"{status} server error"
                else:
                    raise InstantlyError(
                        f"Instantly refused {what}: {status} {_vendor_message(response)}"
                    )
            wait = retry_after if retry_after is not None else self.backoff * 2 ** (attempt - 1)
            if attempt >= self.max_attempts or wait > self.max_wait:
                raise InstantlyError(
                    f"Instantly did not answer {what} after {attempt} tries ({failure}); "
                    "try again later",
                    retriable=True,
                    retry_after=retry_after,
                )
            self._sleep(wait)

    def _pace(self, path: str) -> None:
        """Wait until a rate-limited path may be called again (GET /emails: 20 a minute)."""
        interval = self._intervals.get(path)
        if interval is None:
            return
        last = self._last_call.get(path)
        if last is not None:
            waited = self._clock() - last
            if waited < interval:
                self._sleep(interval - waited)
        self._last_call[path] = self._clock()


def _refusal(status: int, what: str, response: httpx.Response) -> str:
    if status == 401:
        return (
            f"Instantly refused the API key ({what}: 401 {_vendor_message(response)}); "
            "check LEADRANK_INSTANTLY_API_KEY"
        )
    if status == 402:
        return f"Instantly refused {what}: 402, the workspace has no active paid plan"
    if what.startswith("GET "):
        return f"Instantly refused {what}: 403, the API key lacks a read scope (e.g. all:read)"
    return (
        f"Instantly refused {what}: 403, the API key lacks a write scope "
        "(e.g. leads:create or all:create)"
    )


def _vendor_message(response: httpx.Response) -> str:
    """Instantly's own words (`{"statusCode", "error", "message"}`), short."""
    document = error_json(response)
    message = document.get("message") if isinstance(document, dict) else None
    if isinstance(message, str):
        return message[:200]
    return response.reason_phrase


def _campaign_id(campaign_id: str) -> str:
    """A campaign id as Instantly writes them (a UUID), or BadInput."""
    text = campaign_id.strip() if isinstance(campaign_id, str) else ""
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise BadInput(f"the Instantly campaign id {campaign_id!r} is not a UUID") from None


def _no_campaign(campaign_id: str) -> str:
    return f"the Instantly campaign {campaign_id} does not exist (or this API key cannot see it)"


def _prepared_lead(position: int, lead: Any) -> dict[str, Any]:
    """A lead as POST /leads/add takes it (its email stripped), or BadInput naming it."""
    if not isinstance(lead, dict):
        raise BadInput(f"lead {position} is not an object")
    email = lead.get("email")
    if not isinstance(email, str) or not email.strip():
        raise BadInput(
            f"lead {position} has no email; Instantly needs one for every lead of a campaign"
        )
    unknown = sorted(str(key) for key in lead if key not in LEAD_FIELDS)
    if unknown:
        raise BadInput(
            f"lead {position} ({email.strip()}) has fields Instantly does not accept: "
            f"{', '.join(unknown)}; put them in custom_variables"
        )
    return {**lead, "email": email.strip()}


def _fold(outcome: CampaignAddOutcome, answer: dict[str, Any], chunk: list[dict[str, Any]]) -> None:
    """Add one POST /leads/add answer to the outcome."""
    if not all(isinstance(answer.get(key), int) for key in ("total_sent", "leads_uploaded")):
        raise InstantlyError("Instantly answered POST /leads/add without its counts")
    outcome.sent += _count(answer, "total_sent")
    outcome.uploaded += _count(answer, "leads_uploaded")
    # API v1 named `duplicated_leads` `already_in_campaign`.
    outcome.already_in_campaign += _count(answer, "duplicated_leads", "already_in_campaign")
    outcome.skipped += _count(answer, "skipped_count")
    outcome.invalid += _count(answer, "invalid_email_count")
    outcome.in_blocklist += _count(answer, "in_blocklist")
    outcome.duplicates += _count(answer, "duplicate_email_count")
    remaining = answer.get("remaining_in_plan")
    if isinstance(remaining, int) and not isinstance(remaining, bool):
        outcome.remaining_in_plan = remaining
    created = answer.get("created_leads")
    for item in created if isinstance(created, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            continue
        index = item.get("index")
        if isinstance(index, int) and 0 <= index < len(chunk):
            email = chunk[index]["email"]
        elif isinstance(item.get("email"), str):
            email = item["email"]
        else:
            continue
        outcome.created[email] = item["id"]


def _count(answer: dict[str, Any], *keys: str) -> int:
    """The first of `keys` the answer holds as a whole number; 0 if none."""
    for key in keys:
        value = answer.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return 0


def _iso(moment: datetime) -> str:
    """An ISO timestamp in UTC as Instantly writes them ("2026-08-13T11:12:14.330Z")."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
