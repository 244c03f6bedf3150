"""The coalescing protocol: a turn's writes leave together, closing sends what waits first,
and a real server behind it answers kept-alive, closing and large requests in full."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn

from leadrank.api.http import CoalescingHttpToolsProtocol, CoalescingTransport
from tests.server import free_port


class _Recorded:
    """A transport that keeps what it is asked to do."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def writelines(self, data: list[bytes]) -> None:
        self.calls.append(("writelines", list(data)))

    def close(self) -> None:
        self.calls.append(("close", None))

    def is_closing(self) -> bool:
        return any(name == "close" for name, _ in self.calls)

    def get_extra_info(self, name: str) -> str:
        return f"info:{name}"


def test_one_turns_writes_leave_as_one_call() -> None:
    async def scenario() -> list[tuple[str, Any]]:
        recorded = _Recorded()
        transport = CoalescingTransport(recorded, asyncio.get_running_loop())  # type: ignore[arg-type]
        transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
        transport.write(b"body")
        assert recorded.calls == []  # nothing leaves before the turn ends
        await asyncio.sleep(0)
        transport.write(b"next")
        transport.close()  # what waits goes first
        transport.write(b"too late")
        await asyncio.sleep(0)
        assert transport.get_extra_info("peername") == "info:peername"
        return recorded.calls

    assert asyncio.run(scenario()) == [
        ("writelines", [b"HTTP/1.1 200 OK\r\n\r\n", b"body"]),
        ("writelines", [b"next"]),
        ("close", None),
    ]


async def _echo(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answers with the request body, doubled, in two body messages."""
    if scope["type"] != "http":
        return
    body, more = b"", True
    while more:
        message = await receive()
        body, more = body + message.get("body", b""), message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body, "more_body": True})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture
def server() -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(
        _echo, host="127.0.0.1", port=port, http=CoalescingHttpToolsProtocol, log_level="warning"
    )
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started:
        assert time.monotonic() < deadline and thread.is_alive()
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=10)


def test_a_real_server_answers_in_full(server: str) -> None:
    with httpx.Client(base_url=server) as client:
        for size in (1, 10, 3_000_000):  # kept alive across answers, small and large
            body = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
            answer = client.post("/", content=body)
            assert answer.status_code == 200 and answer.content == body + body
    closing = httpx.post(f"{server}/", content=b"bye", headers={"connection": "close"})
    assert closing.content == b"byebye" and closing.headers["connection"] == "close"
    host, port = server.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as raw:  # two requests in one send
        one = b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\n"
        raw.sendall(one + b"ab" + one + b"cd")
        received = b""
        while received.count(b"\r\n0\r\n\r\n") < 2:
            chunk = raw.recv(65536)
            assert chunk, received
            received += chunk
    assert received.count(b"HTTP/1.1 200 OK") == 2
    first, second = received.split(b"HTTP/1.1 200 OK")[1:]  # in order, each whole
    assert first.endswith(b"2\r\nab\r\n2\r\nab\r\n0\r\n\r\n")
    assert second.endswith(b"2\r\ncd\r\n2\r\ncd\r\n0\r\n\r\n")
