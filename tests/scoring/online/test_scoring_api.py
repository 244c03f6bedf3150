"""`POST /api/v1/scoring/score` through a real server: answers, errors and the model served."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import Workspace
from tests.server import Server, register_api_model

EAGER = {
    "seniority_level": "vp",
    "job_title": "VP of Sales",
    "company_size": "201-500",
    "industry": "Software",
    "geography": "Europe",
    "email_engagement_score": 82.5,
    "website_sessions": 14,
    "pages_viewed": 60,
    "time_on_site": 1800,
    "form_fills": 3,
    "content_downloads": 4,
    "campaign_touchpoints": 6,
    "last_campaign_interaction": (datetime.now(UTC) - timedelta(days=2)).isoformat(),
    "account_revenue": 40_000_000,
    "account_employees": 320,
    "existing_customer": True,
}
COLD = {"seniority_level": "individual_contributor", "industry": "Government", "form_fills": 0}


def _score(server: Server, body: object, path: str = "/api/v1/scoring/score", **headers: str):  # type: ignore[no-untyped-def]
    return server.client.post(path, json=body, headers=headers)


def test_scores_come_back_in_order_with_reasons(api: Server) -> None:
    answer = _score(
        api,
        {"leads": [{**EAGER, "id": "eager"}, {**COLD, "id": "cold"}]},
        **{"X-Request-ID": "req-42"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["x-request-id"] == "req-42"
    body = answer.json()
    assert body["request_id"] == "req-42" and body["status"] == "success"
    assert body["model_version"] == "demo:v1" and body["total_leads"] == 2
    eager, cold = body["scores"]
    assert (eager["id"], cold["id"]) == ("eager", "cold")
    assert eager["probability"] > cold["probability"]
    assert eager["score_100"] > cold["score_100"] and eager["score"] >= cold["score"]
    assert eager["grade"] in "ABCDE" and 1 <= eager["score"] <= 5
    assert eager["features_used"] == 16 and cold["features_used"] == 3
    assert eager["confidence"] > cold["confidence"]
    assert any("Form fills is 3 (+" in r for r in eager["reasons"]["positive"])
    assert any(r.startswith("Industry is Government (-") for r in cold["reasons"]["negative"])
    assert body["processing_time_ms"] > 0 and eager["prediction_time_ms"] > 0


def test_a_full_batch_and_the_alias(api: Server) -> None:
    batch = _score(api, {"leads": [EAGER, COLD] * 250}, "/api/v1/score")
    assert batch.status_code == 200
    scores = batch.json()["scores"]
    assert len(scores) == 500 and scores[0] == {
        **scores[2],
        "prediction_time_ms": scores[0]["prediction_time_ms"],
    }
    assert batch.headers["x-request-id"]  # one is made when the caller sends none


@pytest.mark.parametrize(
    ("body", "status", "path", "words"),
    [
        (
            {"leads": [{"form_fills": "many"}]},
            422,
            "$.leads[0].form_fills",
            "Expected `int | null`, got `str`",
        ),
        ({"leads": [{"form_fills": -1}]}, 422, "$.leads[0].form_fills", ">= 0"),
        ({"leads": [{"fomr_fills": 2}]}, 422, "$.leads[0]", "unknown field"),
        ({"leads": []}, 422, "$.leads", "length >= 1"),
        ({"lead": [EAGER]}, 422, "$", "unknown field"),
        ({"leads": [{"custom_features": {"industry": 1}}]}, 422, None, "core fields: industry"),
        ({"leads": [COLD] * 501}, 413, None, "at most 500 leads"),
    ],
)
def test_bad_payloads_get_one_error_shape(
    api: Server, body: object, status: int, path: str | None, words: str
) -> None:
    answer = _score(api, body)
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["status"] == status and error["request_id"] == answer.headers["x-request-id"]
    assert words in error["message"]
    if path:
        assert error["path"] == path


def test_not_json_and_too_large_bodies(start_server: Callable[..., Server]) -> None:
    server = start_server(api_max_body_bytes=4096)
    broken = server.client.post(
        "/api/v1/scoring/score",
        content=b'{"leads": [',
        headers={"content-type": "application/json"},
    )
    assert broken.status_code == 400 and broken.json()["error"]["code"] == "bad_request"
    huge = _score(server, {"leads": [EAGER] * 40})
    assert huge.status_code == 413 and "4,096 bytes" in huge.json()["error"]["message"]
    chunks = server.client.post(
        "/api/v1/scoring/score",
        content=iter([b'{"leads": [', b"{}," * 3000, b"{}]}"]),
        headers={"content-type": "application/json"},
    )
    assert chunks.status_code == 413
    missing = server.client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    wrong_method = server.client.get("/api/v1/scoring/score")
    assert wrong_method.status_code == 405


@pytest.mark.parametrize(
    "path", ["/api/v1/leads/batch", "/api/v1/events/batch", "/api/v1/webhooks/instantly"]
)
def test_a_chunked_body_past_the_limit_is_a_413_on_any_route(
    start_server: Callable[..., Server], path: str
) -> None:
    server = start_server(api_max_body_bytes=4096, instantly_webhook_secret="s" * 24)
    answer = server.client.post(
        path,
        content=iter([b'{"records": [', b"{}," * 3000, b"{}]}"]),
        headers={"content-type": "application/json", "X-Webhook-Secret": "s" * 24},
    )
    assert answer.status_code == 413, answer.text
    assert answer.json()["error"]["code"] == "payload_too_large"
    assert answer.headers["x-request-id"]


def test_the_active_model_of_the_api_name_serves(
    workspace: Workspace, start_server: Callable[..., Server], tmp_path
) -> None:  # type: ignore[no-untyped-def]
    register_api_model(workspace, tmp_path, extra_column=True)
    server = start_server()
    answer = _score(server, {"leads": [{**EAGER, "custom_features": {"intent": 6}}, COLD]})
    assert answer.status_code == 200, answer.text
    assert answer.json()["model_version"] == "api-leads:v1"
    assert answer.json()["scores"][0]["features_used"] == 17


def test_with_no_model_the_rules_score(start_server: Callable[..., Server]) -> None:
    server = start_server(api_demo_model=False, api_model="nothing-trained")
    buyer = {**EAGER, "email": "ann@acme-corp.com", "job_title": "VP Engineering"}
    answer = _score(server, {"leads": [buyer, {**COLD, "email": "bo@mailinator.com"}]})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["model_version"] == "rules"
    eager, cold = body["scores"]
    assert eager["probability"] is None and eager["score_100"] > cold["score_100"]
    assert any("Form fills x3" in r for r in eager["reasons"]["positive"])
    assert any("C-level or VP" in r for r in eager["reasons"]["positive"])
    # A disposable address fails the built-in profile's hard filter: score 0.
    assert cold["score_100"] == 0 and cold["grade"] == "E"
    assert any("disposable" in r.lower() for r in cold["reasons"]["negative"])


def _served_within(server: Server, version: str, seconds: float = 20.0) -> bool:
    """Whether scoring answers name `version` before `seconds` have passed."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        answer = _score(server, {"leads": [EAGER]})
        if answer.status_code == 200 and answer.json()["model_version"] == version:
            return True
        time.sleep(0.1)
    return False


