"""Reading what a vendor's API answered, one way for every connector's client: how long a
`Retry-After` asks to wait, and a body's JSON.

Each client keeps its own error class and its vendor's name in its messages: the readers that
can fail take both, so a caller catching `HubSpotError` or `SalesforceError` still gets one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from leadrank.kit.retry_after import parse_retry_after


def retry_after_seconds(response: httpx.Response) -> float | None:
    """The answer's `Retry-After` in seconds (`kit.retry_after`); None when it has none, or
    one that cannot be read."""
    return parse_retry_after(response.headers.get("retry-after"))


def json_body(
    response: httpx.Response, what: str, *, vendor: str, error: Callable[[str], Exception]
) -> Any:
    """The body's JSON, of any shape; `error` ("<vendor> answered <what> with a body that is
    not JSON") when it is not JSON."""
    try:
        return response.json()
    except ValueError:
        raise error(f"{vendor} answered {what} with a body that is not JSON") from None


def json_object(
    response: httpx.Response, what: str, *, vendor: str, error: Callable[[str], Exception]
) -> dict[str, Any]:
    """The body's JSON object; `error` when it is not JSON or not an object."""
    document = json_body(response, what, vendor=vendor, error=error)
    if not isinstance(document, dict):
        raise error(f"{vendor} answered {what} with JSON that is not an object")
    return document


def error_json(response: httpx.Response) -> Any:
    """An error answer's JSON, or None when its body is not JSON: read for the vendor's own
    words, which an outage page or a proxy's answer may not carry."""
    try:
        return response.json()
    except ValueError:
        return None
