"""The waterfall: for one lead and one field group, ask the providers in order, each through
the cache and its shared limits, retrying what is worth retrying, and stop at the first
answer sure enough. Every try is recorded, whatever became of it."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog

from leadrank.enrichment.cache import AnswerCache
from leadrank.enrichment.gate import ProviderGate
from leadrank.enrichment.providers.base import (
    EnrichmentQuery,
    EnrichmentResult,
    FieldGroup,
    PermanentError,
    Provider,
    RetriableError,
)
from leadrank.kit.logs import mask_text

MAX_TRIES = 3  # calls per provider per lead, the first included
BACKOFF_SECONDS = 0.5  # the first pause; doubled each time, with jitter
MAX_WAIT_SECONDS = 30.0  # longer than this (a long Retry-After): leave it for a later run
# What a later run may still get an answer for.
UNFINISHED = ("retriable", "breaker_open", "rate_limited", "over_budget", "error")
log = structlog.get_logger("leadrank.enrichment")


@dataclass
class Attempt:
    """One provider's part in one waterfall."""

    provider: str
    group: FieldGroup
    status: str  # found | not_found | cached | retriable | permanent | breaker_open | ...
    tries: int = 0
    latency_ms: float = 0.0
    cost: float = 0.0
    confidence: float | None = None
    fields: dict[str, Any] | None = None
    error: str | None = None


@dataclass
class GroupAnswer:
    """What a waterfall found for one group: the answers in the order asked, and the tries."""

    group: FieldGroup
    answers: list[tuple[str, EnrichmentResult]] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def unfinished(self) -> bool:
        """True when a provider could not be asked now but may answer later."""
        return any(a.status in UNFINISHED for a in self.attempts)


class Waterfall:
    """Providers per group, in order, behind one cache and one gate."""

    def __init__(
        self,
        providers: Mapping[str, Provider],
        order: Mapping[str, Sequence[str]],
        *,
        gate: ProviderGate,
        cache: AnswerCache,
        confidence: float = 0.7,
        max_tries: int = MAX_TRIES,
        backoff_seconds: float = BACKOFF_SECONDS,
        max_wait: float = MAX_WAIT_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.providers, self.order = providers, order
        self.gate, self.cache = gate, cache
        self.confidence, self.max_tries = confidence, max_tries
        self.backoff, self.max_wait, self.sleep = backoff_seconds, max_wait, sleep

    def chain(self, group: FieldGroup) -> list[Provider]:
        """The group's providers that are configured and serve it, in order."""
        names = self.order.get(group, ())
        return [
            self.providers[n]
            for n in names
            if n in self.providers and group in self.providers[n].groups
        ]

    def run(self, query: EnrichmentQuery, group: FieldGroup) -> GroupAnswer:
        """Ask the group's providers in order until one is sure enough."""
        outcome = GroupAnswer(group)
        for provider in self.chain(group):
            if not provider.can_answer(query, group):
                continue
            attempt, result = self._ask(provider, query, group)
            outcome.attempts.append(attempt)
            if result is None:
                continue
            if result.found:
                outcome.answers.append((provider.name, result))
            if result.found and result.confidence >= self.confidence:
                break
        return outcome

    def _ask(
        self, provider: Provider, query: EnrichmentQuery, group: FieldGroup
    ) -> tuple[Attempt, EnrichmentResult | None]:
        name = provider.name
        if getattr(provider, "offline", False):  # nothing to cache, limit or pay
            started = time.perf_counter()
            result = provider.enrich(query, group)
            return _done(name, group, result, 1, started), result
        cached = self.cache.get(name, group, query)
        if cached is not None:
            attempt = Attempt(name, group, "cached", confidence=cached.confidence)
            attempt.fields = cached.fields or None
            return attempt, cached
        started, tries, waited = time.perf_counter(), 0, 0.0
        while True:
            admission = self.gate.admit(provider, max_wait=max(0.0, self.max_wait - waited))
            waited += admission.waited
            if admission.refused:
                attempt = Attempt(name, group, admission.refused, tries=tries)
                attempt.latency_ms = _ms(started)
                return attempt, None
            tries += 1
            try:
                result = provider.enrich(query, group)
            except RetriableError as exc:
                self.gate.failed(name, admission, retry_after=exc.retry_after)
                # A Retry-After is waited out by the gate, for every worker; else back off.
                pause = 0.0 if exc.retry_after is not None else self._backoff(tries)
                wait = pause if exc.retry_after is None else exc.retry_after
                if tries >= self.max_tries or waited + wait > self.max_wait:
                    return _failed(name, group, "retriable", tries, started, exc), None
                if pause:
                    self.sleep(pause)
                    waited += pause
                continue
            except PermanentError as exc:
                # A refused key or no credits says something of the vendor; a refused query
                # (400, 422) only of this lead, and must not stop the vendor for everyone.
                vendor_wide = exc.status in (None, 401, 402, 403)
                self.gate.failed(name, admission, retry_after=None, counts=vendor_wide)
                return _failed(name, group, "permanent", tries, started, exc), None
            except Exception as exc:  # a defect in an adapter: recorded, never lost silently
                log.exception("provider failed", provider=name, group=group)
                self.gate.failed(name, admission, retry_after=None)
                return _failed(name, group, "error", tries, started, exc), None
            self.gate.succeeded(name, admission, cost=result.cost)
            self.cache.put(name, group, query, result)
            return _done(name, group, result, tries, started), result

    def _backoff(self, tries: int) -> float:
        """Exponential backoff with jitter."""
        jitter = random.uniform(0.5, 1.0)  # workers that failed together do not retry together
        return float(self.backoff * 2 ** (tries - 1) * jitter)


def _done(
    name: str, group: FieldGroup, result: EnrichmentResult, tries: int, started: float
) -> Attempt:
    return Attempt(
        name,
        group,
        "found" if result.found else "not_found",
        tries=tries,
        latency_ms=_ms(started),
        cost=result.cost,
        confidence=result.confidence if result.found else None,
        fields=result.fields or None,
    )


def _failed(
    name: str, group: FieldGroup, status: str, tries: int, started: float, exc: Exception
) -> Attempt:
    return Attempt(
        name, group, status, tries=tries, latency_ms=_ms(started), error=mask_text(str(exc))
    )


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
