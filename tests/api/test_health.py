"""Health, liveness and readiness, and the OpenAPI document."""

from __future__ import annotations

from collections.abc import Callable

from tests.server import Server


def test_health_live_and_ready(api: Server) -> None:
    assert api.client.get("/api/v1/health/live").json() == {"status": "live"}
    ready = api.client.get("/api/v1/health/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"]["migrations"]["ok"] is True
    health = api.client.get("/api/v1/health").json()
    assert health["status"] == "ok" and health["model_version"] == "demo:v1"


def test_ready_with_the_rules_when_there_is_no_model(start_server: Callable[..., Server]) -> None:
    server = start_server(api_demo_model=False, api_model="none-yet")
    ready = server.client.get("/api/v1/health/ready")
    assert ready.status_code == 200 and ready.json()["checks"]["model"]["version"] == "rules"


def test_the_openapi_document_describes_the_scoring_contract(api: Server) -> None:
    document = api.client.get("/openapi.json").json()
    operation = document["paths"]["/api/v1/scoring/score"]["post"]
    request = operation["requestBody"]["content"]["application/json"]["schema"]
    assert request == {"$ref": "#/components/schemas/ScoreRequest"}
    schemas = document["components"]["schemas"]
    lead = schemas["ApiLead"]["properties"]
    assert {
        "company_size",
        "existing_customer",
        "custom_features",
        "last_campaign_interaction",
    } <= set(lead)
    assert schemas["ScoreRequest"]["properties"]["leads"]["maxItems"] == 500
    assert set(operation["responses"]) == {"200", "400", "401", "403", "413", "422", "429"}
    assert operation["security"] == [{"bearer": []}, {"apiKey": []}]
    assert set(document["components"]["securitySchemes"]) == {"bearer", "apiKey"}
    assert "/api/v1/score" in document["paths"]


def test_cors_is_off_unless_origins_are_named(start_server: Callable[..., Server]) -> None:
    preflight = {
        "Origin": "https://app.example.com",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "x-api-key,content-type",
    }
    closed = start_server()
    answer = closed.client.options("/api/v1/scoring/score", headers=preflight)
    assert "access-control-allow-origin" not in answer.headers
    opened = start_server(api_cors_origins=["https://app.example.com"])
    allowed = opened.client.options("/api/v1/scoring/score", headers=preflight)
    assert allowed.headers["access-control-allow-origin"] == "https://app.example.com"
    other = opened.client.options(
        "/api/v1/scoring/score", headers={**preflight, "Origin": "https://evil.example"}
    )
    assert "access-control-allow-origin" not in other.headers
