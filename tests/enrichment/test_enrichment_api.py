"""`/api/v1/enrichment`: a writer queues enrichment, the server's job runner does it, and
anyone with a key sees each provider's health."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from leadrank.db.engine import session_scope
from leadrank.ingest.service import ingest_records
from leadrank.orm import Lead
from tests.conftest import CliResult, Workspace
from tests.server import Server

PEOPLE = [
    {"email": "ann@gmail.com", "first_name": "Ann", "job_title": "VP Sales"},
    {"email": "bob@initech.co.uk", "first_name": "Bob"},
]


def _key(cli: Callable[..., CliResult], role: str) -> dict[str, str]:
    return {"X-API-Key": cli("keys", "create", "--role", role).stdout.strip().splitlines()[-1]}


def _finished(server: Server, job_id: int, headers: dict[str, str]) -> Any:
    deadline = time.monotonic() + 60
    while True:
        job = server.client.get(f"/api/v1/jobs/{job_id}", headers=headers).json()
        if job["status"] in ("succeeded", "failed"):
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.1)


def test_enrich_over_http_and_see_the_providers(
    workspace: Workspace, cli: Callable[..., CliResult], start_server: Callable[..., Server]
) -> None:
    with session_scope(workspace.engine) as session:
        ingest_records(session, records=PEOPLE, source="crm", kind="leads", name="people")
        ids = {lead.email: lead.id for lead in session.scalars(select(Lead))}
    writer, reader = _key(cli, "writer"), _key(cli, "reader")
    server = start_server()
    queued = server.client.post(
        "/api/v1/enrichment/jobs", json={"groups": ["email", "company"]}, headers=writer
    )
    assert queued.status_code == 202, queued.text
    job = _finished(server, queued.json()["id"], writer)
    assert job["status"] == "succeeded", job
    assert job["result"]["leads"] == 2 and job["result"]["fields"]["filled"] > 0
    with session_scope(workspace.engine) as session:
        ann = session.get(Lead, ids["ann@gmail.com"])
        assert ann is not None and ann.email_free_mail is True

    health = server.client.get("/api/v1/enrichment/providers", headers=reader)
    assert health.status_code == 200
    by_name = {p["provider"]: p for p in health.json()}
    assert by_name["builtin"]["configured"] and by_name["builtin"]["attempts_24h"]["found"] >= 2
    assert by_name["apollo"]["configured"] is False and by_name["apollo"]["daily_budget"] == 1000

    refused = server.client.post("/api/v1/enrichment/jobs", json={}, headers=reader)
    assert refused.status_code == 403
    missing = server.client.post(
        "/api/v1/enrichment/jobs", json={"lead_ids": [999]}, headers=writer
    )
    assert missing.status_code == 400 and "no lead 999" in missing.json()["error"]["message"]
    wrong = server.client.post(
        "/api/v1/enrichment/jobs", json={"groups": ["firmo"]}, headers=writer
    )
    assert wrong.status_code == 422 and wrong.json()["error"]["path"].startswith("$.groups")
