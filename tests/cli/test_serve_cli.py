"""`leadrank serve` as a user starts it: a real process with two workers on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx

from leadrank.db.engine import session_scope
from leadrank.orm.scoring import ModelVersion
from tests.conftest import CliResult, Workspace
from tests.server import free_port, register_api_model


def test_serve_answers_and_stops_cleanly(workspace: Workspace, tmp_path: Path) -> None:
    if workspace.backend != "sqlite":
        return  # the same process on PostgreSQL adds nothing here
    port = free_port()
    env = {
        **os.environ,
        "LEADRANK_DATABASE_URL": workspace.url,
        "LEADRANK_DATA_DIR": str(tmp_path),
        "LEADRANK_API_MODEL_CHECK_SECONDS": "0.5",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "leadrank.cli", "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/api/v1/health/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "leadrank serve did not become ready"
            time.sleep(0.2)
        for _ in range(6):  # on either worker: each has its own socket on the port
            answer = httpx.post(
                f"{url}/api/v1/score", json={"leads": [{"form_fills": 2}]}, timeout=10
            )
            assert answer.status_code == 200 and answer.json()["model_version"] == "demo:v1"
        # The workers' metrics add up at /metrics, whichever worker answers it; another
        # worker's numbers may be up to a second old.
        deadline = time.monotonic() + 10
        while (counted := _scored_requests(httpx.get(f"{url}/metrics", timeout=10).text)) < 6:
            assert time.monotonic() < deadline, f"{counted} of 6 requests counted"
            time.sleep(0.2)
        assert counted == 6
        # A model trained now is served by both workers within seconds, without a restart:
        # each new connection goes to the next worker, so six in a row cover both.
        register_api_model(workspace, tmp_path)
        deadline, in_a_row = time.monotonic() + 30, 0
        while in_a_row < 6:
            assert time.monotonic() < deadline, "a worker kept serving the demo model"
            answer = httpx.post(f"{url}/api/v1/score", json={"leads": [{"form_fills": 2}]})
            fresh = answer.status_code == 200 and answer.json()["model_version"] == "api-leads:v1"
            in_a_row = in_a_row + 1 if fresh else 0
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert "no authentication: this machine only" in stderr
    # One JSON line per request, with its id and no one's details.
    assert '"path": "/api/v1/score"' in stderr and '"request_id"' in stderr


def _scored_requests(metrics: str) -> float:
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("leadrank_http_requests_total{")
        and 'route="/api/v1/score"' in line
        and 'status="200"' in line
    )


def test_serve_refuses_to_listen_beyond_this_machine(cli: Callable[..., CliResult]) -> None:
    refused = cli("serve", "--host", "0.0.0.0")
    assert refused.exit_code == 1 and "only listens on this machine" in refused.stderr


def test_serve_stops_when_its_workers_cannot_start(workspace: Workspace, tmp_path: Path) -> None:
    if workspace.backend != "sqlite":
        return
    # The active model's stored files are unreadable: each worker fails as its app loads it
    # (the main process only brings the schema to head and looks for keys).
    now = datetime.now(UTC)
    with session_scope(workspace.engine) as session:
        session.add(
            ModelVersion(
                name="broken", version=1, stage="active", kind="table", algorithm="lightgbm",
                target="converted", label=None, metrics={}, data_hash="0" * 64,
                artifact=b"not a model", path=None, created_at=now, stage_changed_at=now,
            )
        )  # fmt: skip
    env = {
        **os.environ,
        "LEADRANK_DATABASE_URL": workspace.url,
        "LEADRANK_DATA_DIR": str(tmp_path),
        "LEADRANK_API_MODEL": "broken",
    }
    finished = subprocess.run(
        [sys.executable, "-m", "leadrank.cli", "serve", "--port", str(free_port()), "-w", "2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode != 0
    assert "a worker stopped" in finished.stderr


def test_serve_says_when_its_port_is_taken(workspace: Workspace, tmp_path: Path) -> None:
    if workspace.backend != "sqlite":
        return
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {
            **os.environ,
            "LEADRANK_DATABASE_URL": workspace.url,
            "LEADRANK_DATA_DIR": str(tmp_path),
        }
        for workers in ("1", "2"):
            finished = subprocess.run(
                [sys.executable, "-m", "leadrank.cli", "serve", "--port", str(port), "-w", workers],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert finished.returncode != 0
            assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in finished.stderr