def test_a_model_trained_promoted_or_rolled_back_is_served_without_a_restart(
    workspace: Workspace, start_server: Callable[..., Server], tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from leadrank.db.engine import session_scope
    from leadrank.training import registry

    server = start_server(api_model_check_seconds=0.2)
    assert _score(server, {"leads": [EAGER]}).json()["model_version"] == "demo:v1"
    register_api_model(workspace, tmp_path)  # the first version of the name is active at once
    assert _served_within(server, "api-leads:v1")
    assert server.client.get("/api/v1/health").json()["model_version"] == "api-leads:v1"
    register_api_model(workspace, tmp_path, seed=2)  # a shadow: not served until promoted
    time.sleep(1.0)
    assert _score(server, {"leads": [EAGER]}).json()["model_version"] == "api-leads:v1"
    # Read, then write, while the server's job runner may write: the write lock comes first.
    with session_scope(workspace.engine, writes=True) as session:
        registry.promote(session, reference="api-leads")
    assert _served_within(server, "api-leads:v2")
    with session_scope(workspace.engine, writes=True) as session:
        registry.rollback(session, name="api-leads")
    assert _served_within(server, "api-leads:v1")


def test_knowing_less_about_a_lead_never_scores_it_higher(api: Server) -> None:
    empty, one_fact, eager = _score(api, {"leads": [{}, {"form_fills": 2}, EAGER]}).json()["scores"]
    assert empty["grade"] == "E", empty
    assert one_fact["grade"] != "A", one_fact
    assert eager["grade"] in ("A", "B") and eager["score_100"] > one_fact["score_100"]
    for scored in (empty, one_fact, eager):
        assert not [r for r in scored["reasons"]["positive"] if "missing" in r], scored
    assert "Seniority level" in empty["reasons"]["not_known"], "what is not known is said apart"
    assert "Seniority level" in one_fact["reasons"]["not_known"]
    assert "Seniority level" not in eager["reasons"]["not_known"]
    assert len(empty["reasons"]["not_known"]) > len(eager["reasons"]["not_known"])
    assert all(s["reasons"]["positive"] or s["reasons"]["negative"] for s in (empty, one_fact))
