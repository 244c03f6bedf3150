"""Production mode as a user runs it, on PostgreSQL: `leadrank serve` (running no jobs) and two
`leadrank worker` processes. An uploaded file is imported, its leads are enriched by the
vendors (the local fakes) and scored, all by the workers; Instantly webhooks that arrive later
rescore the workspace. Every job runs once, and both workers take part."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from leadrank.connectors.instantly.fake import webhook_event
from leadrank.db.engine import session_scope
from leadrank.enrichment.providers.fake_vendors import KEYS, VENDORS, FakeVendors, serve
from leadrank.jobs.defer import defer
from leadrank.orm import EnrichmentAttempt, Job, Lead, ScoreRun
from tests.conftest import Workspace
from tests.server import free_port

SECRET = "whsec-production-0123456789"
PEOPLE = 40


@pytest.fixture
def system(workspace: Workspace, tmp_path: Path) -> Iterator[tuple[str, FakeVendors]]:
    """serve + two workers on the workspace's PostgreSQL, every vendor pointed at the fake."""
    if workspace.backend != "postgresql":
        pytest.skip("workers share PostgreSQL; the embedded default runs jobs in-process")
    fake = FakeVendors()
    with serve(fake) as vendors:
        env = {
            **os.environ,
            "LEADRANK_DATABASE_URL": workspace.url,
            "LEADRANK_DATA_DIR": str(tmp_path / "data"),
            "LEADRANK_RUN_JOBS": "false",  # the API only defers; the workers run
            "LEADRANK_INSTANTLY_WEBHOOK_SECRET": SECRET,
            "LEADRANK_ENRICHMENT_BASE_URLS": json.dumps(dict.fromkeys(VENDORS, vendors)),
            # Only what arrives sets work going here (a tick of a schedule would add some).
            "LEADRANK_SCHEDULE_RESCORE": "",
            "LEADRANK_SCHEDULE_ENRICHMENT_REFRESH": "",
            "LEADRANK_SCHEDULE_RETENTION": "",
            **{f"LEADRANK_{vendor.upper()}_API_KEY": KEYS[vendor] for vendor in VENDORS},
        }
        port = free_port()
        command = [sys.executable, "-m", "leadrank.cli"]
        processes = [
            _start([*command, "serve", "-p", str(port), "-w", "2"], env, tmp_path / "serve.log"),
            _start([*command, "worker", "-c", "2"], env, tmp_path / "worker-1.log"),
            _start([*command, "worker", "-c", "2"], env, tmp_path / "worker-2.log"),
        ]
        try:
            url = f"http://127.0.0.1:{port}"
            _wait(lambda: _ready(url), processes, "leadrank serve did not become ready")
            yield url, fake
        finally:
            for process in processes:  # as a process manager stops them
                process.send_signal(signal.SIGTERM)
            for process in processes:
                process.wait(timeout=60)
        # Stopped gracefully, each of them.
        assert [p.returncode for p in processes] == [0, 0, 0], [
            (tmp_path / name).read_text()[-2000:]
            for name in ("serve.log", "worker-1.log", "worker-2.log")
        ]


def test_serve_and_two_workers_ingest_enrich_score_rescore_and_share_the_work(
    workspace: Workspace, system: tuple[str, FakeVendors]
) -> None:
    url, vendors = system
    vendors.faults.add("apollo", "server_error", times=2)  # retried by the waterfall
    rows = ["email,first_name,last_name,company"] + [
        f"person{i}@company{i % 7}.com,Per{i},Son{i},Company {i % 7}" for i in range(PEOPLE)
    ]
    upload = httpx.post(
        f"{url}/api/v1/imports",
        files={"file": ("people.csv", "\n".join(rows).encode(), "text/csv")},
        data={"source": "crm", "kind": "leads"},
        timeout=30,
    )
    assert upload.status_code == 202, upload.text

    # import -> enrichment (the vendors) -> scoring, each queued by the one before.
    _wait(lambda: _done(workspace, "score_leads") >= 1, [], "the workspace was not scored")
    with session_scope(workspace.engine) as session:
        assert session.scalar(select(func.count()).select_from(Lead)) == PEOPLE
        providers = set(session.scalars(select(EnrichmentAttempt.provider).distinct()))
        assert {"builtin", "apollo", "hunter"} <= providers
        enriched = session.scalars(select(Lead).where(Lead.email == "person1@company1.com")).one()
        assert enriched.enrichment, "the lead carries the fields the vendors gave it"
        runs = session.scalar(select(func.count()).select_from(ScoreRun)) or 0
    assert vendors.calls_to("apollo"), "the workers called the vendors"

    # Webhooks as Instantly sends them: each lands, and the workspace is scored again.
    for kind in ("email_sent", "email_opened", "reply_received"):
        delivered = httpx.post(
            f"{url}/api/v1/webhooks/instantly",
            json=webhook_event(kind, lead_email="person1@company1.com"),
            headers={"X-Webhook-Secret": SECRET},
            timeout=30,
        )
        assert delivered.status_code == 200 and delivered.json()["events_created"] == 1
    _wait(lambda: _runs(workspace) > runs and _open(workspace) == 0, [], "no rescoring")
    lead = httpx.get(f"{url}/api/v1/leads/person1@company1.com", timeout=30).json()
    assert [e["event_type"] for e in lead["events"]][-1] == "email_replied"
    assert lead["scores"], "the lead's score history shows the runs"

    with session_scope(workspace.engine) as session:
        jobs = list(session.scalars(select(Job)))
    assert {job.status for job in jobs} == {"succeeded"}
    assert all(job.attempts == 1 for job in jobs), [(j.task, j.attempts) for j in jobs]
    assert {job.task for job in jobs} == {"import_file", "enrich_leads", "score_leads"}

    # Twenty enrichments of one lead each, deferred at once: the two workers split them.
    with session_scope(workspace.engine) as session:
        ids = list(session.scalars(select(Lead.id).limit(20)))
        shared = [defer(session, task="enrich_leads", arguments={"lead_ids": [i]}).id for i in ids]
    _wait(lambda: _open(workspace) == 0, [], "the jobs were not all run")
    with session_scope(workspace.engine) as session:
        jobs = list(session.scalars(select(Job).where(Job.id.in_(shared))))
    assert [(j.status, j.attempts) for j in jobs] == [("succeeded", 1)] * len(ids)
    workers = {j.worker for j in jobs}
    assert len(workers) == 2, workers  # host:pid of each worker process


def _start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/api/v1/health/ready", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def _wait(
    condition: Callable[[], Any],
    processes: list[subprocess.Popen[bytes]],
    message: str,
    seconds: float = 120,
) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert all(p.poll() is None for p in processes), "a process stopped"
        assert time.monotonic() < deadline, message
        time.sleep(0.2)


def _done(workspace: Workspace, task: str) -> int:
    with session_scope(workspace.engine) as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(Job)
                .where(Job.task == task, Job.status == "succeeded")
            )
            or 0
        )


def _open(workspace: Workspace) -> int:
    with session_scope(workspace.engine) as session:
        return (
            session.scalar(
                select(func.count()).select_from(Job).where(Job.status.in_(("queued", "running")))
            )
            or 0
        )


def _runs(workspace: Workspace) -> int:
    with session_scope(workspace.engine) as session:
        return session.scalar(select(func.count()).select_from(ScoreRun)) or 0
