"""Worker processes for `leadrank serve`.

The main process listens and hands each accepted connection to the next live worker in
turn (`handoff`), so connections spread evenly: with a SO_REUSEPORT socket per worker the
kernel's hash put all 4 of a client's kept-alive connections on one worker in most runs.
A worker that dies is started again; Ctrl-C or SIGTERM stops them all gracefully.
"""

from __future__ import annotations

import multiprocessing
import os
import selectors
import shutil
import signal
import socket
import tempfile
import time
from multiprocessing.context import SpawnContext
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import Any

import uvicorn

from leadrank.api import handoff
from leadrank.api.siblings import share_with_siblings
from leadrank.config import get_settings

_RESTART_PAUSE = 1.0
_FAILED_START = 10.0  # a worker that dies this soon will not do better when started again
_BACKLOG = 2048  # uvicorn's own default


def run(*, app: str, host: str, port: int, workers: int) -> None:
    """Serve the app that the factory `app` ("module:function") makes, on `workers` processes,
    until interrupted."""
    if workers == 1:
        _serve(app, host, port)
        return
    listener = _listen(host, port)  # before any worker: a port in use fails here, at once
    # Each worker writes its metrics here and /metrics adds them up; a fresh folder per run.
    metrics_dir = tempfile.mkdtemp(prefix="leadrank-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: no inherited state
    processes: list[BaseProcess] = []
    channels: list[socket.socket | None] = []
    stopping = False

    def stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for process in processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes the requests under way

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    started: list[float] = []
    turn = 0
    try:
        # One flag per worker, set while it scores: large requests are split only when the
        # others are idle (scoring/online/split.py).
        busy = context.RawArray("b", workers)
        for index in range(workers):
            process, ours = _start(context, app, busy, index)
            processes.append(process)
            channels.append(ours)
            started.append(time.monotonic())
        with selectors.DefaultSelector() as selector:
            selector.register(listener, selectors.EVENT_READ)
            while not stopping:
                if selector.select(timeout=_RESTART_PAUSE):
                    turn = _hand_all(listener, channels, turn)
                for index, process in enumerate(processes):
                    if process.is_alive() or stopping:
                        continue
                    if time.monotonic() - started[index] < _FAILED_START:
                        stop(signal.SIGTERM, None)
                        raise SystemExit(
                            f"a worker stopped {_FAILED_START:g} s after it started; see above"
                        )
                    _close(channels[index])
                    busy[index] = 0
                    processes[index], channels[index] = _start(context, app, busy, index)
                    started[index] = time.monotonic()
        for process in processes:
            process.join(timeout=30)
    finally:
        listener.close()
        for channel in channels:
            _close(channel)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        shutil.rmtree(metrics_dir, ignore_errors=True)


def _listen(host: str, port: int) -> socket.socket:
    """The listening socket; a clear error when the address is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as exc:
        listener.close()
        raise SystemExit(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    listener.listen(_BACKLOG)
    listener.setblocking(False)
    return listener


def _hand_all(listener: socket.socket, channels: list[socket.socket | None], turn: int) -> int:
    """Accept every waiting connection and hand each to a worker; the next worker's turn."""
    while True:
        try:
            connection, _ = listener.accept()
        except (BlockingIOError, InterruptedError):
            return turn
        except OSError:  # the client gave up before it was accepted, or out of files
            return turn
        with connection:  # the worker holds its own copy once handed
            turn = max(0, handoff.hand(connection, channels, turn))


def _start(
    context: SpawnContext, app: str, busy: Any, index: int
) -> tuple[BaseProcess, socket.socket]:
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    process = context.Process(target=_serve_handed, args=(app, theirs, busy, index), daemon=False)
    process.start()
    theirs.close()
    return process, ours


def _close(channel: socket.socket | None) -> None:
    if channel is not None:
        channel.close()


def _config(app: str) -> uvicorn.Config:
    from leadrank.api.http import CoalescingHttpToolsProtocol

    # Behind a TLS-terminating proxy, only the proxies named say who the client is and that
    # it came over HTTPS (the web app's cookies are Secure then, and sign-in slow-downs count
    # per real client rather than per proxy).
    trusted = get_settings().api_forwarded_allow_ips
    return uvicorn.Config(
        app,
        factory=True,
        http=CoalescingHttpToolsProtocol,
        access_log=False,  # leadrank logs each request itself, with its id
        # uvicorn's own lines (a traceback of an error, which may quote a record) go through
        # leadrank's logging, which masks them, not through uvicorn's plain-text handler.
        log_config=None,
        log_level="warning",
        proxy_headers=bool(trusted),
        forwarded_allow_ips=",".join(trusted) if trusted else None,
    )


def _serve_handed(app: str, channel: socket.socket, busy: Any, index: int) -> None:
    """One worker: the connections the main process hands it, one uvicorn server."""
    share_with_siblings(busy, index)
    handoff.HandedServer(_config(app), channel).run()


def _serve(app: str, host: str, port: int) -> None:
    """The only worker: its own socket, one uvicorn server."""
    listener = _listen(host, port)
    listener.setblocking(True)
    uvicorn.Server(_config(app)).run(sockets=[listener])
