"""Request ids made by the server: 32 hex digits, never the same twice, in this process or
in a process forked from it."""

from __future__ import annotations

import os
import re

from leadrank.api.middleware import _ids
from tests.server import Server


def test_ids_are_hex_and_unique_here_and_after_a_fork() -> None:
    made = [_ids.new() for _ in range(1000)]
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in made) and len(set(made)) == 1000
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # the child reports its next id and leaves at once
        os.write(write, _ids.new().encode())
        os._exit(0)
    os.close(write)
    theirs = os.read(read, 64).decode()
    os.close(read)
    os.waitpid(child, 0)
    ours = _ids.new()
    assert theirs[:16] != ours[:16] and theirs not in made


def test_answers_are_not_sniffed_and_api_answers_not_stored(api: Server) -> None:
    for answer in (
        api.client.get("/api/v1/leads"),
        api.client.post("/api/v1/score", json={"leads": [{"form_fills": 2}]}),
        api.client.get("/api/v1/leads/999999"),
        api.client.post("/api/v1/score", content=b"{not json"),
    ):
        assert answer.headers["x-content-type-options"] == "nosniff", answer.request.url
        assert answer.headers["cache-control"] == "no-store", answer.request.url
    docs = api.client.get("/docs")
    assert docs.headers["x-content-type-options"] == "nosniff"
    assert "no-store" not in docs.headers.get("cache-control", "")
