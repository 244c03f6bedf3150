"""Which URLs leadrank may send to: http(s) only, and not to this machine or a private
network unless LEADRANK_WEBHOOK_ALLOW_PRIVATE_URLS says so, so that a webhook cannot be
pointed at the database, a cloud metadata service or an admin page behind the firewall.

A name is resolved when the URL is added and again before each delivery (a name can be
pointed somewhere else later)."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from leadrank.errors import BadInput

MAX_URL = 2_000


def checked_url(url: str, *, allow_private: bool) -> str:
    """`url` stripped, if leadrank may send to it; BadInput saying why not otherwise."""
    url = url.strip()
    if len(url) > MAX_URL:
        raise BadInput(f"the URL is longer than {MAX_URL} characters")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise BadInput(f"only http and https URLs can receive webhooks, not {url!r}")
    if not parts.hostname:
        raise BadInput(f"the URL {url!r} names no host")
    if parts.username or parts.password:
        raise BadInput("a webhook URL may not carry a user name or password")
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number or out of range
    except ValueError:
        raise BadInput(f"the URL {url!r} has an invalid port") from None
    if not allow_private:
        refuse_private(parts.hostname)
    return url


def refuse_private(host: str) -> None:
    """BadInput when `host` is, or resolves to, an address of this machine or of a private,
    link-local or otherwise non-public network."""
    for address in _addresses(host):
        if not address.is_global or address.is_multicast:
            raise BadInput(
                f"{host} resolves to {address}, a loopback or private address; set "
                "LEADRANK_WEBHOOK_ALLOW_PRIVATE_URLS=true to send to addresses inside "
                "your network"
            )


def _addresses(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise BadInput(f"{host} does not resolve to an address ({exc})") from None
    addresses = []
    for *_, sockaddr in found:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        addresses.append(address)
    return addresses
