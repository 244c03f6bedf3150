"""HTTP a careless or hostile client can send: a body that stops arriving is answered 408
and its connection closed, instead of holding it until the client gives up."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest

from tests.server import Server

PATHS = ["/api/v1/score", "/api/v1/leads/batch", "/api/v1/events/batch"]


def _send_part_of_a_body(server: Server, path: str) -> tuple[bytes, float]:
    """Declare 10 bytes, send 2 and wait: what the server answers, and after how long."""
    address = urlsplit(server.url)
    with socket.create_connection((address.hostname, address.port), timeout=20) as client:
        started = time.monotonic()
        client.sendall(
            f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            "Content-Length: 10\r\n\r\n{}".encode()
        )
        answer = b""
        while chunk := client.recv(65536):  # until the server closes the connection
            answer += chunk
        return answer, time.monotonic() - started


@pytest.mark.parametrize("path", PATHS)
def test_a_body_that_stops_arriving_is_answered_408_and_the_connection_closed(
    start_server: Callable[..., Server], path: str
) -> None:
    server = start_server(api_body_timeout_seconds=0.5)
    answer, waited = _send_part_of_a_body(server, path)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408"), answer
    assert b"connection: close" in head.lower()
    error = json.loads(body)["error"]
    assert error["code"] == "request_timeout" and "stopped arriving" in error["message"]
    assert 0.4 < waited < 10
    # The server goes on answering everyone else.
    assert server.client.get("/api/v1/leads").status_code == 200


def test_a_body_sent_slowly_but_steadily_is_read(start_server: Callable[..., Server]) -> None:
    server = start_server(api_body_timeout_seconds=0.5)
    body = json.dumps({"leads": [{"email": "ann@acme.com", "form_fills": 2}]}).encode()
    address = urlsplit(server.url)
    with socket.create_connection((address.hostname, address.port), timeout=20) as client:
        client.sendall(
            b"POST /api/v1/score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
        )
        for start in range(0, len(body), 8):  # each piece well within the time allowed
            client.sendall(body[start : start + 8])
            time.sleep(0.1)
        answer = client.recv(65536)
    assert answer.startswith(b"HTTP/1.1 200"), answer
