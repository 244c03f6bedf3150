"""`ScoringLane`: `POST /api/v1/scoring/score` and its alias answered in front of the router.

Over HTTP, Starlette's routing and FastAPI's dispatch (request objects, dependency solving,
exception wrappers) cost more than scoring one lead. The lane is a plain ASGI middleware
that answers these two paths itself with the same code the route runs (`score_body`), the
same key check and rate limit, and the same error shape; everything else goes on to the app.
It sits inside `RequestContext`, which still gives every answer its request id, body limit,
access log line and metrics, and inside CORS when CORS is on, in front of the whole FastAPI
app (`LeadrankApi`). The routes stay in the app, so the OpenAPI document still describes them.
"""

from __future__ import annotations

from collections.abc import Iterable

import anyio
from sqlalchemy.exc import OperationalError
from starlette.datastructures import State
from starlette.requests import ClientDisconnect, Request
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from leadrank.api.errors import (
    DATABASE_BUSY,
    UNEXPECTED,
    BodyTimeout,
    BodyTooLarge,
    app_error_headers,
    error_body,
    log,
)
from leadrank.auth.guard import Guard
from leadrank.errors import AppError
from leadrank.scoring.online.call import SCORING_ROLES, score_body

_JSON = (b"content-type", b"application/json")


class ScoringLane:
    """Answers scoring requests; passes every other request on to `app`."""

    def __init__(self, app: ASGIApp, *, state: State, routes: Iterable[BaseRoute]) -> None:
        self.app = app
        self.state = state  # the app's: guard and scorer are set there at start-up
        # path -> its route, which the metrics name requests by, as the router would
        self.routes = {
            path: route
            for route in routes
            if (path := getattr(route, "path", None)) and "POST" in getattr(route, "methods", ())
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = self.routes.get(scope["path"]) if scope["type"] == "http" else None
        if route is None or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        scope["route"] = route
        request_id = scope["state"]["request_id"]  # RequestContext, outside, set it
        try:
            await _checked(self.state.guard, Request(scope))
            body = await _body(receive)
            answer = score_body(self.state.api_scorer, body, request_id)
        except AppError as exc:
            error = error_body(
                exc.status_code, exc.message, request_id=request_id, path=getattr(exc, "path", None)
            )
            extra = [
                (k.lower().encode("latin-1"), v.encode("latin-1"))
                for k, v in app_error_headers(exc).items()
            ]
            await _answer(send, exc.status_code, error, extra)
            return
        except ClientDisconnect:
            return
        except (BodyTooLarge, BodyTimeout):
            raise  # RequestContext, outside, answers it
        except OperationalError as exc:  # as the app's handler answers it
            log.warning("database unavailable", request_id=request_id, error=type(exc).__name__)
            busy = error_body(503, DATABASE_BUSY, request_id=request_id)
            await _answer(send, 503, busy, [(b"retry-after", b"1")])
            return
        except Exception:  # a defect, answered in the one error shape as the app's handler does
            log.exception("unhandled error", request_id=request_id)
            await _answer(send, 500, error_body(500, UNEXPECTED, request_id=request_id), [])
            return
        await _answer(send, 200, answer, [])


async def _checked(guard: Guard, request: Request) -> None:
    """The request's key checked: from memory on the event loop when it can be (nearly every
    request), else in a thread, since looking a key up or leasing tokens waits on the
    database or Redis, and every request of this worker would wait with it."""
    if guard.check_in_memory(request, SCORING_ROLES) is None:
        await anyio.to_thread.run_sync(guard.check, request, SCORING_ROLES)


async def _body(receive: Receive) -> bytes:
    """The whole request body, as Starlette's `Request.body()` reads it."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def _answer(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    """The headers Starlette's Response would send: its own first, then length and type."""
    headers.append((b"content-length", str(len(body)).encode()))
    headers.append(_JSON)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
