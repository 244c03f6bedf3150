"""People Data Labs: person enrichment for the person group, company enrichment for the company
group.

Docs: https://docs.peopledatalabs.com/docs/reference-person-enrichment-api and
https://docs.peopledatalabs.com/docs/reference-company-enrichment-api (key in X-Api-Key).
PDL answers 404 when nothing matches at `min_likelihood` or above, and bills only matches.
"""

from __future__ import annotations

from typing import Any

import httpx

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
from leadrank.normalize.phone import to_e164
from leadrank.normalize.titles import department_of, seniority_of, vendor_level

BASE_URL = "https://api.peopledatalabs.com"
# Person enrichment: "Our default limit for free customers is 100/min ... for paying customers
# is 1000/min". Sources: https://docs.peopledatalabs.com/docs/enrichment-api-deprecated and
# https://docs.peopledatalabs.com/docs/usage-limits (limits per key and endpoint, fixed window).
FREE_PLAN_LIMIT = RateLimit(calls=100, seconds=60.0)
# Likelihood is logarithmic (2 is a 10-30% chance of the right record); PDL recommends 6 as
# the minimum for its CRM integration, and so do we.
DEFAULT_MIN_LIKELIHOOD = 6

# leadrank's levels from highest: PDL lists several per person ("owner", "cxo", "senior").
_RANK = ("c_level", "vp", "director", "manager", "ic")


class PdlProvider(VendorAdapter):
    """People Data Labs person and company enrichment."""

    name = "pdl"
    groups: frozenset[FieldGroup] = frozenset({"person", "company"})

    BASE_URL = BASE_URL
    DOCUMENTED_LIMIT = FREE_PLAN_LIMIT

    def __init__(
        self,
        client: httpx.Client,
        *,
        min_likelihood: int = DEFAULT_MIN_LIKELIHOOD,
        **options: Any,
    ) -> None:
        if not 1 <= min_likelihood <= 10:
            raise ValueError("min_likelihood is PDL's 1-10 scale")
        super().__init__(client, **options)
        self.min_likelihood = min_likelihood

    def can_answer(self, query: EnrichmentQuery, group: FieldGroup) -> bool:
        """Person: an email, a LinkedIn URL, or a name with a company; company: a domain or name."""
        if group == "company":
            return bool(query.domain or query.company_name)
        return group == "person" and bool(_person_params(query))

    def enrich(self, query: EnrichmentQuery, group: FieldGroup) -> EnrichmentResult:
        """PDL's record for the person or the company of the query."""
        if not self.can_answer(query, group):
            return EnrichmentResult()
        if group == "person":
            # titlecase: PDL stores names and places lower-cased.
            params = {**_person_params(query), "titlecase": "true"}
            body = self._call("/v5/person/enrich", params)
            fields = _person_fields(obj((body or {}).get("data")))
        else:
            site = {"website": query.domain} if query.domain else {"name": str(query.company_name)}
            body = self._call("/v5/company/enrich", {**site, "titlecase": "true"})
            fields = _company_fields(body or {})  # company answers are not wrapped in "data"
        if not fields:
            return EnrichmentResult(raw=body)
        likelihood = whole((body or {}).get("likelihood"))
        confidence = min(max(likelihood or self.min_likelihood, 0), 10) / 10
        return EnrichmentResult(fields, confidence=confidence, cost=self.cost_per_call, raw=body)

    def _call(self, path: str, params: dict[str, str]) -> dict[str, Any] | None:
        return request_json(
            self._client,
            "GET",
            self._base_url + path,
            provider=self.name,
            secret=self._api_key,
            params={**params, "min_likelihood": str(self.min_likelihood)},
            headers={"X-Api-Key": self._api_key, "Accept": "application/json"},
        )


def _person_params(query: EnrichmentQuery) -> dict[str, str]:
    """PDL's matching inputs; empty when they are too few for its minimum (a name alone)."""
    params = {
        "email": query.email,
        "profile": query.linkedin_url,
        "first_name": query.first_name,
        "last_name": query.last_name,
        "company": query.domain or query.company_name,
    }
    if query.full_name and not (query.first_name and query.last_name):
        params["name"] = query.full_name
    found = {key: value for key, value in params.items() if value}
    named = ("first_name" in found and "last_name" in found) or "name" in found
    enough = "email" in found or "profile" in found or (named and "company" in found)
    return found if enough else {}


def _level(title: str | None, labels: list[str]) -> str | None:
    if title:  # as in lead cleaning: the title decides, the vendor's labels fill in
        return seniority_of(title)
    levels = {level for label in labels if (level := vendor_level(label))}
    return next((level for level in _RANK if level in levels), None)


def _person_fields(data: dict[str, Any]) -> dict[str, Any]:
    title = text(data.get("job_title"))
    role = text(data.get("job_title_role"))
    country = country_code(text(data.get("location_country")))
    phone = text(data.get("mobile_phone")) or next(iter(texts(data.get("phone_numbers"))), None)
    email = text(data.get("work_email"))
    return compact(
        {
            "full_name": text(data.get("full_name")),
            "first_name": text(data.get("first_name")),
            "last_name": text(data.get("last_name")),
            "job_title": title,
            "seniority": _level(title, texts(data.get("job_title_levels"))),
            "department": (department_of(title) if title else None)
            or (department_of(role.replace("_", " ")) if role else None),
            "linkedin_url": linkedin(data.get("linkedin_url")),
            "phone_e164": to_e164(phone, country),
            "country_code": country,
            "city": text(data.get("location_locality")),
            "email": email.lower() if email else None,
        }
    )


def _company_fields(body: dict[str, Any]) -> dict[str, Any]:
    location = obj(body.get("location"))
    employees = whole(body.get("employee_count"))
    if employees is None:  # "size" is PDL's band, "51-200"
        middle = point_estimate(*parse_range(text(body.get("size"))))
        employees = round(middle) if middle is not None else None
    revenue = point_estimate(*parse_range(text(body.get("inferred_revenue"))))
    return compact(
        {
            "company_name": text(body.get("display_name")) or text(body.get("name")),
            "domain": (text(body.get("website")) or "").lower() or None,
            "industry": text(body.get("industry")),
            "employees": employees,
            "revenue": real(revenue),
            "country_code": country_code(text(location.get("country"))),
            "city": text(location.get("locality")),
            "company_linkedin_url": linkedin(body.get("linkedin_url"), company=True),
            "founded_year": whole(body.get("founded")),
        }
    )
