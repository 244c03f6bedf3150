"""`POST /api/v1/webhooks/instantly` on a real server: each kind of Instantly event becomes a
lead event that the API, `leadrank leads show`, engagement and labels see; only deliveries with
the shared secret get in; the same delivery twice is stored once; bad bodies get a 4xx."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import polars as pl
import pytest
from sqlalchemy import func, select

from leadrank.connectors.instantly.fake import webhook_event
from leadrank.db.engine import session_scope
from leadrank.orm import BronzeRecord, Event
from leadrank.scoring.engagement import EngagementConfig, score_engagement
from leadrank.training.labels import LabelDefinition, gold_labels
from tests.conftest import CliResult, Workspace
from tests.server import Server

SECRET = "whsec-instantly-0123456789"
PATH = "/api/v1/webhooks/instantly"
# Instantly's event_type -> the leadrank event it becomes, in the order a lead lives them.
KINDS = {
    "email_sent": "email_sent",
    "email_opened": "email_opened",
    "link_clicked": "email_clicked",
    "reply_received": "email_replied",
    "lead_interested": "interested",
    "lead_meeting_booked": "meeting_booked",
    "email_bounced": "email_bounced",
    "lead_unsubscribed": "email_unsubscribed",
}


@pytest.fixture
def hooks(start_server: Callable[..., Server]) -> Server:
    """A server that takes Instantly webhooks with the shared secret."""
    return start_server(instantly_webhook_secret=SECRET)


def deliver(server: Server, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    sent = {"X-Webhook-Secret": SECRET} if headers is None else headers
    if isinstance(body, bytes | str):
        return server.client.post(PATH, content=body, headers=sent)
    return server.client.post(PATH, json=body, headers=sent)


def stored(workspace: Workspace) -> tuple[int, int]:
    with session_scope(workspace.engine) as session:
        records = session.scalar(select(func.count()).select_from(BronzeRecord))
        events = session.scalar(select(func.count()).select_from(Event))
    return records or 0, events or 0


def test_each_kind_becomes_a_lead_event_that_everything_sees(
    workspace: Workspace, hooks: Server, cli: Callable[..., CliResult]
) -> None:
    for day, kind in enumerate(KINDS, start=1):
        payload = webhook_event(
            kind, lead_email="Ann.Lee@Acme-Corp.com", timestamp=f"2026-06-{day:02d}T10:00:00.000Z"
        )
        if kind == "reply_received":
            payload |= {"reply_text_snippet": "Sounds good", "step": 1, "variant": 1}
        answer = deliver(hooks, payload)
        assert answer.status_code == 200, answer.text
        receipt = answer.json()
        assert receipt["status"] == "recorded" and receipt["events_created"] == 1
        assert receipt["event_type"] == KINDS[kind]
        assert receipt["leads_created"] == (1 if day == 1 else 0)  # a new email is a new lead

    lead = hooks.client.get("/api/v1/leads/ann.lee@acme-corp.com").json()
    assert [e["event_type"] for e in lead["events"]] == list(KINDS.values())
    assert {e["source"] for e in lead["events"]} == {"instantly"}
    assert lead["events"][0]["occurred_at"].startswith("2026-06-01T10:00:00")
    shown = cli("leads", "show", "ann.lee@acme-corp.com")
    assert shown.exit_code == 0, shown.stderr
    for standard in KINDS.values():
        assert f"{standard} (instantly)" in shown.stdout

    with session_scope(workspace.engine) as session:
        reply = session.scalar(select(Event).where(Event.event_type == "email_replied"))
        assert reply is not None
        assert reply.properties["reply_text_snippet"] == "Sounds good"
        assert reply.properties["campaign_name"] == "Q2 Outbound - SaaS Leaders"
        events = pl.DataFrame(
            [
                (e.lead_id, e.event_type, e.occurred_at)
                for e in session.scalars(select(Event).order_by(Event.occurred_at))
            ],
            schema={
                "lead_id": pl.Int64,
                "event_type": pl.String,
                "occurred_at": pl.Datetime("us", "UTC"),
            },
            orient="row",
        )
    # Engagement and labels follow: the reply and the meeting count for the lead, the
    # unsubscribe against; "meeting_booked within 30 days of the first email" is met.
    as_of = datetime(2026, 6, 10, tzinfo=UTC)
    config = EngagementConfig()
    early = score_engagement(
        events.filter(pl.col("event_type").is_in(["email_sent", "email_opened"])),
        config=config,
        as_of=as_of,
    )
    engaged = score_engagement(events.head(6), config=config, as_of=as_of)
    everything = score_engagement(events, config=config, as_of=as_of)
    assert early["engagement_score"][0] < engaged["engagement_score"][0]
    assert everything["engagement_score"][0] < engaged["engagement_score"][0]
    label = gold_labels(
        events.select("lead_id").unique(),
        events,
        definition=LabelDefinition(
            positive_events=["meeting_booked"], within_days=30, anchor="first_touch"
        ),
        as_of=as_of,
    )
    assert label["label"].to_list() == [True]


def test_only_deliveries_with_the_secret_get_in(workspace: Workspace, hooks: Server) -> None:
    payload = webhook_event("email_opened", lead_email="bo@globex.io")
    for headers in (
        {},
        {"X-Webhook-Secret": "not-the-secret"},
        {"X-Webhook-Secret": SECRET[:-1]},
        {"Authorization": "Bearer not-the-secret"},
        {"Authorization": f"Basic {SECRET}"},
    ):
        refused = deliver(hooks, payload, headers)
        assert refused.status_code == 401, headers
        error = refused.json()["error"]
        assert (error["status"], error["code"]) == (401, "unauthorized")
        assert "X-Webhook-Secret" in error["message"] and error["request_id"]
        assert SECRET not in refused.text
    # The secret is checked before the body is even read.
    assert deliver(hooks, b"{not json", {}).status_code == 401
    assert stored(workspace) == (0, 0)

    by_bearer = deliver(hooks, payload, {"Authorization": f"Bearer {SECRET}"})
    assert by_bearer.status_code == 200 and by_bearer.json()["status"] == "recorded"
    assert stored(workspace) == (1, 1)


def test_no_secret_configured_means_webhooks_are_off(workspace: Workspace, api: Server) -> None:
    answer = deliver(api, webhook_event("email_sent", lead_email="bo@globex.io"))
    assert answer.status_code == 503
    error = answer.json()["error"]
    assert error["code"] == "unavailable"
    assert "LEADRANK_INSTANTLY_WEBHOOK_SECRET" in error["message"]
    assert stored(workspace) == (0, 0)


def test_a_delivery_sent_again_changes_nothing(workspace: Workspace, hooks: Server) -> None:
    payload = webhook_event("reply_received", lead_email="carla.diaz@initech.com", step=2)
    first = deliver(hooks, payload)
    assert first.json()["status"] == "recorded"
    after_first = stored(workspace)
    again = deliver(hooks, payload)
    assert again.status_code == 200
    receipt = again.json()
    assert receipt["status"] == "already_recorded"
    assert (receipt["events_created"], receipt["leads_created"]) == (0, 0)
    assert stored(workspace) == after_first == (1, 1)
    # Another reply of the same lead, later, is another event.
    later = deliver(hooks, payload | {"timestamp": "2026-06-02T09:00:00.000Z"})
    assert later.json()["status"] == "recorded"
    assert stored(workspace) == (2, 2)


def test_bad_bodies_get_a_4xx_in_the_error_shape(workspace: Workspace, hooks: Server) -> None:
    good = webhook_event("email_sent", lead_email="dev.patel@umbrella-health.com")
    cases: list[tuple[Any, int, str | None]] = [
        (b"{not json", 400, None),
        (b"", 400, None),
        ('{"event_type": "email_sent", "timestamp": NaN}', 400, None),
        ([good], 422, "$"),
        ('"just a string"', 422, "$"),
        ({k: v for k, v in good.items() if k != "event_type"}, 422, "$.event_type"),
        (good | {"timestamp": 1717236000}, 422, "$.timestamp"),
        (good | {"event_type": ""}, 422, "$.event_type"),
        (good | {"lead_email": ["a@b.co"]}, 422, "$.lead_email"),
        (good | {"reply_text": "nul \x00 inside"}, 422, "$"),
    ]
    for body, status, path in cases:
        answer = deliver(hooks, body)
        assert answer.status_code == status, (body, answer.text)
        error = answer.json()["error"]
        assert error["status"] == status and error["message"]
        if path is not None:
            assert error["path"] == path, (body, error)
    assert stored(workspace) == (0, 0)


def test_an_event_without_a_lead_is_kept_in_quarantine(workspace: Workspace, hooks: Server) -> None:
    completed = webhook_event("campaign_completed", lead_email="x")
    del completed["lead_email"]
    answer = deliver(hooks, completed)
    assert answer.status_code == 200, answer.text
    receipt = answer.json()
    assert receipt["status"] == "quarantined" and receipt["event_type"] == "campaign_completed"
    assert receipt["quarantine_reasons"] == {"no_lead: no known lead and no valid email": 1}
    assert stored(workspace) == (1, 0)  # in bronze, nothing lost; no lead event


def test_an_event_dated_far_ahead_or_long_ago_waits_in_quarantine(
    workspace: Workspace, hooks: Server
) -> None:
    # A year 9999 would read as the freshest activity there is; 1900 as none at all.
    for moment in ("9999-12-31T10:00:00.000Z", "1900-01-01T10:00:00.000Z"):
        answer = deliver(
            hooks, webhook_event("reply_received", lead_email="ann@acme.com", timestamp=moment)
        )
        assert answer.status_code == 200, answer.text
        receipt = answer.json()
        assert receipt["status"] == "quarantined", receipt
        reason = "occurred_at_implausible: before 1970 or more than a day ahead"
        assert receipt["quarantine_reasons"][reason] == 1
    assert stored(workspace)[1] == 0  # kept in bronze, no lead event
    fresh = deliver(hooks, webhook_event("reply_received", lead_email="ann@acme.com"))
    assert fresh.json()["status"] == "recorded"
