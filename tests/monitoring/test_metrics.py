"""Prometheus metrics at /metrics: requests by route and status, latency, errors, leads scored
by grade, and the model served."""

from __future__ import annotations

import re

from tests.server import Server


def _value(text: str, name: str, **labels: str) -> float:
    """One sample's value (0 when it has not been recorded yet)."""
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_requests_scores_and_the_model_are_counted(api: Server) -> None:
    before = api.client.get("/metrics").text
    leads = {"leads": [{"form_fills": 4, "seniority_level": "vp"}, {"form_fills": 0}] * 3}
    assert api.client.post("/api/v1/scoring/score", json=leads).status_code == 200
    assert api.client.post("/api/v1/scoring/score", json={"leads": []}).status_code == 422
    after = api.client.get("/metrics")
    assert after.headers["content-type"].startswith("text/plain")
    text = after.text
    route = "/api/v1/scoring/score"
    ok = {"method": "POST", "route": route, "status": "200"}
    assert (
        _value(text, "leadrank_http_requests_total", **ok)
        == _value(before, "leadrank_http_requests_total", **ok) + 1
    )
    assert _value(text, "leadrank_http_errors_total", status="422") >= 1
    scored = sum(
        _value(text, "leadrank_leads_scored_total", grade=g, model_version="demo:v1")
        - _value(before, "leadrank_leads_scored_total", grade=g, model_version="demo:v1")
        for g in "ABCDE"
    )
    assert scored == 6
    assert _value(text, "leadrank_http_request_seconds_count", method="POST", route=route) >= 2
    assert _value(text, "leadrank_model_info", model_version="demo:v1") == 1


def test_a_flush_records_what_observing_each_request_would() -> None:
    from prometheus_client import CollectorRegistry, Histogram

    from leadrank.monitoring import metrics

    direct = Histogram(
        "direct_seconds",
        "each observation written at once",
        buckets=metrics.LATENCY._upper_bounds[:-1],
        registry=CollectorRegistry(),
    )
    route = "/tests/flush"
    seconds = [0.0001, 0.0005, 0.003, 0.003, 0.7, 2.5, 9.0]
    for value in seconds:
        metrics.observe_request("GET", route, 404, value)
        direct.observe(value)
    # Nothing reaches Prometheus until the flush.
    buffered = metrics.LATENCY.labels("GET", route)
    assert buffered._sum.get() == 0
    metrics.flush()

    def samples(histogram: Histogram) -> dict[tuple[str, str], float]:
        return {
            (s.name.rsplit("_", 1)[1], s.labels.get("le", "")): s.value
            for metric in histogram.collect()
            for s in metric.samples
            if s.name.endswith(("_bucket", "_count", "_sum"))
            and s.labels.get("route", route) == route
        }

    assert samples(metrics.LATENCY) == samples(direct)
    assert metrics.REQUESTS.labels("GET", route, "404")._value.get() == len(seconds)
    assert metrics.ERRORS.labels("404")._value.get() >= len(seconds)
