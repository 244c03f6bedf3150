"""A provider that answers from a directory and fails when told to, with no network: for
tests, demos and trying a waterfall's settings. Vendor adapters are tested against the fake
vendor servers instead (`fake_vendors`), which speak each vendor's HTTP."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from leadrank.enrichment.providers.base import (
    GROUPS,
    EnrichmentQuery,
    EnrichmentResult,
    FieldGroup,
    ProviderError,
    RateLimit,
)


class FakeProvider:
    """Answers `directory[email or domain][group]`; raises the queued `faults` first."""

    def __init__(
        self,
        name: str = "fake",
        *,
        directory: dict[str, dict[str, dict[str, Any]]] | None = None,
        groups: Iterable[FieldGroup] = GROUPS,
        confidence: float = 0.9,
        cost_per_call: float = 1.0,
        rate_limit: RateLimit | None = None,
    ) -> None:
        self.name = name
        self.groups = frozenset(groups)
        self.directory = directory or {}
        self.confidence, self.cost_per_call, self.rate_limit = confidence, cost_per_call, rate_limit
        self.faults: list[ProviderError] = []
        self.calls: list[tuple[FieldGroup, EnrichmentQuery]] = []
        self._lock = threading.Lock()  # waterfalls may call it from several threads

    def fail_next(self, *errors: ProviderError) -> None:
        """Raise these, one per call, before answering again."""
        with self._lock:
            self.faults.extend(errors)

    def can_answer(self, query: EnrichmentQuery, group: FieldGroup) -> bool:
        """True for a group it serves when the query has an email or a domain."""
        return group in self.groups and bool(query.email or query.domain)

    def enrich(self, query: EnrichmentQuery, group: FieldGroup) -> EnrichmentResult:
        """The directory's entry, or a queued fault."""
        with self._lock:
            self.calls.append((group, query))
            fault = self.faults.pop(0) if self.faults else None
        if fault is not None:
            raise fault
        entry = self.directory.get(query.email or "") or self.directory.get(query.domain or "")
        fields = dict((entry or {}).get(group) or {})
        if not fields:
            return EnrichmentResult(cost=0.0)  # vendors do not charge for a miss
        return EnrichmentResult(fields, confidence=self.confidence, cost=self.cost_per_call)
