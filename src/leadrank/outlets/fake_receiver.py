"""A local receiver of webhooks and chat alerts for tests and the demo: it records every
request (headers and body as received), checks Standard Webhooks signatures with the
secrets it is told, and can be told to fail.

Under `/slack/...` it answers as Slack's incoming webhooks do (api.slack.com/messaging/
webhooks): 200 with the text "ok", or 400 "invalid_payload" for a body without `text` or
`blocks`, 404 "no_service" for an unknown URL, 429 with Retry-After when rate limited; any
other path is a plain webhook receiver answering 204.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from leadrank.kit.local_server import serve_in_thread


@dataclass
class Received:
    """One request as it arrived."""

    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool | None  # None: no secret known for the path

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class FakeReceiver:
    """The receiver's state: what it got, secrets to check signatures with (per path), and
    failures to come."""

    received: list[Received] = field(default_factory=list)
    secrets: dict[str, str] = field(default_factory=dict)
    fail_with: int | None = None  # answer every request with this status while set
    fail_next: int = 0  # answer the next N requests with 503
    retry_after: int = 1
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/{path:path}", self._receive, methods=["POST"])])

    def got(self, path: str | None = None) -> list[Received]:
        """What arrived and was taken (2xx), at `path` or anywhere."""
        with self._lock:
            return [r for r in self.received if path is None or r.path == path]

    async def _receive(self, request: Request) -> Response:
        body = await request.body()
        path = "/" + request.path_params["path"]
        with self._lock:
            if self.fail_with is not None:
                return self._failure(self.fail_with)
            if self.fail_next > 0:
                self.fail_next -= 1
                return self._failure(503)
            headers = {key.lower(): value for key, value in request.headers.items()}
            self.received.append(Received(path, headers, body, self._verify(path, headers, body)))
        if path.startswith("/slack/"):
            return _slack_answer(body)
        return Response(status_code=204)

    def _verify(self, path: str, headers: dict[str, str], body: bytes) -> bool | None:
        secret = self.secrets.get(path)
        if secret is None:
            return None
        try:
            Webhook(secret).verify(body, headers)
        except WebhookVerificationError:
            return False
        return True

    def _failure(self, status: int) -> Response:
        headers = {"Retry-After": str(self.retry_after)} if status == 429 else {}
        return PlainTextResponse("unavailable", status_code=status, headers=headers)


def _slack_answer(body: bytes) -> Response:
    try:
        message = json.loads(body)
    except ValueError:
        return PlainTextResponse("invalid_payload", status_code=400)
    if not isinstance(message, dict) or not (message.get("text") or message.get("blocks")):
        return PlainTextResponse("no_text", status_code=400)
    return PlainTextResponse("ok")


@contextmanager
def serve_receiver(receiver: FakeReceiver, *, port: int = 0) -> Iterator[str]:
    """The receiver on 127.0.0.1; yields its base URL."""
    with serve_in_thread(receiver.app(), name="fake-receiver", port=port) as bound:
        yield f"http://127.0.0.1:{bound}"
