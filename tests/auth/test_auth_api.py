"""API keys: made and revoked from the CLI, stored hashed, required once one exists, checked
for role and rate."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from leadrank.auth.guard import Guard
from leadrank.auth.keys import Principal
from leadrank.db.engine import session_scope
from leadrank.orm import ApiKey
from tests.conftest import CliResult, Workspace
from tests.server import Server

LEADS = {"leads": [{"form_fills": 2, "seniority_level": "vp"}]}


def _new_key(cli: Callable[..., CliResult], *args: str) -> str:
    made = cli("keys", "create", *args)
    assert made.exit_code == 0, made.stderr
    key = made.stdout.strip().splitlines()[-1]
    assert key.startswith("lr_") and " " not in key  # alone on its last line
    return key


def test_keys_are_required_once_one_exists(
    workspace: Workspace, cli: Callable[..., CliResult], start_server: Callable[..., Server]
) -> None:
    scorer = _new_key(cli, "--role", "scorer", "--name", "web forms")
    reader = _new_key(cli, "--role", "reader")
    with session_scope(workspace.engine) as session:
        stored = session.scalars(select(ApiKey)).all()
    assert len(stored) == 2 and all(scorer not in (k.key_hash, k.prefix) for k in stored)
    listed = cli("keys", "list")
    assert (
        "web forms" in listed.stdout and "scorer" in listed.stdout and scorer not in listed.stdout
    )

    server = start_server()
    url = "/api/v1/scoring/score"
    anonymous = server.client.post(url, json=LEADS)
    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"] == "Bearer"
    assert "X-API-Key" in anonymous.json()["error"]["message"]
    wrong = server.client.post(url, json=LEADS, headers={"Authorization": "Bearer lr_00000000_x"})
    assert wrong.status_code == 401
    as_reader = server.client.post(url, json=LEADS, headers={"X-API-Key": reader})
    assert as_reader.status_code == 403 and "scorer" in as_reader.json()["error"]["message"]
    bearer = server.client.post(url, json=LEADS, headers={"Authorization": f"Bearer {scorer}"})
    header = server.client.post(url, json=LEADS, headers={"X-API-Key": scorer})
    assert bearer.status_code == header.status_code == 200
    assert server.client.get("/api/v1/health/ready").status_code == 200  # probes need no key

    prefix = scorer.split("_")[1]
    assert cli("keys", "revoke", prefix).exit_code == 0
    later = start_server()  # a new process: nothing remembered
    revoked = later.client.post(url, json=LEADS, headers={"X-API-Key": scorer})
    assert revoked.status_code == 401 and "revoked" in revoked.json()["error"]["message"]
    assert cli("keys", "revoke", "nope").exit_code == 1
    assert "not one of" in cli("keys", "create", "--role", "owner").stderr


def test_a_key_over_its_rate_waits(
    cli: Callable[..., CliResult], start_server: Callable[..., Server]
) -> None:
    slow = _new_key(cli, "--role", "scorer", "--rate-limit", "6")  # one request in ten seconds
    server = start_server()
    headers = {"X-API-Key": slow}
    first = server.client.post("/api/v1/score", json=LEADS, headers=headers)
    second = server.client.post("/api/v1/score", json=LEADS, headers=headers)
    assert first.status_code == 200 and second.status_code == 429
    assert 1 <= int(second.headers["retry-after"]) <= 10
    assert second.json()["error"]["code"] == "rate_limited"


def test_junk_keys_cost_no_memory_and_real_ones_are_bounded(
    workspace: Workspace, cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    from leadrank.auth import guard as guard_module
    from leadrank.errors import Unauthorized

    keys = [cli("keys", "create", "--role", "scorer").stdout.split()[-1] for _ in range(4)]
    guard = Guard(engine=workspace.engine)

    def ask(key: str) -> Principal:
        request = type(
            "Request", (), {"headers": {"x-api-key": key}, "state": type("S", (), {})()}
        )()
        return guard.check(request, ("scorer",))  # type: ignore[arg-type]

    for number in range(300):
        with pytest.raises(Unauthorized):
            ask(f"junk-{number}")
    assert len(guard._known) == 0, "an unknown key is never remembered"
    monkeypatch.setattr(guard_module, "CACHE_KEYS", 3)
    for key in keys:
        assert ask(key).role == "scorer"
    assert len(guard._known) == 3, "the least recently used real key goes first"
    assert ask(keys[0]).role == "scorer", "a key that went is looked up again"
    guard.close()
