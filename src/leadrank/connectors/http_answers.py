"""Reading what a vendor's API answered, one way for every connector's client: how long a
`Retry-After` asks to wait, and a body's JSON.

Each client keeps its own error class and its vendor's name in its messages: the readers that
can fail take both, so a caller catching `HubSpotError` or `SalesforceError` still gets one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx


def retry_after_seconds(response: httpx.Response) -> float | None:
    """`Retry-After` in seconds: a number, or an HTTP date (one already past is 0); None when
    the answer has none or it is unreadable."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # HTTP dates are GMT; some servers leave the zone out
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


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
