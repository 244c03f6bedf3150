"""A transaction PostgreSQL rolled back to settle a conflict with another (a deadlock between
two batches updating the same companies) is a 503 to send again, not a 500, whether the
driver raised it on a raw COPY or SQLAlchemy wrapped it."""

from __future__ import annotations

from collections.abc import Callable

import psycopg
from fastapi import FastAPI
from sqlalchemy.exc import OperationalError as WrappedOperationalError
from sqlalchemy.exc import ProgrammingError

from tests.server import Server


def _conflicting_routes(app: FastAPI) -> None:
    @app.get("/api/v1/test/deadlock")
    def deadlock() -> None:
        raise psycopg.errors.DeadlockDetected("deadlock detected")

    @app.get("/api/v1/test/serialization")
    def serialization() -> None:
        raise WrappedOperationalError(
            "UPDATE companies", {}, psycopg.errors.SerializationFailure("could not serialize")
        )

    @app.get("/api/v1/test/unique")
    def unique() -> None:
        raise psycopg.errors.UniqueViolation("duplicate key value violates unique constraint")

    @app.get("/api/v1/test/defect")
    def defect() -> None:
        raise ProgrammingError("SELECT", {}, psycopg.errors.UndefinedTable("no such table"))


def test_a_transaction_the_database_rolled_back_is_503_to_send_again(
    start_server: Callable[..., Server],
) -> None:
    client = start_server(edit=_conflicting_routes).client
    for path in ("/api/v1/test/deadlock", "/api/v1/test/serialization", "/api/v1/test/unique"):
        answer = client.get(path)
        assert answer.status_code == 503, answer.text
        assert answer.headers["retry-after"] == "1"
        assert "send this one again" in answer.json()["error"]["message"]
    assert client.get("/api/v1/test/defect").status_code == 500  # a defect stays a defect
