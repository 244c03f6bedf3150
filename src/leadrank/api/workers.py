"""Worker processes for `leadrank serve`, each on its own SO_REUSEPORT socket.

With one shared listening socket, whichever worker wakes first takes a new connection, and
kept-alive connections pile up on one worker while the other idles: at 16 connections that
halved throughput. With a socket per worker, the kernel spreads connections evenly. A worker
that dies is started again; Ctrl-C or SIGTERM stops them all gracefully.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import tempfile
import time
from multiprocessing.context import SpawnContext
from multiprocessing.process import BaseProcess
from types import FrameType

APP = "leadrank.app:create_app"
_RESTART_PAUSE = 1.0


def run(*, host: str, port: int, workers: int) -> None:
    """Serve on `workers` processes until interrupted."""
    if workers == 1:
        _serve(host, port)
        return
    # Each worker writes its metrics here and /metrics adds them up; a fresh folder per run.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="leadrank-metrics-")
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: no inherited state
    processes: list[BaseProcess] = []
    stopping = False

    def stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for process in processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes the requests under way

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        for _ in range(workers):
            processes.append(_start(context, host, port))
        while not stopping:
            time.sleep(_RESTART_PAUSE)
            for index, process in enumerate(processes):
                if not process.is_alive() and not stopping:
                    processes[index] = _start(context, host, port)
        for process in processes:
            process.join(timeout=30)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _start(context: SpawnContext, host: str, port: int) -> BaseProcess:
    process = context.Process(target=_serve, args=(host, port), daemon=False)
    process.start()
    return process


def _serve(host: str, port: int) -> None:
    """One worker: its own socket on the shared port, one uvicorn server."""
    import uvicorn

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    config = uvicorn.Config(
        APP,
        factory=True,
        access_log=False,  # leadrank logs each request itself, with its id
        log_level="warning",
        proxy_headers=False,
    )
    uvicorn.Server(config).run(sockets=[sock])
