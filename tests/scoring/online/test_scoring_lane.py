"""The scoring lane answers exactly as the FastAPI route behind it would: the same bodies,
statuses, error shapes and headers, with keys, roles and rate limits alike."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from leadrank.app import LeadrankApi
from tests.conftest import CliResult
from tests.scoring.online.test_scoring_api import COLD, EAGER
from tests.server import Server

SHOWN_HEADERS = ("content-type", "x-request-id", "www-authenticate", "retry-after")
_TIMINGS = ("timestamp", "processing_time_ms")


def _without_lane(app: FastAPI) -> None:
    assert isinstance(app, LeadrankApi)
    app.front = app.around(app.stack)


def _lane_in(app: FastAPI) -> None:
    assert isinstance(app, LeadrankApi) and app.front is not None


def _seen(answer: httpx.Response) -> dict[str, Any]:
    """What a client sees of an answer, less the times that differ on every call."""
    assert int(answer.headers["content-length"]) == len(answer.content)
    body = answer.json()
    for key in _TIMINGS:
        body.pop(key, None)
    for score in body.get("scores", ()):
        score.pop("prediction_time_ms")
    headers = {name: answer.headers.get(name) for name in SHOWN_HEADERS}
    return {"status": answer.status_code, "body": body, "headers": headers}


REQUESTS: list[tuple[str, bytes | dict[str, Any]]] = [
    ("/api/v1/scoring/score", {"leads": [{**EAGER, "id": "a"}, COLD]}),
    ("/api/v1/score", {"leads": [EAGER, COLD] * 250, "request_id": "mine"}),
    ("/api/v1/score", {"leads": [{"form_fills": "many"}]}),
    ("/api/v1/score", {"leads": []}),
    ("/api/v1/score", {"leads": [{"custom_features": {"industry": 1}}]}),
    ("/api/v1/score", {"leads": [COLD] * 501}),
    ("/api/v1/score", b'{"leads": ['),
    ("/api/v1/score", b""),
]


def _post(
    server: Server, path: str, body: bytes | dict[str, Any], **headers: str
) -> httpx.Response:
    headers = {"X-Request-ID": "req-1", "content-type": "application/json", **headers}
    if isinstance(body, bytes):
        return server.client.post(path, content=body, headers=headers)
    return server.client.post(path, json=body, headers=headers)


def test_the_lane_answers_as_the_route_does(start_server: Callable[..., Server]) -> None:
    lane, route = start_server(edit=_lane_in), start_server(edit=_without_lane)
    for path, body in REQUESTS:
        assert _seen(_post(lane, path, body)) == _seen(_post(route, path, body)), (path, body)


def test_keys_roles_and_rates_alike(
    cli: Callable[..., CliResult], start_server: Callable[..., Server]
) -> None:
    made = [cli("keys", "create", "--role", role, *extra) for role, extra in _KEYS]
    scorer, reader, *slow = (m.stdout.strip().splitlines()[-1] for m in made)
    lane, route = start_server(edit=_lane_in), start_server(edit=_without_lane)
    leads = {"leads": [COLD]}
    for headers in ({}, {"X-API-Key": "lr_00000000_x"}, {"X-API-Key": reader}):
        assert _seen(_post(lane, "/api/v1/score", leads, **headers)) == _seen(
            _post(route, "/api/v1/score", leads, **headers)
        )
    ok = _post(lane, "/api/v1/score", leads, Authorization=f"Bearer {scorer}")
    assert ok.status_code == 200 and ok.json()["scores"][0]["grade"] in "ABCDE"
    # One request in ten seconds: the second one waits. A key's limit holds across servers
    # (the database counts it), so each server gets a slow key of its own.
    for server, key in zip((lane, route), slow, strict=True):
        first = _post(server, "/api/v1/score", leads, **{"X-API-Key": key})
        second = _post(server, "/api/v1/score", leads, **{"X-API-Key": key})
        assert first.status_code == 200 and second.status_code == 429
        assert 1 <= int(second.headers["retry-after"]) <= 10
        assert second.json()["error"]["request_id"] == "req-1"


_KEYS = [("scorer", ()), ("reader", ())] + [("scorer", ("--rate-limit", "6"))] * 2


def test_other_paths_and_methods_go_on_to_the_app(api: Server) -> None:
    assert api.client.get("/api/v1/scoring/score").status_code == 405
    slash = api.client.post("/api/v1/scoring/score/", json={"leads": [COLD]})
    assert slash.status_code == 307 and slash.headers["location"].endswith("/scoring/score")
    assert api.client.get("/api/v1/health/live").json() == {"status": "live"}


@pytest.mark.parametrize("path", ["/api/v1/scoring/score", "/api/v1/score"])
def test_cors_headers_wrap_the_lanes_answers(
    start_server: Callable[..., Server], path: str
) -> None:
    server = start_server(api_cors_origins=["https://app.example.com"])
    answer = server.client.post(
        path, json={"leads": [COLD]}, headers={"Origin": "https://app.example.com"}
    )
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == "https://app.example.com"
    assert "X-Request-ID" in answer.headers["access-control-expose-headers"]
