"""Connections accepted by `leadrank serve`'s main process and handed to its workers in turn.

With a SO_REUSEPORT socket per worker, the kernel picks a worker by hashing each connection's
addresses: a client's few kept-alive connections often all land on one worker (4 of 4 in
most runs at 4 connections) while the other idles. Here the main process accepts every
connection and passes it to the next live worker over a Unix socket (SCM_RIGHTS), as
Node's cluster module does; the worker serves it with uvicorn's own protocol.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Sequence
from typing import Any

import uvicorn

_BATCH = 64  # connections taken from the channel at a time


class HandedServer(uvicorn.Server):
    """A uvicorn server that listens on nothing and serves the connections its channel
    brings; it stops when the main process closes the channel."""

    def __init__(self, config: uvicorn.Config, channel: socket.socket) -> None:
        super().__init__(config)
        self.channel = channel
        self._opening: set[asyncio.Task[Any]] = set()  # held, so no task is collected mid-way

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Start the app, then take connections from the channel."""
        await super().startup(sockets=[])
        if not self.started:
            return
        self.channel.setblocking(False)
        asyncio.get_running_loop().add_reader(self.channel.fileno(), self._take)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """Take no more connections; finish those under way as uvicorn does."""
        if self.channel.fileno() != -1:
            asyncio.get_running_loop().remove_reader(self.channel.fileno())
            self.channel.close()
        await super().shutdown(sockets)

    def _take(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            message, fds, _, _ = socket.recv_fds(self.channel, _BATCH, _BATCH)
        except BlockingIOError:
            return
        if not message:  # the main process is gone: nothing more will come
            loop.remove_reader(self.channel.fileno())
            self.should_exit = True
            return
        for fd in fds:
            connection = socket.socket(fileno=fd)
            task = loop.create_task(loop.connect_accepted_socket(self._protocol, connection))
            self._opening.add(task)
            task.add_done_callback(self._opening.discard)

    def _protocol(self) -> asyncio.Protocol:
        """A protocol as uvicorn's own listening server makes them."""
        protocol: Any = self.config.http_protocol_class
        made: asyncio.Protocol = protocol(
            config=self.config, server_state=self.server_state, app_state=self.lifespan.state
        )
        return made


def hand(connection: socket.socket, channels: Sequence[socket.socket | None], start: int) -> int:
    """Pass `connection` to the first worker from `start` on whose channel takes it; the
    index of the next worker to try, or -1 when none took it."""
    for step in range(len(channels)):
        index = (start + step) % len(channels)
        channel = channels[index]
        if channel is None:
            continue
        try:
            socket.send_fds(channel, [b"c"], [connection.fileno()])
        except OSError:  # that worker is gone; its replacement gets a new channel
            continue
        return (index + 1) % len(channels)
    return -1
