"""Hunter.io: the email verifier for the email group, domain search for the company group.

Docs: https://hunter.io/api-documentation/v2 (email-verifier, domain-search, errors). The key
goes in the X-API-KEY header, which Hunter accepts as well as `?api_key=`: httpx logs request
URLs, and a key in one would end up in the logs.
"""

from __future__ import annotations

from typing import Any

from leadrank.enrichment.providers.base import (
    EnrichmentQuery,
    EnrichmentResult,
    FieldGroup,
    PermanentError,
    RateLimit,
)
from leadrank.enrichment.providers.http import (
    compact,
    json_answer,
    linkedin,
    obj,
    rate_limited,
    send,
    text,
    texts,
    vendor_message,
    whole,
)
from leadrank.enrichment.providers.vendor import VendorAdapter
from leadrank.normalize.country import country_code
from leadrank.normalize.numbers import parse_range, point_estimate

BASE_URL = "https://api.hunter.io"
# Email Verifier: 10 requests a second and 300 a minute (domain search: 15 a second, 500 a
# minute). 5 a second keeps under both verifier limits. Source:
# https://hunter.io/api-documentation/v2#rate-limiting, as captured at
# https://rate-limits.apis.io/rate-limits/hunter/hunter-rate-limits/
VERIFIER_LIMIT = RateLimit(calls=5, seconds=1.0)

# Hunter's `status` to leadrank's email_status; webmail and disposable addresses can deliver,
# so their `result` (deliverable / undeliverable / risky) says more.
_STATUS = {"valid": "deliverable", "invalid": "undeliverable", "accept_all": "risky"}
_RESULTS = frozenset({"deliverable", "undeliverable", "risky"})
# Hunter's company data is read off the web around its email index: useful, less curated
# than a firmographics vendor's.
COMPANY_CONFIDENCE = 0.7


class HunterProvider(VendorAdapter):
    """Hunter.io email verification and company lookup by domain."""

    name = "hunter"
    groups: frozenset[FieldGroup] = frozenset({"email", "company"})
    BASE_URL = BASE_URL
    DOCUMENTED_LIMIT = VERIFIER_LIMIT

    def can_answer(self, query: EnrichmentQuery, group: FieldGroup) -> bool:
        """Email: an address to verify; company: a domain to search."""
        if group == "email":
            return bool(query.email and "@" in query.email)
        return group == "company" and bool(query.domain)

    def enrich(self, query: EnrichmentQuery, group: FieldGroup) -> EnrichmentResult:
        """Hunter's verdict on the email, or what it knows of the domain's company."""
        if not self.can_answer(query, group):
            return EnrichmentResult()
        if group == "email":
            body = self._call("/v2/email-verifier", {"email": str(query.email)})
            fields, confidence = _verdict(obj((body or {}).get("data")))
        else:
            # One email is enough: the company facts come with any page of results.
            body = self._call("/v2/domain-search", {"domain": str(query.domain), "limit": "1"})
            fields, confidence = _company(obj((body or {}).get("data"))), COMPANY_CONFIDENCE
        if not fields:
            return EnrichmentResult(raw=body)  # failed lookups cost no Hunter credits
        return EnrichmentResult(fields, confidence=confidence, cost=self.cost_per_call, raw=body)

    def _call(self, path: str, params: dict[str, str]) -> dict[str, Any] | None:
        response = send(
            self._client,
            "GET",
            self._base_url + path,
            provider=self.name,
            params=params,
            headers={"X-API-KEY": self._api_key, "Accept": "application/json"},
        )
        status = response.status_code
        # Hunter's codes differ from the common reading: 403 is its per-second/minute rate
        # limit, 429 the month's credits used up (unless it says when to come back), 451 a
        # person who asked to be forgotten, whom it will not describe: a miss, not a failure.
        if status == 403:
            raise rate_limited(response, provider=self.name, secret=self._api_key)
        if status == 429 and "retry-after" not in response.headers:
            message = vendor_message(response, secret=self._api_key)
            raise PermanentError(f"hunter: no credits left ({status}): {message}", status=status)
        if status == 451:
            return None
        return json_answer(response, provider=self.name, secret=self._api_key)


def _verdict(data: dict[str, Any]) -> tuple[dict[str, Any], float]:
    """email fields and Hunter's confidence in them; nothing for a status it could not settle."""
    status, result = text(data.get("status")), text(data.get("result"))
    if status == "unknown" or not (status or result):
        return {}, 0.0  # the mail server did not answer: no verdict to store
    verdict = _STATUS.get(status or "") or (result if result in _RESULTS else "risky")
    score = whole(data.get("score"))
    fields = compact(
        {
            "email_status": verdict,
            "email_free_mail": _flag(data.get("webmail")),
            "email_disposable": _flag(data.get("disposable")),
            "email_score": score,
        }
    )
    # The score is Hunter's confidence that mail is delivered; for "undeliverable" the
    # confidence in the verdict is the other side of it.
    if score is None:
        return fields, 0.5
    sure = 100 - score if verdict == "undeliverable" else score
    return fields, min(max(sure, 0), 100) / 100


def _flag(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def _company(data: dict[str, Any]) -> dict[str, Any]:
    name = text(data.get("organization"))
    if name is None:  # Hunter answers an unknown domain with an empty organization, not 404
        return {}
    low, high = parse_range(text(data.get("headcount")))
    employees = point_estimate(low, high)
    return compact(
        {
            "company_name": name,
            "domain": (text(data.get("domain")) or "").lower() or None,
            "industry": text(data.get("industry")),
            "employees": round(employees) if employees is not None else None,
            "country_code": country_code(text(data.get("country"))),
            "city": text(data.get("city")),
            "company_linkedin_url": linkedin(data.get("linkedin"), company=True),
            "technologies": texts(data.get("technologies")),
        }
    )
