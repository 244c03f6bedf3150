"""The offline provider: what can be worked out without a key or a network call.

Email type (free mail, disposable, role address, syntax), a company name guessed from a
business domain, the country of a country-code domain or a phone number, seniority and
department from a job title, and the employee band of a head count. Its answers are marked
as guesses (low confidence) where a vendor could know better, so a waterfall goes on to the
vendors that are configured, and keeps these when none is.
"""

from __future__ import annotations

import re
from typing import Any

import phonenumbers
import pycountry

from leadrank.enrichment.providers.base import (
    EnrichmentQuery,
    EnrichmentResult,
    FieldGroup,
    RateLimit,
)
from leadrank.normalize.domain import registrable_domain
from leadrank.normalize.email import email_facts
from leadrank.normalize.titles import department_of, seniority_of

SIZE_BANDS = ((10, "1-10"), (50, "11-50"), (200, "51-200"), (500, "201-500"), (1000, "501-1000"))
SIZE_BANDS_ABOVE = ((5000, "1001-5000"), (10000, "5001-10000"))
# How sure each kind of answer is: certain where the input decides it (an invalid address is
# undeliverable), a guess where only a vendor could confirm (a name read from a domain).
SURE, CHECKED_SYNTAX, GUESS = 1.0, 0.5, 0.4
# Generic top-level domains and ones used as brand suffixes, which name no country.
_NOT_COUNTRIES = frozenset({"io", "ai", "co", "me", "tv", "app", "dev", "cc", "ws", "fm", "ly"})
_WORDS = re.compile(r"[a-z0-9]+")


class BuiltinProvider:
    """Offline answers for every group; no key, no cost, no rate limit."""

    name: str = "builtin"
    groups: frozenset[FieldGroup] = frozenset(("company", "person", "email"))
    cost_per_call: float = 0.0
    rate_limit: RateLimit | None = None
    offline = True  # the waterfall calls it directly: nothing to cache, limit or budget

    def can_answer(self, query: EnrichmentQuery, group: FieldGroup) -> bool:
        """True when the query holds anything this group's rules read."""
        if group == "email":
            return bool(query.email)
        if group == "company":
            return bool(query.domain or query.email or query.employees is not None)
        return bool(query.job_title or query.phone)

    def enrich(self, query: EnrichmentQuery, group: FieldGroup) -> EnrichmentResult:
        """The group's offline answer."""
        if group == "email":
            return _email(query)
        if group == "company":
            return _company(query)
        return _person(query)


def _email(query: EnrichmentQuery) -> EnrichmentResult:
    facts = email_facts(query.email)
    if not facts.valid:
        return EnrichmentResult({"email_status": "undeliverable"}, confidence=SURE)
    fields = {
        "email_status": "unknown",  # deliverability needs a verifier
        "email_free_mail": facts.free_mail,
        "email_disposable": facts.disposable,
        "email_role": facts.role,
    }
    return EnrichmentResult(fields, confidence=CHECKED_SYNTAX)


def _company(query: EnrichmentQuery) -> EnrichmentResult:
    fields: dict[str, Any] = {}
    domain = registrable_domain(query.domain) if query.domain else None
    if domain is None and query.email:
        facts = email_facts(query.email)
        if facts.valid and not (facts.free_mail or facts.disposable) and facts.domain:
            domain = registrable_domain(facts.domain)
    if domain:
        fields["domain"] = domain
        fields["company_name"] = company_name_of(domain)
        country = country_of_domain(domain)
        if country:
            fields["country_code"] = country
    if query.employees is not None:
        fields["size_band"] = size_band(query.employees)
    return EnrichmentResult(fields, confidence=GUESS if fields else 0.0)


def _person(query: EnrichmentQuery) -> EnrichmentResult:
    fields: dict[str, Any] = {}
    if query.job_title:
        fields["seniority"] = seniority_of(query.job_title)
        department = department_of(query.job_title)
        if department:
            fields["department"] = department
    if query.phone:
        country = country_of_phone(query.phone)
        if country:
            fields["country_code"] = country
    return EnrichmentResult(fields, confidence=CHECKED_SYNTAX if fields else 0.0)


def company_name_of(domain: str) -> str:
    """A readable company name from a registrable domain: acme-robotics.co.uk -> Acme Robotics."""
    label = domain.split(".")[0]
    return " ".join(word.capitalize() for word in _WORDS.findall(label)) or label


def country_of_domain(domain: str) -> str | None:
    """The ISO country of a country-code top-level domain (.de -> DE; .uk -> GB), else None."""
    suffix = domain.rsplit(".", 1)[-1].lower()
    if len(suffix) != 2 or suffix in _NOT_COUNTRIES:
        return None
    code = "GB" if suffix == "uk" else suffix.upper()
    return code if pycountry.countries.get(alpha_2=code) else None


def country_of_phone(phone: str) -> str | None:
    """The country of an international phone number, else None."""
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return None
    region = phonenumbers.region_code_for_number(number)
    return region if region and region != "ZZ" else None


def size_band(employees: int) -> str:
    """The band a head count falls in: 120 -> "51-200"."""
    for top, band in (*SIZE_BANDS, *SIZE_BANDS_ABOVE):
        if employees <= top:
            return band
    return "10001+"
