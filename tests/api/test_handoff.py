"""Connections handed to workers in turn, and a worker serving the connections it is handed."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from leadrank.api.handoff import HandedServer, hand


def _tcp_pair(listener: socket.socket) -> tuple[socket.socket, socket.socket]:
    """A connected client and its accepted server side."""
    client = socket.create_connection(listener.getsockname())
    accepted, _ = listener.accept()
    return client, accepted


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server


def test_connections_go_to_each_live_worker_in_turn(listener: socket.socket) -> None:
    pairs = [socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET) for _ in range(3)]
    ours = [a for a, _ in pairs]
    ours[1].close()  # that worker died: its turn passes to the next
    turn, received = 0, {0: 0, 2: 0}
    for _ in range(6):
        client, accepted = _tcp_pair(listener)
        with client, accepted:
            turn = hand(accepted, [ours[0], ours[1], ours[2]], turn)
    for index in received:
        theirs = pairs[index][1]
        theirs.setblocking(False)
        while True:
            try:
                _, fds, _, _ = socket.recv_fds(theirs, 1, 1)
            except BlockingIOError:
                break
            received[index] += len(fds)
            for fd in fds:
                socket.socket(fileno=fd).close()
    assert received == {0: 3, 2: 3}
    for a, b in pairs:
        a.close()
        b.close()


def test_no_live_worker_takes_nothing(listener: socket.socket) -> None:
    gone, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    theirs.close()
    client, accepted = _tcp_pair(listener)
    with client, accepted, gone:
        assert hand(accepted, [None, gone], 0) == -1


async def _hello(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = b"hello " + scope["path"].encode()
    length = [(b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": length})
    await send({"type": "http.response.body", "body": body})


def test_a_worker_serves_what_it_is_handed_and_stops_when_its_channel_closes(
    listener: socket.socket,
) -> None:
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    server = HandedServer(uvicorn.Config(_hello, log_level="warning", lifespan="off"), theirs)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive()
        time.sleep(0.02)
    client, accepted = _tcp_pair(listener)
    with accepted:  # the worker holds its own copy once handed
        assert hand(accepted, [ours], 0) == 0
    with client:
        client.sendall(b"GET /there HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        answer = b""
        while chunk := client.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200 OK") and answer.endswith(b"hello /there")
    ours.close()  # the main process is gone
    thread.join(timeout=10)
    assert not thread.is_alive() and theirs.fileno() == -1  # stopped, its channel closed
