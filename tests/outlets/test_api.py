"""Outgoing webhooks and alert rules over HTTP on a real server, whose own job runner then
delivers what a change sends."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from standardwebhooks import Webhook

from leadrank.outlets.fake_receiver import FakeReceiver
from tests.conftest import CliResult, Workspace
from tests.outlets.helpers import ingest_people
from tests.server import Server


def _key(cli: Callable[..., CliResult], role: str) -> dict[str, str]:
    return {"X-API-Key": cli("keys", "create", "--role", role).stdout.strip().splitlines()[-1]}


def test_endpoints_deliveries_and_alerts_over_the_api(
    workspace: Workspace,
    cli: Callable[..., CliResult],
    start_server: Callable[..., Server],
    receiver: FakeReceiver,
    receiver_url: str,
    tmp_path: Path,
) -> None:
    ids = ingest_people(workspace, tmp_path / "in")
    writer, admin = _key(cli, "writer"), _key(cli, "admin")
    client = start_server(webhook_allow_private_urls=True).client
    body = {"url": f"{receiver_url}/hook", "events": ["lead.owner_changed"]}
    assert client.post("/api/v1/webhooks/endpoints", json=body, headers=writer).status_code == 403
    made = client.post("/api/v1/webhooks/endpoints", json=body, headers=admin)
    assert made.status_code == 201, made.text
    endpoint = made.json()
    assert endpoint["secret"].startswith("whsec_") and endpoint["events"] == ["lead.owner_changed"]
    listed = client.get("/api/v1/webhooks/endpoints", headers=admin).json()
    assert [e["id"] for e in listed] == [endpoint["id"]] and "secret" not in listed[0]
    bad = {"url": "ftp://example.com/x", "events": ["lead.created"]}
    assert client.post("/api/v1/webhooks/endpoints", json=bad, headers=admin).status_code == 400
    unknown = {"url": f"{receiver_url}/hook", "events": ["lead.exploded"]}
    assert client.post("/api/v1/webhooks/endpoints", json=unknown, headers=admin).status_code == 400

    tried = client.post(f"/api/v1/webhooks/endpoints/{endpoint['id']}/test", headers=admin)
    assert tried.json()["ok"] and tried.json()["status"] == 204

    # A change made over the API is delivered by the server's own runner, signed.
    owner = {"owner": "ana@acme.com"}
    assert (
        client.put(f"/api/v1/leads/{ids[0]}/owner", json=owner, headers=writer).status_code == 200
    )
    deadline = time.monotonic() + 30
    while len(receiver.got("/hook")) < 2:
        assert time.monotonic() < deadline, "the webhook never arrived"
        time.sleep(0.05)
    delivered = receiver.got("/hook")[1]
    event = Webhook(endpoint["secret"]).verify(delivered.body, delivered.headers)
    assert event["type"] == "lead.owner_changed" and event["data"]["owner"] == "ana@acme.com"
    page = client.get("/api/v1/webhooks/deliveries", headers=admin).json()
    assert (
        page["items"][0]["status"] == "delivered"
        and page["items"][0]["event_type"] == "lead.owner_changed"
    )
    retried = client.post(
        f"/api/v1/webhooks/deliveries/{page['items'][0]['id']}/retry", headers=admin
    )
    assert retried.status_code == 202 and retried.json()["status"] == "pending"
    assert (
        client.get("/api/v1/webhooks/deliveries?failed=true", headers=admin).json()["items"] == []
    )

    rule = {"name": "hot", "url": f"{receiver_url}/slack/T1/B1/secret", "grades": ["A"]}
    added = client.post("/api/v1/alerts", json=rule, headers=admin)
    assert added.status_code == 201, added.text
    assert added.json()["when"] == "a lead enters grade A" and "secret" not in added.json()["url"]
    assert client.post("/api/v1/alerts", json=rule, headers=admin).status_code == 409
    assert (
        client.post(
            "/api/v1/alerts", json={**rule, "name": "x", "grades": []}, headers=admin
        ).status_code
        == 400
    )
    assert client.post("/api/v1/alerts/hot/test", headers=admin).json()["ok"]
    assert receiver.got("/slack/T1/B1/secret")[0].json["text"]
    assert client.delete("/api/v1/alerts/hot", headers=admin).status_code == 204
    assert client.get("/api/v1/alerts", headers=admin).json() == []
    assert (
        client.delete(f"/api/v1/webhooks/endpoints/{endpoint['id']}", headers=admin).status_code
        == 204
    )
