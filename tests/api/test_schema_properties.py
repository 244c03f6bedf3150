"""Property-based tests of the API against its own OpenAPI document: whatever schemathesis
sends, payloads that follow the schema and payloads that break it, no answer is a 500, and
every answer has a status and a shape the document describes."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import Workspace
from tests.server import Server

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_input_makes_a_server_error(
    start_server: Callable[..., Server], workspace: Workspace, mode: GenerationMode
) -> None:
    server = start_server()
    # SQLite gets the most examples; PostgreSQL a share, for what only it refuses (NUL text).
    examples = 80 if workspace.backend == "sqlite" else 40
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    sent: dict[str, int] = {}
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        # The same examples every run, so CI is reproducible.
        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def call(case: schemathesis.Case) -> None:
            sent[case.operation.path] = sent.get(case.operation.path, 0) + 1
            case.call_and_validate(base_url=server.url, checks=CHECKS)

        try:
            call()
        except Unsatisfiable:
            # An operation without parameters or body has nothing to get wrong.
            assert mode is GenerationMode.NEGATIVE and not list(operation.body)
    assert sent.get("/api/v1/scoring/score", 0) >= 20 and sent.get("/api/v1/score", 0) >= 20
