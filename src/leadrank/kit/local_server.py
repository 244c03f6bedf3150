"""Serving an ASGI app on 127.0.0.1 in a background thread: the local fakes of vendors and
receivers that tests and the demo talk to over real HTTP."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

START_SECONDS = 20.0


@contextmanager
def serve_in_thread(app: Any, *, name: str, port: int = 0) -> Iterator[int]:
    """Run `app` on 127.0.0.1 (on `port`, or a free one) until the block ends; yields the
    port. A port given again after the block ended serves again there (a receiver that was
    down comes back at the same address)."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    bound = listener.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    )
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [listener]}, daemon=True, name=name
    )
    thread.start()
    deadline = time.monotonic() + START_SECONDS
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            listener.close()
            raise RuntimeError(f"the local {name} server did not start")
        time.sleep(0.01)
    try:
        yield bound
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()
