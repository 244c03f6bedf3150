"""Requests a careless or hostile client sends, each answered with a 4xx in the one error
shape, on both databases, and the connection kept: never a 500."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

import pytest

from tests.server import Server

SECRET = "a-webhook-secret-of-32-characters!"


def _cursor(place: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(place).encode()).decode().rstrip("=")


@pytest.fixture
def server(start_server: Callable[..., Server]) -> Server:
    return start_server(instantly_webhook_secret=SECRET)


def _refused(answer: object, *statuses: int) -> dict[str, object]:
    import httpx

    assert isinstance(answer, httpx.Response)
    assert answer.status_code in statuses, (answer.request.url, answer.status_code, answer.text)
    error = answer.json()["error"]
    assert error["status"] == answer.status_code and error["message"]
    return dict(error)


@pytest.mark.parametrize("employees", [1e21, 99999999999999999999, "1e400", "9" * 400])
def test_a_number_no_company_has_is_kept_as_sent_and_flagged(
    server: Server, employees: object
) -> None:
    # The batch goes the way a file goes: the record is kept, the cell left unparsed and
    # flagged on the lead, and the rest of the record loads.
    record = {"email": "ann@acme.com", "name": "Ann Lee", "employees": employees}
    answer = server.client.post("/api/v1/leads/batch", json={"source": "api", "leads": [record]})
    assert answer.status_code == 200, answer.text
    assert answer.json()["leads_created"] == 1
    lead = server.client.get("/api/v1/leads/ann@acme.com").json()
    assert lead["full_name"] == "Ann Lee" and lead["company"]["employees"] is None
    assert "employees_unparsed" in lead["issues"]


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_in_a_batch_are_422(server: Server, number: str) -> None:
    record = '{"email": "ann@acme.com", "employees": NUMBER}'.replace("NUMBER", number)
    body = '{"source": "api", "leads": [RECORD]}'.replace("RECORD", record)
    answer = server.client.post(
        "/api/v1/leads/batch", content=body, headers={"content-type": "application/json"}
    )
    _refused(answer, 422)
    event = (
        '{"source": "api", "events": [{"email": "ann@acme.com", "event_type": "email_opened",'
        ' "occurred_at": "2026-11-30T10:00:00Z", "value": NUMBER}]}'
    ).replace("NUMBER", number)
    answer = server.client.post(
        "/api/v1/events/batch", content=event, headers={"content-type": "application/json"}
    )
    _refused(answer, 400, 422)


@pytest.mark.parametrize(
    "cursor",
    [
        _cursor({"sort": "score", "key": 50.0, "id": 2**63}),
        _cursor({"sort": "score", "key": 50.0, "id": 1e999}),
        _cursor({"sort": "score", "key": 1e999, "id": 5}),
        _cursor({"sort": "score", "key": "NaN", "id": 5}),
        _cursor({"sort": "score", "key": 50.0, "id": -1}),
        _cursor({"sort": "score", "key": [1], "id": 5}),
        _cursor({"sort": "updated", "key": "99999-01-01", "id": 5}),
        "%%%",
    ],
)
def test_forged_cursors_are_400(server: Server, cursor: str) -> None:
    answer = server.client.get("/api/v1/leads", params={"cursor": cursor})
    _refused(answer, 400)


@pytest.mark.parametrize(
    "ref", ["99999999999999999999", "9223372036854775808", "²", "①", "١٢", "0", "-1", "%00"]
)
def test_odd_lead_references_are_404(server: Server, ref: str) -> None:
    answer = server.client.get(f"/api/v1/leads/{ref}")
    _refused(answer, 404, 422)


def test_deeply_nested_json_is_refused(server: Server) -> None:
    deep = '{"a":' * 5000 + "1" + "}" * 5000
    for path in ("/api/v1/webhooks/instantly", "/api/v1/leads/batch", "/api/v1/score"):
        answer = server.client.post(
            path,
            content=deep,
            headers={"content-type": "application/json", "X-Webhook-Secret": SECRET},
        )
        _refused(answer, 400, 422)
    listed = "[" * 5000 + "]" * 5000
    answer = server.client.post(
        "/api/v1/webhooks/instantly",
        content=listed,
        headers={"content-type": "application/json", "X-Webhook-Secret": SECRET},
    )
    _refused(answer, 400, 422)


def test_a_record_nested_600_levels_deep_is_422(server: Server) -> None:
    deep = '{"email": "ann@acme.com", "x": ' + '{"a": ' * 600 + "1" + "}" * 600 + "}"
    body = '{"source": "api", "leads": [RECORD]}'.replace("RECORD", deep)
    answer = server.client.post(
        "/api/v1/leads/batch", content=body, headers={"content-type": "application/json"}
    )
    error = _refused(answer, 422)
    assert "nested more than 64 levels" in str(error["message"])


@pytest.mark.parametrize("record", [{}, {"email": {}}, {"a": {"b": {}}}])
def test_a_record_that_names_no_field_is_422(server: Server, record: dict[str, object]) -> None:
    answer = server.client.post("/api/v1/leads/batch", json={"source": "api", "leads": [record]})
    error = _refused(answer, 422)
    assert "names no field" in str(error["message"])
