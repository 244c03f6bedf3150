"""The HTTP boundary every vendor adapter shares: one call, its failures translated into
RetriableError or PermanentError, and small readers for the untyped JSON vendors answer.

Messages never carry the API key, a URL (keys and emails travel in query strings) or a whole
email address: they end up in logs, job records and the admin pages.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import polars as pl

from leadrank.enrichment.providers.base import PermanentError, RetriableError
from leadrank.kit.retry_after import parse_retry_after
from leadrank.normalize.linkedin import canonical_company_urls, canonical_profile_urls

MAX_MESSAGE_CHARS = 200
# A 202 says "queued, ask again": Hunter and Clearbit finish most lookups within seconds.
PENDING_RETRY_AFTER = 5.0

_EMAIL = re.compile(r"([A-Za-z0-9_%+\-])[A-Za-z0-9._%+\-]*@([A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+)")
# How vendors word an empty credit pool when they do not answer 402 (Apollo: 422 "Insufficient
# credits"; Hunter: 429 "usage limit").
_NO_CREDITS = re.compile(r"credit|quota|usage limit|upgrade your plan|payment required", re.I)


def mask_email(text: str) -> str:
    """Every email address in the text masked: "ada.lovelace@acme.com" -> "a***@acme.com"."""
    return _EMAIL.sub(r"\1***@\2", text)


def send(
    client: httpx.Client, method: str, url: str, *, provider: str, **kwargs: Any
) -> httpx.Response:
    """Perform one call; a timeout or a broken connection becomes a RetriableError."""
    try:
        return client.request(method, url, **kwargs)
    except httpx.TimeoutException as error:
        # `from None`: httpx errors hold the request, whose URL may carry a key or an email.
        raise RetriableError(f"{provider}: timed out ({type(error).__name__})") from None
    except httpx.UnsupportedProtocol:
        raise PermanentError(f"{provider}: the base URL has no http(s) scheme") from None
    except httpx.RequestError as error:
        raise RetriableError(f"{provider}: connection failed ({type(error).__name__})") from None
    except httpx.InvalidURL:
        raise PermanentError(f"{provider}: invalid URL") from None


def json_answer(
    response: httpx.Response, *, provider: str, secret: str | None = None
) -> dict[str, Any] | None:
    """The JSON object of a successful answer, None for 404, else the translated failure."""
    status = response.status_code
    if status == 202:
        wait = parse_retry_after(response.headers.get("retry-after"))
        raise RetriableError(
            f"{provider}: lookup queued, not ready yet",
            status=status,
            retry_after=PENDING_RETRY_AFTER if wait is None else wait,
        )
    if 200 <= status < 300:
        try:
            body = response.json()
        except ValueError:  # JSONDecodeError and UnicodeDecodeError alike
            raise RetriableError(f"{provider}: answer is not JSON", status=status) from None
        if not isinstance(body, dict):
            raise RetriableError(f"{provider}: answer is not a JSON object", status=status)
        return body
    if status == 404:
        return None
    if status == 429 or status >= 500:
        raise rate_limited(response, provider=provider, secret=secret)
    if status in (401, 403):
        raise PermanentError(f"{provider}: key refused ({status})", status=status)
    message = vendor_message(response, secret=secret)
    if status == 402 or _NO_CREDITS.search(message):
        raise PermanentError(f"{provider}: no credits left ({status}): {message}", status=status)
    if 400 <= status < 500:
        raise PermanentError(f"{provider}: query refused ({status}): {message}", status=status)
    raise PermanentError(f"{provider}: unexpected answer ({status})", status=status)


def rate_limited(
    response: httpx.Response, *, provider: str, secret: str | None = None
) -> RetriableError:
    """A RetriableError for a throttled or failing vendor, with its Retry-After when given."""
    status = response.status_code
    what = "rate limited" if status in (403, 429) else "vendor error"
    return RetriableError(
        f"{provider}: {what} ({status}): {vendor_message(response, secret=secret)}",
        status=status,
        retry_after=parse_retry_after(response.headers.get("retry-after")),
    )


def request_json(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    provider: str,
    secret: str | None = None,
    **kwargs: Any,
) -> dict[str, Any] | None:
    """Call the vendor and return its JSON object, None when it does not know the record."""
    response = send(client, method, url, provider=provider, **kwargs)
    return json_answer(response, provider=provider, secret=secret)


def vendor_message(response: httpx.Response, *, secret: str | None = None) -> str:
    """The vendor's own error text, short, with emails masked and the key removed."""
    try:
        body = response.json()
    except ValueError:
        body = None
    text = _message_in(body) or response.reason_phrase or f"HTTP {response.status_code}"
    if secret:
        text = text.replace(secret, "***")
    return mask_email(" ".join(text.split()))[:MAX_MESSAGE_CHARS]


def _message_in(body: object) -> str:
    # The envelopes of our vendors: Clearbit and PDL {"error": {"message"}}, Apollo
    # {"error": "..."}, Hunter {"errors": [{"details"}]}, others {"message"} or {"detail"}.
    if not isinstance(body, dict):
        return ""
    error = body.get("error")
    if isinstance(error, dict):
        return str(error.get("message") or error.get("type") or "")
    if isinstance(error, str):
        return error
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return str(errors[0].get("details") or errors[0].get("id") or "")
    for key in ("message", "detail"):
        if isinstance(body.get(key), str):
            return str(body[key])
    return ""


# Readers for vendor JSON, whose values may be missing, null or of another type than documented.


def obj(value: object) -> dict[str, Any]:
    """The value if it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def text(value: object) -> str | None:
    """A non-blank string, stripped; None for anything else."""
    if not isinstance(value, str):
        return None
    return value.strip() or None


def whole(value: object) -> int | None:
    """An integer from a number or numeric text; None for anything else."""
    number = real(value)
    return None if number is None else round(number)


def real(value: object) -> float | None:
    """A float from a number or numeric text (booleans are not numbers); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.replace(",", ""))
        except ValueError:
            return None
    return None


def texts(value: object) -> list[str]:
    """The non-blank strings of a JSON array."""
    items = value if isinstance(value, list) else []
    return [item.strip() for item in items if isinstance(item, str) and item.strip()]


def linkedin(value: object, *, company: bool = False) -> str | None:
    """A LinkedIn profile (or company) URL in leadrank's canonical form; None if it is not one."""
    url = text(value)
    if url is None:
        return None
    if "linkedin.com" not in url.lower():  # a bare handle: "company/acme", "in/ada"
        url = "linkedin.com/" + url.lstrip("/")
    convert = canonical_company_urls if company else canonical_profile_urls
    result = convert(pl.Series([url], dtype=pl.String))[0]
    return str(result) if result is not None else None


def compact(fields: dict[str, Any]) -> dict[str, Any]:
    """The fields that hold a value: a vendor's nulls and empty lists are not answers."""
    return {name: value for name, value in fields.items() if value not in (None, "", [], {})}
