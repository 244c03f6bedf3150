"""Pure ASGI middleware, cheaper per request than Starlette's BaseHTTPMiddleware: every
request gets an id (the caller's X-Request-ID when it is sane, else a new one) that its
response, its logs and its errors carry, answers say `nosniff` (and, from the API, `no-store`),
a body larger than allowed is refused with 413 before it is read into memory, and one the
client stops sending with 408."""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leadrank.api.access_log import AccessLog
from leadrank.api.errors import BodyTimeout, BodyTooLarge, error_body
from leadrank.monitoring.metrics import observe_request

CLIENT_CLOSED = 499
_SANE_ID = re.compile(rb"^[A-Za-z0-9._:\-]{1,128}$")
# Every answer: browsers take its type as declared. Answers of the API, which carry leads and
# their people: never stored by a browser or a proxy on the way.
_NOSNIFF = (b"x-content-type-options", b"nosniff")
_NO_STORE = (b"cache-control", b"no-store")


class RequestContext:
    """Request id, size limit and one access log line per request."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        access_log: AccessLog,
        larger_bodies: dict[str, int] | None = None,
        body_timeout_seconds: float = 30.0,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.body_timeout_seconds = body_timeout_seconds
        # path -> limit, for the few routes that take files
        self.larger_bodies = larger_bodies or {}
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = _request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        header = (b"x-request-id", request_id.encode())
        api = scope["path"].startswith("/api/")
        extra = [header, _NOSNIFF, _NO_STORE] if api else [header, _NOSNIFF]
        # Until an answer starts: a client that left before it is counted as nginx does (499);
        # an exception with no answer sent is the server's (500).
        status = CLIENT_CLOSED

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                named = {name.lower() for name, _ in headers}
                message["headers"] = headers + [h for h in extra if h[0] not in named]
                if not api:  # pages say how long the server took (the browser's dev tools show it)
                    took = (time.perf_counter() - started) * 1000
                    message["headers"].append((b"server-timing", f"app;dur={took:.1f}".encode()))
            await send(message)

        limit = self.larger_bodies.get(scope["path"], self.max_body_bytes)
        declared = _content_length(scope)
        try:
            if declared is not None and declared > limit:
                await _refuse(send_with_id, request_id, BodyTooLarge(limit))
            else:
                body = _Counted(receive, limit, self.body_timeout_seconds)
                try:
                    await self.app(scope, body, send_with_id)
                except (BodyTooLarge, BodyTimeout) as exc:
                    if status != CLIENT_CLOSED:
                        raise  # an answer has started: the connection can only be dropped
                    await _refuse(send_with_id, request_id, exc)
        except BaseException:
            if status == CLIENT_CLOSED:
                status = 500
            raise
        finally:  # a request that failed is counted and logged too
            seconds = time.perf_counter() - started
            route = scope.get("route")
            observe_request(scope["method"], getattr(route, "path", "unmatched"), status, seconds)
            self.access_log.write(
                request_id, scope["method"], scope["path"], status, round(seconds * 1000, 2)
            )


class _Ids:
    """Request ids: 32 hex digits, a random half for the process and a counter, unique across
    workers and restarts, for a fraction of uuid4's cost (which reads the OS's randomness
    every time). A forked child draws its own random half."""

    def __init__(self) -> None:
        self._restart()
        os.register_at_fork(after_in_child=self._restart)

    def _restart(self) -> None:
        self.prefix, self.numbers = uuid.uuid4().hex[:16], itertools.count()

    def new(self) -> str:
        """The next id."""
        return f"{self.prefix}{next(self.numbers):016x}"


_ids = _Ids()


class _Counted:
    """The request body, refused once it grows past the limit (chunked uploads say no size),
    or when the client stops sending it for `idle_seconds` (a body that declares 10 bytes and
    sends 2 would hold its connection and its worker's memory until the client gave up)."""

    def __init__(self, receive: Receive, limit: int, idle_seconds: float) -> None:
        self.receive, self.limit, self.idle_seconds = receive, limit, idle_seconds
        self.seen, self.complete = 0, False

    async def __call__(self) -> Message:
        if self.complete:  # from here on, waits are for the client leaving: no time limit
            return await self.receive()
        try:
            async with asyncio.timeout(self.idle_seconds):
                message = await self.receive()
        except TimeoutError:
            raise BodyTimeout(self.idle_seconds) from None
        if message["type"] == "http.request":
            self.seen += len(message.get("body", b""))
            if self.seen > self.limit:
                raise BodyTooLarge(self.limit)
            self.complete = not message.get("more_body", False)
        return message


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"x-request-id" and _SANE_ID.match(value):
            return str(value.decode())
    return _ids.new()


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _refuse(send: Any, request_id: str, exc: BodyTooLarge | BodyTimeout) -> None:
    """413 or 408, and the connection closed: the rest of the body is never read."""
    status = 413 if isinstance(exc, BodyTooLarge) else 408
    body = error_body(status, str(exc), request_id=request_id)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
