"""A database that goes away under a running server: answers are 503 with Retry-After in the
one error shape, never a 500, and the server recovers by itself when the database is back."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import Workspace
from tests.server import Server


def test_an_unreachable_database_is_a_503_until_it_is_back(
    workspace: Workspace, start_server: Callable[..., Server]
) -> None:
    if workspace.backend != "postgresql":
        return  # a SQLite file cannot be taken away from a process that has it open
    client = start_server().client
    assert client.get("/api/v1/leads").status_code == 200
    url = make_url(workspace.url)
    name = url.database
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
        answer = client.get("/api/v1/leads", headers={"X-Request-ID": "db-down-1"})
        assert answer.status_code == 503, answer.text
        assert answer.headers["retry-after"] == "1"
        error = answer.json()["error"]
        assert (error["code"], error["request_id"]) == ("unavailable", "db-down-1")
        assert "try again" in error["message"]
        assert client.get("/api/v1/health/ready").status_code == 503
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        admin.dispose()
    assert client.get("/api/v1/leads").status_code == 200
