"""uvicorn's httptools protocol with the writes of one turn of the event loop sent together.

uvicorn writes a response's status line and headers as soon as the app sends them, then the
body: two sends, two TCP segments and two wake-ups of the client for every answer. On
loopback the first of them was a fifth of a worker's time under a single-lead load. Here the
connection's writes are held until the end of the loop's current turn and leave as one
`writelines` (one system call, no copy); the bytes on the wire are the same.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class CoalescingHttpToolsProtocol(HttpToolsProtocol):
    """HttpToolsProtocol over a transport whose writes leave once per loop turn."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Wrap the connection's transport before uvicorn keeps it."""
        super().connection_made(CoalescingTransport(transport, self.loop))  # type: ignore[arg-type]


class CoalescingTransport:
    """A transport's stand-in: writes wait for the end of the loop's turn, then go together;
    closing sends what waits first. Everything else is the transport's own."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes) -> None:
        """Send `data` with whatever else this turn of the loop writes."""
        if not self._pending:
            self._loop.call_soon(self.flush)
        self._pending.append(data)

    def flush(self) -> None:
        """Send what waits, in one call."""
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        if not self._transport.is_closing():
            self._transport.writelines(pending)

    def close(self) -> None:
        """Send what waits, then close."""
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)
