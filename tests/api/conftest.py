"""A real leadrank API server on 127.0.0.1, in a thread of the test process, over the test's
own workspace."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest
import uvicorn

from leadrank.app import create_app
from leadrank.config import Settings
from tests.conftest import Workspace


@dataclass
class Server:
    """A running server and a client for it."""

    url: str
    client: httpx.Client


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def start_server(workspace: Workspace) -> Iterator[Callable[..., Server]]:
    """Start a server with settings of the test's choosing (on its workspace); stopped at the
    end of the test."""
    running: list[tuple[uvicorn.Server, threading.Thread, httpx.Client]] = []

    def start(**overrides: object) -> Server:
        settings = Settings(database_url=workspace.url, api_access_log=False, **overrides)  # type: ignore[arg-type]
        port = _free_port()
        config = uvicorn.Config(
            create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
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
