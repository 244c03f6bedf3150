"""What every vendor adapter holds: the injected HTTP client, its key, the base URL (the
vendor's own, or a proxy or local fake), the credits a call costs and the documented rate."""

from __future__ import annotations

from typing import ClassVar

import httpx

from leadrank.enrichment.providers.base import FieldGroup, RateLimit

_DOCUMENTED = RateLimit(calls=0, seconds=0.0)  # "the adapter's own documented limit"


class VendorAdapter:
    """Base of the vendor adapters; each names its BASE_URL and DOCUMENTED_LIMIT."""

    name: str
    groups: frozenset[FieldGroup]
    BASE_URL: ClassVar[str]
    DOCUMENTED_LIMIT: ClassVar[RateLimit]

    def __init__(
        self,
        client: httpx.Client,
        *,
        api_key: str,
        base_url: str | None = None,
        cost_per_call: float = 1.0,
        rate_limit: RateLimit | None = _DOCUMENTED,
    ) -> None:
        self._client, self._api_key = client, api_key
        self._base_url = (base_url or self.BASE_URL).rstrip("/")
        self.cost_per_call = cost_per_call
        self.rate_limit = self.DOCUMENTED_LIMIT if rate_limit is _DOCUMENTED else rate_limit
