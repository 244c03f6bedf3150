"""The webhook receiver against its own OpenAPI description: whatever schemathesis sends, with
the secret, no answer is a 5xx and every answer is one the document describes. Without a
secret the route is not part of the document (it answers 503 until configured)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.connectors.test_webhooks import PATH, SECRET
from tests.server import Server

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


def test_the_route_is_documented_only_when_configured(
    start_server: Callable[..., Server],
) -> None:
    off = start_server().client.get("/openapi.json").json()
    on = start_server(instantly_webhook_secret=SECRET).client.get("/openapi.json").json()
    assert PATH not in off["paths"]
    assert set(on["paths"][PATH]["post"]["responses"]) == {"200", "400", "401", "413", "422", "503"}


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_delivery_makes_a_server_error(
    start_server: Callable[..., Server], mode: GenerationMode
) -> None:
    server = start_server(instantly_webhook_secret=SECRET)
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    (operation,) = [
        result.ok() for result in schema.get_all_operations() if result.ok().path == PATH
    ]
    answered: dict[int, int] = {}

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=60,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def call(case: schemathesis.Case) -> None:
        case.headers = {**(case.headers or {}), "X-Webhook-Secret": SECRET}
        response = case.call_and_validate(base_url=server.url, checks=CHECKS)
        answered[response.status_code] = answered.get(response.status_code, 0) + 1

    call()
    wanted = {200} if mode is GenerationMode.POSITIVE else {400, 422}
    assert wanted <= set(answered), answered
