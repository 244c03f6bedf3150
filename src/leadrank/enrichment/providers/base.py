"""What every enrichment provider is: the Protocol, its query and answer, and the two kinds
of failure a waterfall tells apart (worth retrying later, or not worth retrying).

Adapters translate their vendor's responses and errors at this boundary: nothing past it
knows a vendor's shapes or status codes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

# A waterfall runs per group of fields that providers answer together.
FieldGroup = Literal["company", "person", "email"]
GROUPS: tuple[FieldGroup, ...] = ("company", "person", "email")

# The canonical fields each group may fill; adapters map their vendor's names onto these.
GROUP_FIELDS: dict[FieldGroup, tuple[str, ...]] = {
    "company": (
        "company_name",
        "domain",
        "industry",
        "employees",
        "revenue",
        "country_code",
        "city",
        "company_linkedin_url",
        "founded_year",
        "technologies",
        "size_band",  # "51-200": the employee band a count falls in
    ),
    "person": (
        "full_name",
        "first_name",
        "last_name",
        "job_title",
        "seniority",
        "department",
        "linkedin_url",
        "phone_e164",
        "country_code",
        "city",
        "email",
    ),
    "email": (
        "email_status",  # deliverable | undeliverable | risky | unknown
        "email_free_mail",
        "email_disposable",
        "email_role",
        "email_score",  # 0-100, the vendor's own confidence in delivery
    ),
}


@dataclass(frozen=True)
class EnrichmentQuery:
    """What is known of a lead or company when enrichment is asked for; any may be None."""

    email: str | None = None
    domain: str | None = None
    company_name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    full_name: str | None = None
    linkedin_url: str | None = None
    phone: str | None = None
    job_title: str | None = None
    country_code: str | None = None
    employees: int | None = None


@dataclass(frozen=True)
class EnrichmentResult:
    """One provider's answer for one group: canonical fields, how sure it is (0-1), what the
    call cost in the provider's credits, and the vendor's raw answer for the record."""

    fields: dict[str, Any] = field(default_factory=dict)
    confidence: float = 0.0
    cost: float = 0.0
    raw: dict[str, Any] | None = None

    @property
    def found(self) -> bool:
        """True when the provider knew something."""
        return bool(self.fields)


class ProviderError(Exception):
    """A provider call that gave no answer."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message, self.status = message, status


class RetriableError(ProviderError):
    """Worth trying again later: rate limited, the vendor down or slow, a broken answer.
    `retry_after` (seconds) is the vendor's own word when it gave one."""

    def __init__(
        self, message: str, *, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class PermanentError(ProviderError):
    """Not worth trying again as it is: a bad key, no credits left, a refused query."""


@dataclass(frozen=True)
class RateLimit:
    """At most `calls` per `seconds`, shared by every process of the workspace."""

    calls: int
    seconds: float


@runtime_checkable
class Provider(Protocol):
    """An enrichment source. Adapters receive an injected `httpx.Client` when they call out,
    raise RetriableError or PermanentError for failures, and return an empty result when the
    vendor simply does not know the lead."""

    name: str
    groups: frozenset[FieldGroup]
    cost_per_call: float  # credits a call costs by default (0 for the offline built-ins)
    rate_limit: RateLimit | None  # the vendor's documented default; None: no limit

    def can_answer(self, query: EnrichmentQuery, group: FieldGroup) -> bool:
        """True when the query holds what this provider needs for this group."""
        ...

    def enrich(self, query: EnrichmentQuery, group: FieldGroup) -> EnrichmentResult:
        """The provider's answer for one group."""
        ...
