"""Prometheus metrics: requests, latency, errors, leads scored by grade, the model served.

With several workers, `leadrank serve` points PROMETHEUS_MULTIPROC_DIR at a fresh folder
before they start, and `/metrics` adds up every worker's numbers; with one process the
default registry serves them. Observations are kept in process memory and written to
Prometheus once a second (the app's lifespan calls `flush`) and before each scrape.
"""

from __future__ import annotations

import os
from bisect import bisect_left
from collections.abc import Sequence

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.requests import Request
from starlette.responses import Response

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"

REQUESTS = Counter(
    "leadrank_http_requests_total", "HTTP requests answered", ["method", "route", "status"]
)
LATENCY = Histogram(
    "leadrank_http_request_seconds",
    "Time to answer an HTTP request",
    ["method", "route"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
ERRORS = Counter("leadrank_http_errors_total", "Error answers, by status", ["status"])
LEADS_SCORED = Counter(
    "leadrank_leads_scored_total", "Leads scored by the API", ["grade", "model_version"]
)
MODEL = Gauge(
    "leadrank_model_info",
    "The model the scoring API serves (1 for the version in use)",
    ["model_version"],
    multiprocess_mode="max",
)


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    """Count one answered request (written to Prometheus at the next flush)."""
    key = (method, route, status)
    tally = _pending_requests.get(key)
    if tally is None:
        tally = _pending_requests[key] = _RequestTally()
    tally.count += 1
    tally.seconds += seconds
    tally.buckets[bisect_left(_BOUNDS, seconds)] += 1


def observe_scores(grades: Sequence[str], model_version: str) -> None:
    """Count a request's scored leads by grade (written to Prometheus at the next flush)."""
    # A few distinct grades, counted in C: Counter() cost more than a one-lead request's
    # whole model.
    for grade in set(grades):
        key = (grade, model_version)
        _pending_scores[key] = _pending_scores.get(key, 0) + grades.count(grade)


# Observations wait in plain dicts and reach Prometheus in one flush a second (and before
# each scrape of this process): with several workers every Prometheus write is a locked
# write to a memory-mapped file, which cost about 8% of a one-lead request. The cost is that
# another worker's numbers at /metrics may be up to a second old.
_BOUNDS = [*LATENCY._upper_bounds]  # ends with +Inf, so every observation has a bucket


class _RequestTally:
    __slots__ = ("buckets", "count", "seconds")

    def __init__(self) -> None:
        self.count, self.seconds, self.buckets = 0, 0.0, [0] * len(_BOUNDS)


_pending_requests: dict[tuple[str, str, int], _RequestTally] = {}
_pending_scores: dict[tuple[str, str], int] = {}


def flush() -> None:
    """Write the observations waiting in this process to Prometheus."""
    global _pending_requests, _pending_scores
    if not (_pending_requests or _pending_scores):
        return
    requests, _pending_requests = _pending_requests, {}
    scores, _pending_scores = _pending_scores, {}
    for (method, route, status), tally in requests.items():
        REQUESTS.labels(method, route, str(status)).inc(tally.count)
        if status >= 400:
            ERRORS.labels(str(status)).inc(tally.count)
        # Histogram has no public way to add many observations at once; its sum and
        # per-bucket values are what observe() itself increments (a test compares the two).
        latency = LATENCY.labels(method, route)
        latency._sum.inc(tally.seconds)
        for bucket, count in zip(latency._buckets, tally.buckets, strict=True):
            if count:
                bucket.inc(count)
    for (grade, model_version), count in scores.items():
        LEADS_SCORED.labels(grade, model_version).inc(count)


def served_model(model_version: str | None) -> None:
    """Say which model this process serves."""
    MODEL.labels(model_version or "none").set(1)


async def metrics(_request: Request) -> Response:
    """The metrics in Prometheus' text format."""
    flush()
    if os.environ.get(MULTIPROCESS_ENV):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
