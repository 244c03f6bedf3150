"""Leads and events sent over HTTP go the way a file's records do: bronze, then silver or
quarantine, and the same record twice is stored once."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select

from leadrank.db.engine import session_scope
from leadrank.orm import BronzeRecord, Event
from tests.conftest import CliResult, Workspace
from tests.server import Server

LEADS = [
    {
        "Email": "Ann.Lee@Acme-Corp.com",
        "First Name": "Ann",
        "Last Name": "Lee",
        "Title": "VP Engineering",
        "Company": "Acme Corp",
        "Website": "acme-corp.com",
    },
    {
        "email": "bo@globex.io",
        "name": "Bo Chen",
        "job_title": "Data Analyst",
        "company": {"name": "Globex", "domain": "globex.io"},
    },
    {"note": "no one to speak of"},
]


def test_leads_then_events_through_the_api(workspace: Workspace, api: Server) -> None:
    first = api.client.post("/api/v1/leads/batch", json={"source": "webform", "leads": LEADS})
    assert first.status_code == 200, first.text
    result = first.json()
    assert (result["records"], result["new"], result["leads_created"]) == (3, 3, 2)
    assert result["quarantined"] == 1 and result["quarantine_reasons"]
    again = api.client.post("/api/v1/leads/batch", json={"source": "webform", "leads": LEADS[:2]})
    assert again.json()["already_there"] == 2 and again.json()["leads_created"] == 0

    ann = api.client.get("/api/v1/leads/ann.lee@acme-corp.com").json()
    assert ann["seniority"] == "vp" and ann["company_domain"] == "acme-corp.com"
    assert ann["provenance"]  # each field says which record it came from

    events = [
        {
            "email": "ann.lee@acme-corp.com",
            "event_type": "email_replied",
            "occurred_at": "2026-11-20T10:00:00Z",
        },
        {"email": "new@newco.io", "event_type": "page_view", "occurred_at": "2026-11-20T11:00:00Z"},
        {"event_type": "page_view", "occurred_at": "2026-11-20T12:00:00Z"},  # whose?
    ]
    sent = api.client.post("/api/v1/events/batch", json={"source": "instantly", "events": events})
    assert sent.status_code == 200, sent.text
    # A new email brings its lead along; an event with no one to belong to waits in quarantine.
    assert (sent.json()["events_created"], sent.json()["leads_created"]) == (2, 1)
    assert sent.json()["quarantined"] == 1, sent.json()
    with session_scope(workspace.engine) as session:
        assert session.scalar(select(func.count()).select_from(BronzeRecord)) == 6
        assert session.scalar(select(func.count()).select_from(Event)) == 2
    detail = api.client.get(f"/api/v1/leads/{ann['id']}").json()
    assert [e["event_type"] for e in detail["events"]] == ["email_replied"]


def test_batches_are_checked_before_anything_is_stored(api: Server) -> None:
    empty = api.client.post("/api/v1/leads/batch", json={"source": "x", "leads": []})
    assert empty.status_code == 422 and empty.json()["error"]["path"] == "$.leads"
    many = api.client.post(
        "/api/v1/leads/batch", json={"source": "x", "leads": [{"email": "a@b.co"}] * 1001}
    )
    assert many.status_code == 422
    nul = api.client.post("/api/v1/leads/batch", json={"source": "x", "leads": [{"a\x00": "b"}]})
    assert nul.status_code == 422 and "NUL" in nul.json()["error"]["message"]
    nameless = api.client.post("/api/v1/events/batch", json={"source": "", "events": [{}]})
    assert nameless.status_code == 422 and nameless.json()["error"]["path"] == "$.source"


def test_writing_needs_a_writing_role(
    workspace: Workspace, cli: Callable[..., CliResult], start_server: Callable[..., Server]
) -> None:
    reader = cli("keys", "create", "--role", "reader").stdout.strip().splitlines()[-1]
    writer = cli("keys", "create", "--role", "writer").stdout.strip().splitlines()[-1]
    server = start_server()
    body = {"source": "webform", "leads": LEADS[:1]}
    refused = server.client.post("/api/v1/leads/batch", json=body, headers={"X-API-Key": reader})
    assert refused.status_code == 403
    done = server.client.post("/api/v1/leads/batch", json=body, headers={"X-API-Key": writer})
    assert done.status_code == 200 and done.json()["leads_created"] == 1
