"""A real leadrank API server on 127.0.0.1, in a thread of the test process, over the test's
own workspace: the fixtures `start_server` and `api` (registered for every test by the root
conftest), and helpers for the route tests of each domain."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from leadrank.api.http import CoalescingHttpToolsProtocol
from leadrank.app import create_app
from leadrank.config import Settings
from tests.conftest import Workspace


@dataclass
class Server:
    """A running server and a client for it."""

    url: str
    client: httpx.Client


def free_port() -> int:
    """A port of 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def start_server(workspace: Workspace) -> Iterator[Callable[..., Server]]:
    """Start a server with settings of the test's choosing (on its workspace), its app first
    changed by `edit` if given; stopped at the end of the test."""
    running: list[tuple[uvicorn.Server, threading.Thread, httpx.Client]] = []

    def start(edit: Callable[[FastAPI], None] | None = None, **overrides: object) -> Server:
        settings = Settings(database_url=workspace.url, api_access_log=False, **overrides)  # type: ignore[arg-type]
        port = free_port()
        app = create_app(settings)
        if edit is not None:
            edit(app)  # before the first request builds the middleware stack
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
            http=CoalescingHttpToolsProtocol,  # as `leadrank serve` runs it
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
        running.append((server, thread, client))
        return Server(f"http://127.0.0.1:{port}", client)

    yield start
    for server, thread, client in running:
        client.close()
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def api(start_server: Callable[..., Server]) -> Server:
    """A server with the default settings: the demo model serves."""
    return start_server()


def register_api_model(
    workspace: Workspace, data_dir: Path, *, seed: int = 1, extra_column: bool = False
) -> None:
    """Train a quick table model on generated API leads and register it as "api-leads"
    (with a custom feature "intent" when `extra_column`)."""
    from leadrank.db.engine import session_scope
    from leadrank.sample.api_leads import api_training_table
    from leadrank.training import registry
    from leadrank.training.fit import TrainOptions, fit_table

    frame, converted = api_training_table(rows=1_500, seed=8)
    if extra_column:
        frame = frame.with_columns((frame["form_fills"].fill_null(0) * 2).alias("intent"))
    options = TrainOptions(time_budget=0.0, folds=3, seed=seed)
    result = fit_table(frame, converted, target="converted", options=options)
    with session_scope(workspace.engine) as session:
        registry.register(
            session,
            bundle=result.bundle,
            name="api-leads",
            kind="table",
            target="converted",
            data_dir=data_dir,
        )
