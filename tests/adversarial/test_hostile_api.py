"""Generated hostile requests, on both databases: lead and event batches of any shape and
value (huge and non-finite numbers, control characters, formulas, far dates, deep nesting) and
lead-list queries of any parameters. No answer is a 5xx; an error is in the one shape; and a
batch that is taken keeps every record it carried."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.server import Server

SPECIAL_TEXT = [
    "9999-12-31",
    "0001-01-01T00:00:00Z",
    "1e400",
    "99999999999999999999",
    "NaN",
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.example","x")',
    "@SUM(A1:A2)",
    "\x1b[31mred",
    "%",
    "_",
    "ann@acme.com",
    "+12025550101",
    "²",
    "①",
    "x" * 5000,
    "José Peña",
    "\u202eevil",
]
FIELDS = [
    "email",
    "Email Address",
    "name",
    "first_name",
    "employees",
    "annual revenue",
    "company",
    "website",
    "phone",
    "title",
    "country",
    "owner",
    "event_type",
    "occurred_at",
    "event_id",
    "id",
    "linkedin",
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(SPECIAL_TEXT),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
records = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=20), values, max_size=8)
EXAMPLES = settings(
    # More for a longer hunt: LEADRANK_ADVERSARIAL_EXAMPLES=1000 make test
    max_examples=int(os.environ.get("LEADRANK_ADVERSARIAL_EXAMPLES", "60")),
    deadline=None,
    database=None,
    derandomize=True,  # the same requests every run
    suppress_health_check=list(HealthCheck),
)


def _no_server_error(answer: httpx.Response) -> None:
    assert answer.status_code < 500, (answer.request.url, answer.request.content[:500], answer.text)
    if answer.status_code >= 400:
        error = answer.json()["error"]
        assert error["status"] == answer.status_code and error["message"]


def _post(server: Server, path: str, body: dict[str, Any]) -> httpx.Response:
    # As Python writes JSON: NaN and Infinity go as the literals some clients send.
    content = json.dumps(body, allow_nan=True)
    return server.client.post(path, content=content, headers={"content-type": "application/json"})


@pytest.mark.parametrize("kind", ["leads", "events"])
def test_generated_batches_never_make_a_server_error_or_lose_a_record(
    start_server: Callable[..., Server], kind: str
) -> None:
    server = start_server()

    @given(
        batch=st.lists(records, min_size=1, max_size=5), source=st.sampled_from(["api", "x" * 100])
    )
    @EXAMPLES
    def send(batch: list[dict[str, Any]], source: str) -> None:
        answer = _post(server, f"/api/v1/{kind}/batch", {"source": source, kind: batch})
        _no_server_error(answer)
        if answer.status_code == 200:
            result = answer.json()
            assert result["records"] == len(batch)
            kept = result["new"] + result["already_there"] + result["retried"]
            assert kept == len(batch)  # every record is in bronze

    send()


def _forged_cursor(place: Any) -> str:
    text = json.dumps(place, allow_nan=True).encode()
    return base64.urlsafe_b64encode(text).decode().rstrip("=")


queries = st.fixed_dictionaries(
    {},
    optional={
        "grade": st.text(max_size=6) | st.sampled_from(["A", "a,B", "F"]),
        "min_score": st.sampled_from(["nan", "inf", "-1", "1e400", "50", "x"])
        | st.text(max_size=6),
        "max_score": st.floats(allow_nan=True, allow_infinity=True).map(str),
        "source": st.text(max_size=120),
        "country": st.text(max_size=3),
        "seniority": st.text(max_size=20),
        "owner": st.text(max_size=20) | st.sampled_from(SPECIAL_TEXT),
        "created_after": st.sampled_from(["9999-12-31", "0001-01-01", "2026-13-45", "x"])
        | st.text(max_size=30),
        "q": st.text(max_size=30) | st.sampled_from(SPECIAL_TEXT),
        "sort": st.sampled_from(["score", "fit", "name", "updated", "created", "nope"]),
        "limit": st.integers(min_value=-5, max_value=10**20).map(str),
        "cursor": st.text(max_size=40)
        | st.builds(
            _forged_cursor,
            st.fixed_dictionaries(
                {
                    "sort": st.sampled_from(["score", "name", "updated", "fit"]),
                    "key": scalars,
                    "id": st.integers(min_value=-(2**70), max_value=2**70) | st.floats(),
                }
            ),
        ),
    },
)


def test_generated_lead_list_queries_never_make_a_server_error(
    start_server: Callable[..., Server],
) -> None:
    server = start_server()
    seeded = _post(
        server,
        "/api/v1/leads/batch",
        {
            "source": "api",
            "leads": [{"email": f"p{i}@acme{i}.com", "name": f"P {i}"} for i in range(5)],
        },
    )
    assert seeded.status_code == 200

    @given(params=queries)
    @EXAMPLES
    def ask(params: dict[str, str]) -> None:
        _no_server_error(server.client.get("/api/v1/leads", params=params))

    ask()


def test_generated_lead_references_never_make_a_server_error(
    start_server: Callable[..., Server],
) -> None:
    server = start_server()

    @given(
        ref=st.text(min_size=1, max_size=30)
        | st.integers(min_value=-(2**70), max_value=2**70).map(str)
    )
    @EXAMPLES
    def ask(ref: str) -> None:
        if ref in {".", ".."}:
            return  # a path segment clients resolve away
        quoted = quote(ref, safe="")
        _no_server_error(server.client.get(f"/api/v1/leads/{quoted}"))

    ask()
