"""Worker processes for `leadrank serve`, each on its own SO_REUSEPORT socket.

With one shared listening socket, whichever worker wakes first takes a new connection, and
kept-alive connections pile up on one worker while the other idles: at 16 connections that
halved throughput. With a socket per worker, the kernel spreads connections evenly. A worker
that dies is started again; Ctrl-C or SIGTERM stops them all gracefully.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import socket
import tempfile
import time
from multiprocessing.context import SpawnContext
from multiprocessing.process import BaseProcess
from types import FrameType

APP = "leadrank.app:create_app"
_RESTART_PAUSE = 1.0
_FAILED_START = 10.0  # a worker that dies this soon will not do better when started again


def run(*, host: str, port: int, workers: int) -> None:
    """Serve on `workers` processes until interrupted."""
    if workers == 1:
        _serve(host, port)
        return
    # Each worker writes its metrics here and /metrics adds them up; a fresh folder per run.
    metrics_dir = tempfile.mkdtemp(prefix="leadrank-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
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
    started: list[float] = []
    try:
        for _ in range(workers):
            processes.append(_start(context, host, port))
            started.append(time.monotonic())
        while not stopping:
            time.sleep(_RESTART_PAUSE)
            for index, process in enumerate(processes):
                if process.is_alive() or stopping:
                    continue
                if time.monotonic() - started[index] < _FAILED_START:
                    stop(signal.SIGTERM, None)
                    raise SystemExit(
                        f"a worker stopped {_FAILED_START:g} s after it started; see above"
                    )
                processes[index], started[index] = _start(context, host, port), time.monotonic()
        for process in processes:
            process.join(timeout=30)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        shutil.rmtree(metrics_dir, ignore_errors=True)


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
    from leadrank.api.http import CoalescingHttpToolsProtocol

    config = uvicorn.Config(
        APP,
        factory=True,
        http=CoalescingHttpToolsProtocol,
        access_log=False,  # leadrank logs each request itself, with its id
        log_level="warning",
        proxy_headers=False,
    )
    uvicorn.Server(config).run(sockets=[sock])
