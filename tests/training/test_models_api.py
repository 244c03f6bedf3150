"""`/api/v1/models`: the registry over HTTP, with the admin role for changes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import CliResult, Workspace
from tests.server import Server, register_api_model


def test_list_show_promote_and_roll_back(
    workspace: Workspace,
    cli: Callable[..., CliResult],
    start_server: Callable[..., Server],
    tmp_path: Path,
) -> None:
    for seed in (1, 2):
        register_api_model(workspace, tmp_path, seed=seed)
    admin = {"X-API-Key": cli("keys", "create", "--role", "admin").stdout.strip().splitlines()[-1]}
    reader = {
        "X-API-Key": cli("keys", "create", "--role", "reader").stdout.strip().splitlines()[-1]
    }
    server = start_server()
    listed = server.client.get("/api/v1/models", headers=reader).json()
    assert [(m["reference"], m["stage"]) for m in listed] == [
        ("api-leads:v2", "shadow"),
        ("api-leads:v1", "active"),
    ]
    shown = server.client.get("/api/v1/models/api-leads:v2", headers=reader).json()
    assert shown["evaluation"]["roc_auc"] > 0.6 and shown["features"] and shown["data_hash"]
    assert server.client.get("/api/v1/models/api-leads", headers=reader).json()["version"] == 1

    refused = server.client.post("/api/v1/models/api-leads/promote", headers=reader)
    assert refused.status_code == 403
    promoted = server.client.post("/api/v1/models/api-leads/promote", headers=admin)
    assert promoted.status_code == 200, promoted.text
    change = promoted.json()
    assert change["active"]["reference"] == "api-leads:v2"
    assert change["archived"]["stage"] == "archived"
    again = server.client.post("/api/v1/models/api-leads:v2/promote", headers=admin)
    assert again.status_code == 409 and "already active" in again.json()["error"]["message"]
    rolled = server.client.post("/api/v1/models/api-leads/rollback", headers=admin).json()
    assert rolled["active"]["reference"] == "api-leads:v1"

    missing = server.client.get("/api/v1/models/churn", headers=reader)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    odd = server.client.get("/api/v1/models/Bad Name", headers=reader)
    assert odd.status_code == 422
