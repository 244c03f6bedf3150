"""Delivery from the outbox: signed, at least once, in order per lead, retried with backoff
while a receiver is down, dead when the retries are spent, and replayable."""

from __future__ import annotations

import socket
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import delete, select

from leadrank.config import Settings
from leadrank.db.engine import session_scope
from leadrank.leads.grade_overrides import set_override
from leadrank.orm import Job
from leadrank.orm.outlets import Delivery, WebhookEndpoint
from leadrank.outlets import deliveries
from leadrank.outlets.fake_receiver import FakeReceiver, serve_receiver
from leadrank.outlets.sender import send_due
from leadrank.outlets.urls import checked_url, sending_client
from tests.conftest import Workspace
from tests.outlets.conftest import SCHEDULE, Clock, Outlet
from tests.outlets.helpers import ingest_people, subscribe

GRADES = ["A", "C", "B"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _override_in_turn(workspace: Workspace, lead_ids: list[int], grades: list[str]) -> None:
    """Each lead's grade set to each of `grades`, the leads interleaved."""
    for grade in grades:
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
    _override_in_turn(workspace, ids, GRADES)  # 9 messages, 3 per lead

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
    outlet: Outlet,
) -> None:
    workspace, receiver = outlet.workspace, outlet.receiver
    subscribe(workspace, outlet.settings, f"{outlet.url}/in", "lead.grade_changed")
    (lead_id,) = ingest_people(workspace, outlet.folder / "in")[:1]
    _override_in_turn(workspace, [lead_id], ["A"])
    receiver.fail_with = 500
    outlet.send()
    for wait in SCHEDULE:
        outlet.clock.advance(wait)
        outlet.send()
    assert _statuses(workspace) == [("dead", len(SCHEDULE) + 1)]
    with session_scope(workspace.engine) as session:
        ((failed, _),) = deliveries.list_deliveries(session, failed_only=True)
        assert failed.last_status == 500 and "unavailable" in (failed.last_error or "")
        dead_id = failed.id

    # The lead's next message is not held back by the dead one.
    receiver.fail_with = None
    _override_in_turn(workspace, [lead_id], ["B"])
    assert outlet.send().delivered == 1
    with session_scope(workspace.engine) as session:
        deliveries.replay(session, dead_id)
    assert outlet.send().delivered == 1
    assert [r.json["data"]["grade"] for r in receiver.got()] == ["B", "A"]
    assert _statuses(workspace) == [("delivered", 1), ("delivered", 1)]


def test_a_name_pointed_inside_the_network_later_is_refused_as_it_connects(
    outlet: Outlet, monkeypatch: pytest.MonkeyPatch
) -> None:
    subscribe(outlet.workspace, outlet.settings, f"{outlet.url}/in", "lead.created")
    ingest_people(outlet.workspace, outlet.folder / "in")
    strict = outlet.settings.model_copy(update={"webhook_allow_private_urls": False})
    with sending_client(allow_private=False, timeout=httpx.Timeout(5.0)) as guarded:
        report = send_due(outlet.workspace.engine, strict, guarded, clock=outlet.clock)
        assert report.failed == 1 and outlet.receiver.got() == []
        # A name that answered a public address when checked and a private one now (DNS
        # rebinding) is refused at the connection, before anything is sent.
        real = socket.getaddrinfo
        answers = iter([[(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", 0))]])

        def rebinding(host: str, *args: object, **kwargs: object) -> object:
            if host == "hooks.example.com":
                return next(
                    answers, [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 0))]
                )
            return real(host, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(socket, "getaddrinfo", rebinding)
        checked_url("http://hooks.example.com/in", allow_private=False)  # public when added
        with pytest.raises(httpx.ConnectError, match="loopback or private"):
            guarded.post("http://hooks.example.com/in", content=b"{}")
    with session_scope(outlet.workspace.engine) as session:
        ((failed, _), *_) = deliveries.list_deliveries(session, failed_only=True)
        assert "LEADRANK_WEBHOOK_ALLOW_PRIVATE_URLS" in (failed.last_error or "")


def test_the_sending_job_is_queued_again_for_the_next_retry(outlet: Outlet) -> None:
    workspace = outlet.workspace
    subscribe(workspace, outlet.settings, f"{outlet.url}/in", "import.finished")
    ingest_people(workspace, outlet.folder / "in")
    with session_scope(workspace.engine) as session:
        (job,) = session.scalars(select(Job).where(Job.task == "deliver_outbox")).all()
        assert job.status == "queued" and job.run_after is None  # deferred with the change
        session.execute(delete(Job))  # as if a runner had taken it and now ran this
    outlet.receiver.fail_next = 1
    report = outlet.send()
    assert report.failed == 1 and report.next_due == outlet.clock.now + timedelta(
        seconds=SCHEDULE[0]
    )
    with session_scope(workspace.engine) as session:
        (job,) = session.scalars(select(Job).where(Job.task == "deliver_outbox")).all()
    assert job.status == "queued" and job.run_after == report.next_due


def test_deliveries_behind_a_receiver_down_for_longer_than_the_schedule_expire(
    outlet: Outlet,
) -> None:
    port = _free_port()
    subscribe(outlet.workspace, outlet.settings, f"http://127.0.0.1:{port}/in", "lead.created")
    ingest_people(outlet.workspace, outlet.folder / "in")  # 5 messages
    outlet.send()
    assert [status for status, _ in _statuses(outlet.workspace)] == ["pending"] * 5
    outlet.clock.advance(sum(SCHEDULE) + max(SCHEDULE) + 1)
    report = outlet.send()
    # The four never tried expire; the one tried goes on with its own schedule.
    assert report.dead == 4
    assert _statuses(outlet.workspace) == [("pending", 2)] + [("dead", 0)] * 4
    with session_scope(outlet.workspace.engine) as session:
        dead = deliveries.list_deliveries(session, failed_only=True)
        assert all("expired" in (d.last_error or "") for d, _ in dead if d.status == "dead")
