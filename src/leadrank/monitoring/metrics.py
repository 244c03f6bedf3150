"""Prometheus metrics: requests, latency, errors, leads scored by grade, the model served.

With several workers, `leadrank serve` points PROMETHEUS_MULTIPROC_DIR at a fresh folder
before they start, and `/metrics` adds up every worker's numbers; with one process the
default registry serves them.
"""

from __future__ import annotations

import os
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
    """Count one answered request."""
    key = (method, route, status)
    children = _REQUEST_CHILDREN.get(key)
    if children is None:
        children = _request_children(method, route, status)
    requests, latency, errors = children
    requests.inc()
    latency.observe(seconds)
    if errors is not None:
        errors.inc()


# Each label set's children, looked up once: `.labels()` validates and locks on every call,
# which cost more than the observation itself. Few keys: routes, methods and statuses.
_REQUEST_CHILDREN: dict[tuple[str, str, int], tuple[Counter, Histogram, Counter | None]] = {}


def _request_children(
    method: str, route: str, status: int
) -> tuple[Counter, Histogram, Counter | None]:
    children = (
        REQUESTS.labels(method, route, str(status)),
        LATENCY.labels(method, route),
        ERRORS.labels(str(status)) if status >= 400 else None,
    )
    _REQUEST_CHILDREN[(method, route, status)] = children
    return children


def observe_scores(grades: Sequence[str], model_version: str) -> None:
    """Count a request's scored leads by grade."""
    # A few distinct grades, counted in C: Counter() cost more than a one-lead request's
    # whole model.
    for grade in set(grades):
        key = (grade, model_version)
        child = _SCORED_CHILDREN.get(key)
        if child is None:
            child = _SCORED_CHILDREN[key] = LEADS_SCORED.labels(grade, model_version)
        child.inc(grades.count(grade))


_SCORED_CHILDREN: dict[tuple[str, str], Counter] = {}


def served_model(model_version: str | None) -> None:
    """Say which model this process serves."""
    MODEL.labels(model_version or "none").set(1)


async def metrics(_request: Request) -> Response:
    """The metrics in Prometheus' text format."""
    if os.environ.get(MULTIPROCESS_ENV):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
