"""Delivery from the outbox: signed, at least once, in order per lead, retried with backoff
while a receiver is down, dead when the retries are spent, and replayable."""

from __future__ import annotations

import socket
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import select

from leadrank.config import Settings
from leadrank.db.engine import session_scope
from leadrank.leads.grade_overrides import set_override
from leadrank.orm.outlets import Delivery, WebhookEndpoint
from leadrank.outlets import deliveries
from leadrank.outlets.fake_receiver import FakeReceiver, serve_receiver
from leadrank.outlets.sender import send_due
from tests.conftest import Workspace
from tests.outlets.conftest import SCHEDULE, Clock
from tests.outlets.helpers import ingest_people, subscribe

GRADES = ["A", "C", "B"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _override_in_turn(workspace: Workspace, lead_ids: list[int]) -> None:
    """Each lead's grade set three times, the leads interleaved."""
    for grade in GRADES:
        for lead_id in lead_ids:
            with session_scope(workspace.engine) as session:
                set_override(session, lead_id=lead_id, grade=grade, reason="call", by="sam")


def _statuses(workspace: Workspace) -> list[tuple[str, int]]:
    with session_scope(workspace.engine) as session:
        return [
            (status, attempts)
            for status, attempts in session.execute(
                select(Delivery.status, Delivery.attempts).order_by(Delivery.id)
            )
        ]


def test_a_receiver_down_for_a_while_gets_every_delivery_afterwards_in_order(
    workspace: Workspace, settings: Settings, tmp_path: Path, clock: Clock, http: httpx.Client
) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}/hooks/leadrank"
    endpoint_id, secret = subscribe(workspace, settings, url, "lead.grade_changed")
    ids = ingest_people(workspace, tmp_path / "in")[:3]
    _override_in_turn(workspace, ids)  # 9 messages, 3 per lead

    # Down (nothing listens on the port): one attempt, then the endpoint waits.
    report = send_due(workspace.engine, settings, http, clock=clock)
    assert (report.delivered, report.failed) == (0, 1)
    assert _statuses(workspace) == [("pending", 1)] + [("pending", 0)] * 8
    assert send_due(workspace.engine, settings, http, clock=clock).failed == 0  # paused
    clock.advance(SCHEDULE[0])
    assert send_due(workspace.engine, settings, http, clock=clock).failed == 1
    assert _statuses(workspace)[0] == ("pending", 2)

    # Back at the same address: after the pause, everything, in order.
    receiver = FakeReceiver(secrets={"/hooks/leadrank": secret})
    with serve_receiver(receiver, port=port):
        clock.advance(SCHEDULE[1])
        report = send_due(workspace.engine, settings, http, clock=clock)
    assert (report.delivered, report.failed) == (9, 0)
    got = receiver.got("/hooks/leadrank")
    assert len(got) == 9 and all(request.verified for request in got)
    assert len({request.headers["webhook-id"] for request in got}) == 9
    for lead_id in ids:
        grades = [r.json["data"]["grade"] for r in got if r.json["data"]["lead_id"] == lead_id]
        assert grades == GRADES
    assert {status for status, _ in _statuses(workspace)} == {"delivered"}
    with session_scope(workspace.engine) as session:
        assert session.get(WebhookEndpoint, endpoint_id).paused_until is None  # type: ignore[union-attr]
        assert deliveries.next_due(session) is None


def test_a_delivery_that_keeps_failing_goes_dead_stops_holding_back_and_replays(
    workspace: Workspace,
    settings: Settings,
    tmp_path: Path,
    clock: Clock,
    http: httpx.Client,
    receiver: FakeReceiver,
    receiver_url: str,
) -> None:
    subscribe(workspace, settings, f"{receiver_url}/in", "lead.grade_changed")
    (lead_id,) = ingest_people(workspace, tmp_path / "in")[:1]
    with session_scope(workspace.engine) as session:
        set_override(session, lead_id=lead_id, grade="A", reason="call", by="sam")
    receiver.fail_with = 500
    send_due(workspace.engine, settings, http, clock=clock)
    for wait in SCHEDULE:
        clock.advance(wait)
        send_due(workspace.engine, settings, http, clock=clock)
    assert _statuses(workspace) == [("dead", len(SCHEDULE) + 1)]
    with session_scope(workspace.engine) as session:
        ((failed, _),) = deliveries.list_deliveries(session, failed_only=True)
        assert failed.last_status == 500 and "unavailable" in (failed.last_error or "")
        dead_id = failed.id

    # The lead's next message is not held back by the dead one.
    receiver.fail_with = None
    with session_scope(workspace.engine) as session:
        set_override(session, lead_id=lead_id, grade="B", reason="call", by="sam")
    assert send_due(workspace.engine, settings, http, clock=clock).delivered == 1
    with session_scope(workspace.engine) as session:
        deliveries.replay(session, dead_id)
    assert send_due(workspace.engine, settings, http, clock=clock).delivered == 1
    grades = [r.json["data"]["grade"] for r in receiver.got()]
    assert grades == ["B", "A"]
    assert _statuses(workspace) == [("delivered", 1), ("delivered", 1)]


def test_a_name_pointed_inside_the_network_later_is_refused_at_delivery(
    workspace: Workspace,
    settings: Settings,
    tmp_path: Path,
    clock: Clock,
    http: httpx.Client,
    receiver: FakeReceiver,
    receiver_url: str,
) -> None:
    subscribe(workspace, settings, f"{receiver_url}/in", "lead.created")
    ingest_people(workspace, tmp_path / "in")
    strict = settings.model_copy(update={"webhook_allow_private_urls": False})
    report = send_due(workspace.engine, strict, http, clock=clock)
    assert report.failed == 1 and receiver.got() == []
    with session_scope(workspace.engine) as session:
        ((failed, _), *_) = deliveries.list_deliveries(session, failed_only=True)
        assert "LEADRANK_WEBHOOK_ALLOW_PRIVATE_URLS" in (failed.last_error or "")


def test_the_sending_job_is_queued_again_for_the_next_retry(
    workspace: Workspace,
    settings: Settings,
    tmp_path: Path,
    clock: Clock,
    http: httpx.Client,
    receiver: FakeReceiver,
    receiver_url: str,
) -> None:
    from sqlalchemy import delete

    from leadrank.orm import Job

    subscribe(workspace, settings, f"{receiver_url}/in", "import.finished")
    ingest_people(workspace, tmp_path / "in")
    with session_scope(workspace.engine) as session:
        (job,) = session.scalars(select(Job).where(Job.task == "deliver_outbox")).all()
        assert job.status == "queued" and job.run_after is None  # deferred with the change
        session.execute(delete(Job))  # as if a runner had taken it and now ran this
    receiver.fail_next = 1
    report = send_due(workspace.engine, settings, http, clock=clock)
    assert report.failed == 1 and report.next_due == clock.now + timedelta(seconds=SCHEDULE[0])
    with session_scope(workspace.engine) as session:
        (job,) = session.scalars(select(Job).where(Job.task == "deliver_outbox")).all()
    assert job.status == "queued" and job.run_after == report.next_due
