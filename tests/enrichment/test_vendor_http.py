"""The shared HTTP boundary of the vendor adapters, on answers built with httpx.MockTransport:
Retry-After in both forms, statuses to error kinds, vendor messages cleaned of keys and emails."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadrank.enrichment.providers.base import PermanentError, RetriableError
from leadrank.enrichment.providers.http import (
    compact,
    linkedin,
    mask_email,
    real,
    request_json,
    whole,
)
from leadrank.kit.retry_after import parse_retry_after

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
KEY = "sk-live-0123456789"


def answer(status: int, body: bytes | str = b"", **headers: str) -> httpx.Client:
    """A client whose every call gets this answer."""
    content = body.encode() if isinstance(body, str) else body
    transport = httpx.MockTransport(
        lambda _: httpx.Response(status, content=content, headers=headers)
    )
    return httpx.Client(transport=transport)


def call(client: httpx.Client) -> dict[str, object] | None:
    with client:
        return request_json(
            client, "GET", "https://vendor.test/v1/find", provider="vendor", secret=KEY
        )


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (" 1.5 ", 1.5),
        ("Sun, 01 Mar 2026 12:00:30 GMT", 30.0),
        ("Sunday, 01-Mar-26 12:01:00 GMT", 60.0),  # the obsolete RFC 850 form
        ("Sun, 01 Mar 2026 11:59:00 GMT", 0.0),  # already past: retry now
        ("-5", None),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header, now=NOW) == seconds


def test_a_json_object_is_returned_and_404_is_none() -> None:
    assert call(answer(200, '{"data": {"name": "Acme"}}')) == {"data": {"name": "Acme"}}
    assert call(answer(404, '{"error": "not found"}')) is None


@pytest.mark.parametrize(
    ("body", "what"),
    [
        ("[1, 2]", "answer is not a JSON object"),
        ('"ok"', "answer is not a JSON object"),
        ("null", "answer is not a JSON object"),
        ("<html>ok</html>", "answer is not JSON"),
        (b"\xff\xfe{", "answer is not JSON"),
    ],
)
def test_a_success_that_is_not_a_json_object_is_retriable(body: str | bytes, what: str) -> None:
    with pytest.raises(RetriableError) as raised:
        call(answer(200, body))
    assert (raised.value.status, raised.value.message) == (200, f"vendor: {what}")


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_key_is_permanent(status: int) -> None:
    with pytest.raises(PermanentError, match=rf"^vendor: key refused \({status}\)$"):
        call(answer(status, f'{{"error": "bad key {KEY}"}}'))


def test_429_and_5xx_are_retriable_with_retry_after() -> None:
    with pytest.raises(RetriableError) as limited:
        call(answer(429, '{"message": "slow down"}', **{"Retry-After": "12"}))
    assert (limited.value.status, limited.value.retry_after) == (429, 12.0)
    assert limited.value.message == "vendor: rate limited (429): slow down"
    with pytest.raises(RetriableError) as down:
        call(answer(502, "<html>Bad Gateway</html>"))
    assert (down.value.status, down.value.retry_after) == (502, None)
    assert down.value.message == "vendor: vendor error (502): Bad Gateway"


def test_402_and_credit_messages_are_permanent() -> None:
    with pytest.raises(PermanentError, match=r"no credits left \(402\)"):
        call(answer(402))
    with pytest.raises(PermanentError, match=r"no credits left \(422\): Insufficient credits"):
        call(answer(422, '{"error": "Insufficient credits. Please upgrade your plan."}'))


def test_vendor_messages_lose_the_key_and_the_address() -> None:
    body = f'{{"error": {{"message": "key {KEY} may not look up Ada.Lovelace+x@acme.co.uk"}}}}'
    with pytest.raises(PermanentError) as refused:
        call(answer(400, body))
    assert (
        refused.value.message
        == "vendor: query refused (400): key *** may not look up A***@acme.co.uk"
    )


def test_a_long_vendor_message_is_cut() -> None:
    with pytest.raises(PermanentError) as refused:
        call(answer(400, '{"errors": [{"id": "wrong_params", "details": "' + "x" * 5000 + '"}]}'))
    assert len(refused.value.message) < 260


def test_an_unexpected_redirect_is_permanent() -> None:
    with pytest.raises(PermanentError, match=r"unexpected answer \(301\)"):
        call(answer(301, **{"Location": "https://elsewhere.test/"}))


@given(
    local=st.from_regex(r"[a-z0-9][a-z0-9._+\-]{1,30}", fullmatch=True),
    domain=st.from_regex(r"[a-z0-9]{1,20}\.(com|io|co\.uk|de)", fullmatch=True),
    before=st.sampled_from(["", "for ", "<", "user: "]),
)
def test_masking_keeps_the_domain_and_one_letter_only(local: str, domain: str, before: str) -> None:
    masked = mask_email(f"{before}{local}@{domain} was refused")
    assert masked == f"{before}{local[0]}***@{domain} was refused"


def test_readers_of_vendor_json() -> None:
    assert [whole(v) for v in (230, 229.6, "1,200", "n/a", True, None)] == [
        230,
        230,
        1200,
        None,
        None,
        None,
    ]
    assert real("42000000.0") == 42e6
    assert linkedin("company/acme", company=True) == "https://www.linkedin.com/company/acme"
    assert (
        linkedin("http://uk.linkedin.com/in/Ada-Lovelace/")
        == "https://www.linkedin.com/in/ada-lovelace"
    )
    assert linkedin("https://twitter.com/ada") is None
    assert compact({"a": 1, "b": None, "c": [], "d": "", "e": False, "f": 0}) == {
        "a": 1,
        "e": False,
        "f": 0,
    }
