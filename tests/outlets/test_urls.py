"""Only http(s) URLs receive webhooks, and not addresses inside the network unless allowed."""

from __future__ import annotations

import pytest

from leadrank.errors import BadInput
from leadrank.outlets.urls import checked_url


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/hook",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "http:///nohost",
        "https://user:pass@example.com/hook",
        "http://example.com:99999/hook",
    ],
)
def test_urls_that_are_not_http_receivers_are_refused(url: str) -> None:
    with pytest.raises(BadInput):
        checked_url(url, allow_private=True)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://172.16.5.4/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://[fd00::1]/hook",
        "http://0.0.0.0/hook",
        "http://100.64.0.1/hook",
        "http://[64:ff9b::a9fe:a9fe]/hook",  # NAT64 of 169.254.169.254
        "http://[2002:7f00:1::]/hook",  # 6to4 of 127.0.0.1
        "http://[::127.0.0.1]/hook",  # IPv4-compatible
        "http://[::ffff:10.0.0.1]/hook",  # IPv4-mapped
    ],
)
def test_loopback_and_private_addresses_are_refused_unless_allowed(url: str) -> None:
    with pytest.raises(BadInput, match="LEADRANK_WEBHOOK_ALLOW_PRIVATE_URLS"):
        checked_url(url, allow_private=False)
    assert checked_url(f"  {url} ", allow_private=True) == url


def test_a_public_address_is_taken() -> None:
    assert checked_url("https://93.184.215.14/hooks/leadrank", allow_private=False)
