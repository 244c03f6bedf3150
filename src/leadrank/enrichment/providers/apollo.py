"""Apollo.io: people match for the person group, organization enrich for the company group.

Docs: https://docs.apollo.io/reference/people-enrichment and
https://docs.apollo.io/reference/organization-enrichment (API key in the X-Api-Key header).
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
from leadrank.normalize.titles import department_of, seniority_of, vendor_level

BASE_URL = "https://api.apollo.io"
# Enrichment endpoints on the free plan: 50 a minute (also 200 an hour, 600 a day); paid plans
# allow 1,000 a minute. Source: https://docs.apollo.io/reference/rate-limits
FREE_PLAN_LIMIT = RateLimit(calls=50, seconds=60.0)

# Matched on an email or a LinkedIn URL: Apollo's own key for the person. A name and a company
# can match a namesake, and a company read off a person's record may be a past employer's.
MATCHED_ON_KEY, MATCHED_ON_NAME, COMPANY_OF_PERSON = 0.9, 0.7, 0.8
# Apollo stands this in for an address the plan has not revealed.
_HIDDEN_EMAIL = "email_not_unlocked"


class ApolloProvider(VendorAdapter):
    """Apollo.io people and organization enrichment."""

    name = "apollo"
    groups: frozenset[FieldGroup] = frozenset({"person", "company"})
    BASE_URL = BASE_URL
    DOCUMENTED_LIMIT = FREE_PLAN_LIMIT

    def can_answer(self, query: EnrichmentQuery, group: FieldGroup) -> bool:
        """Person: an email, a LinkedIn URL, or a name with a company; company: a domain too."""
        if group == "company" and query.domain:
            return True
        return group in self.groups and bool(_person_params(query))

    def enrich(self, query: EnrichmentQuery, group: FieldGroup) -> EnrichmentResult:
        """Apollo's answer for the person or the company of the query."""
        if not self.can_answer(query, group):
            return EnrichmentResult()
        if group == "company" and query.domain:
            body = self._call("GET", "/api/v1/organizations/enrich", {"domain": query.domain})
            org = obj((body or {}).get("organization"))
            return self._result(_company_fields(org), MATCHED_ON_KEY, body)
        # One people match answers both groups when there is no domain to enrich the company by.
        body = self._call("POST", "/api/v1/people/match", _person_params(query))
        person = obj((body or {}).get("person"))
        if group == "company":
            fields = _company_fields(obj(person.get("organization"))) if person else {}
            return self._result(fields, COMPANY_OF_PERSON, body)
        on_key = bool(query.email or query.linkedin_url)
        return self._result(
            _person_fields(person), MATCHED_ON_KEY if on_key else MATCHED_ON_NAME, body
        )

    def _call(self, method: str, path: str, params: dict[str, str]) -> dict[str, Any] | None:
        return request_json(
            self._client,
            method,
            self._base_url + path,
            provider=self.name,
            secret=self._api_key,
            params=params,
            headers={"X-Api-Key": self._api_key, "Accept": "application/json"},
        )

    def _result(
        self, fields: dict[str, Any], confidence: float, body: dict[str, Any] | None
    ) -> EnrichmentResult:
        if not fields:
            # Apollo bills enrichment credits for records it returns, not for misses.
            return EnrichmentResult(raw=body)
        return EnrichmentResult(fields, confidence=confidence, cost=self.cost_per_call, raw=body)


def _person_params(query: EnrichmentQuery) -> dict[str, str]:
    """What Apollo matches people on; empty when the query cannot identify one."""
    params = {
        "email": query.email,
        "linkedin_url": query.linkedin_url,
        "first_name": query.first_name,
        "last_name": query.last_name,
        "domain": query.domain,
        "organization_name": query.company_name,
    }
    if query.full_name and not (query.first_name and query.last_name):
        params["name"] = query.full_name
    found = {key: value for key, value in params.items() if value}
    named = ("first_name" in found and "last_name" in found) or "name" in found
    at_company = "domain" in found or "organization_name" in found
    return found if "email" in found or "linkedin_url" in found or (named and at_company) else {}


def _person_fields(person: dict[str, Any]) -> dict[str, Any]:
    title = text(person.get("title"))
    label = text(person.get("seniority"))
    departments = [
        d.removeprefix("master_").replace("_", " ") for d in texts(person.get("departments"))
    ]
    email = text(person.get("email"))
    # As in lead cleaning: the title decides, Apollo's labels fill in when there is none.
    return compact(
        {
            "full_name": text(person.get("name")),
            "first_name": text(person.get("first_name")),
            "last_name": text(person.get("last_name")),
            "job_title": title,
            "seniority": seniority_of(title) if title else vendor_level(label) if label else None,
            "department": (department_of(title) if title else None)
            or next(filter(None, map(department_of, departments)), None),
            "linkedin_url": linkedin(person.get("linkedin_url")),
            "country_code": country_code(text(person.get("country"))),
            "city": text(person.get("city")),
            "email": email.lower() if email and _HIDDEN_EMAIL not in email else None,
        }
    )


def _company_fields(org: dict[str, Any]) -> dict[str, Any]:
    technologies = texts(org.get("technology_names")) or [
        name
        for tech in org.get("current_technologies") or []
        if (name := text(obj(tech).get("name")))
    ]
    return compact(
        {
            "company_name": text(org.get("name")),
            "domain": (text(org.get("primary_domain")) or "").lower() or None,
            "industry": text(org.get("industry")),
            "employees": whole(org.get("estimated_num_employees")),
            "revenue": real(org.get("annual_revenue")),
            "country_code": country_code(text(org.get("country"))),
            "city": text(org.get("city")),
            "company_linkedin_url": linkedin(org.get("linkedin_url"), company=True),
            "founded_year": whole(org.get("founded_year")),
            "technologies": technologies,
        }
    )
