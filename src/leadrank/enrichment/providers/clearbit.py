"""Clearbit (now HubSpot Breeze Intelligence): company find by domain, for the company group.

Docs: https://dashboard.clearbit.com/docs#enrichment-api-company-api (HTTP Basic auth, the key
as user name). A domain Clearbit has not indexed yet answers 202 while it is looked up; 404 means
it found nothing, 422 that the domain is not one.
"""

from __future__ import annotations

from typing import Any

from leadrank.enrichment.providers.base import (
    EnrichmentQuery,
    EnrichmentResult,
    FieldGroup,
    RateLimit,
)
from leadrank.enrichment.providers.http import (
    compact,
    linkedin,
    obj,
    real,
    request_json,
    text,
    texts,
    whole,
)
from leadrank.enrichment.providers.vendor import VendorAdapter
from leadrank.normalize.country import country_code
from leadrank.normalize.numbers import parse_range, point_estimate

BASE_URL = "https://company.clearbit.com"
# 600 requests a minute per API (Streaming and Reveal excepted). Source:
# https://help.clearbit.com/hc/en-us/articles/8502992633111-Autocomplete-Name-to-Domain-and-Risk-API-FAQ
DOCUMENTED_LIMIT = RateLimit(calls=600, seconds=60.0)
# Clearbit keys its index by domain: a record found for a domain is that domain's company.
CONFIDENCE = 0.9


class ClearbitProvider(VendorAdapter):
    """Clearbit company enrichment by domain."""

    name = "clearbit"
    groups: frozenset[FieldGroup] = frozenset({"company"})
    BASE_URL = BASE_URL
    DOCUMENTED_LIMIT = DOCUMENTED_LIMIT

    def can_answer(self, query: EnrichmentQuery, group: FieldGroup) -> bool:
        """A company query with a domain."""
        return group == "company" and bool(query.domain)

    def enrich(self, query: EnrichmentQuery, group: FieldGroup) -> EnrichmentResult:
        """Clearbit's company record for the query's domain."""
        if not self.can_answer(query, group):
            return EnrichmentResult()
        # 202 (queued) becomes a RetriableError with a short retry_after in request_json.
        body = request_json(
            self._client,
            "GET",
            self._base_url + "/v2/companies/find",
            provider=self.name,
            secret=self._api_key,
            params={"domain": str(query.domain)},
            auth=(self._api_key, ""),
            headers={"Accept": "application/json"},
        )
        fields = _company_fields(body or {})
        if not fields:
            return EnrichmentResult(raw=body)
        return EnrichmentResult(fields, confidence=CONFIDENCE, cost=self.cost_per_call, raw=body)


def _company_fields(body: dict[str, Any]) -> dict[str, Any]:
    category, geo, metrics = (
        obj(body.get("category")),
        obj(body.get("geo")),
        obj(body.get("metrics")),
    )
    employees = whole(metrics.get("employees"))
    if employees is None:  # "51-250": Clearbit's band when it has no head count
        middle = point_estimate(*parse_range(text(metrics.get("employeesRange"))))
        employees = round(middle) if middle is not None else None
    revenue = real(metrics.get("annualRevenue"))
    if revenue is None:  # "$10M-$50M": its estimate for private companies
        revenue = point_estimate(*parse_range(text(metrics.get("estimatedAnnualRevenue"))))
    return compact(
        {
            "company_name": text(body.get("name")),
            "domain": (text(body.get("domain")) or "").lower() or None,
            "industry": text(category.get("industry")) or text(category.get("sector")),
            "employees": employees,
            "revenue": revenue,
            "country_code": country_code(text(geo.get("countryCode")) or text(geo.get("country"))),
            "city": text(geo.get("city")),
            "company_linkedin_url": linkedin(obj(body.get("linkedin")).get("handle"), company=True),
            "founded_year": whole(body.get("foundedYear")),
            "technologies": texts(body.get("tech")),
        }
    )
