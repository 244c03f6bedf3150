"""Which URLs leadrank may send to: http(s) only, and not to this machine or a private
network unless LEADRANK_WEBHOOK_ALLOW_PRIVATE_URLS says so, so that a webhook cannot be
pointed at the database, a cloud metadata service or an admin page behind the firewall.

A name is checked when the URL is added; deliveries go through `public_transport`, which
resolves the name at each connection and connects only to an address it checked, so a name
pointed elsewhere later (DNS rebinding) cannot reach inside the network either. IPv6 forms
that carry an IPv4 address (mapped, NAT64, 6to4, Teredo, IPv4-compatible) are judged by the
IPv4 address they lead to."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

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


def refuse_private(host: str) -> list[str]:
    """The addresses `host` is or resolves to; BadInput when any of them belongs to this
    machine or to a private, link-local or otherwise non-public network."""
    found = _addresses(host)
    for address in found:
        if not is_public(address):
            raise BadInput(
                f"{host} resolves to {address}, a loopback or private address; set "
                "LEADRANK_WEBHOOK_ALLOW_PRIVATE_URLS=true to send to addresses inside "
                "your network"
            )
    return [str(address) for address in found]


Address = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_COMPATIBLE = ipaddress.ip_network("::/96")


def is_public(address: Address) -> bool:
    """Whether an address is a public unicast one, looking through IPv6 forms that carry an
    IPv4 address."""
    for inner in _carried(address):
        if not inner.is_global or inner.is_multicast:
            return False
    return address.is_global and not address.is_multicast


def _carried(address: Address) -> list[Address]:
    """The IPv4 addresses an IPv6 address leads to (none for a plain one)."""
    if not isinstance(address, ipaddress.IPv6Address):
        return []
    carried: list[Address] = []
    if address.ipv4_mapped is not None:
        carried.append(address.ipv4_mapped)
    if address.sixtofour is not None:
        carried.append(address.sixtofour)
    if address.teredo is not None:
        carried.extend(address.teredo)
    if address in _NAT64 or (address in _COMPATIBLE and int(address) > 1):
        carried.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return carried


class PublicOnlyBackend(httpcore.SyncBackend):
    """Connects only to public addresses: the name is resolved here, each address checked,
    and the connection made to a checked address (TLS still verifies the name)."""

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = refuse_private(host)
        except BadInput as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        return super().connect_tcp(
            addresses[0],
            port,
            timeout=timeout,
            local_address=local_address,
            socket_options=socket_options,
        )


def public_transport() -> httpx.HTTPTransport:
    """An HTTP transport that refuses to connect inside the network (see the module). It
    reads no proxy settings from the environment: a proxy would connect for it."""
    transport = httpx.HTTPTransport(trust_env=False)
    # httpx builds its connection pool without a way to pass a network backend; this pool is
    # the one it would build, with the backend that checks each address.
    transport._pool = httpcore.ConnectionPool(
        ssl_context=httpx.create_ssl_context(trust_env=False),
        network_backend=PublicOnlyBackend(),
        max_connections=100,
        max_keepalive_connections=20,
        keepalive_expiry=5.0,
    )
    return transport


def _addresses(host: str) -> list[Address]:
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise BadInput(f"{host} does not resolve to an address ({exc})") from None
    addresses: list[Address] = []
    for *_, sockaddr in found:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


def sending_client(*, allow_private: bool, timeout: httpx.Timeout) -> httpx.Client:
    """The HTTP client deliveries and trials go out on: redirects are not followed (a
    receiver could redirect inside the network), and unless private addresses are allowed,
    connections go only to public ones."""
    transport = None if allow_private else public_transport()
    return httpx.Client(timeout=timeout, follow_redirects=False, transport=transport)
