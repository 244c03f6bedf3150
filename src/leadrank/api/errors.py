"""One JSON error shape for every failure, with the request's id:
{"error": {"status": 422, "code": "invalid_payload", "message": "...", "request_id": "..."}}.

Services raise AppError subclasses; these handlers turn them, FastAPI's own validation errors
and anything unexpected into that shape. Bad input is never a 500.
"""

from __future__ import annotations

from typing import Any

import msgspec
import psycopg
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from leadrank.errors import AppError, WriteRace

log = structlog.get_logger("leadrank.api")
_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_payload",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


class ErrorBody(msgspec.Struct):
    """What went wrong."""

    status: int
    code: str
    message: str
    request_id: str | None = None
    path: str | None = None  # where in the payload, for 422


class ErrorResponse(msgspec.Struct):
    """The one error shape."""

    error: ErrorBody


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for error answers, all in the one error shape."""
    described = {
        400: "The request cannot be used as given",
        401: "No API key, or one that does not work",
        403: "The key's role may not do this",
        404: "Not found",
        409: "Conflicts with the current state",
        413: "Too large",
        422: "Does not follow the schema; `path` says where",
        429: "Over the key's rate; see Retry-After",
        503: "Busy (the database, or another request writing the same records); see Retry-After",
    }
    shape = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}
    return {status: {"description": described[status], "content": shape} for status in statuses}


class InvalidPayload(AppError):
    """The body does not follow the schema; `path` says where ("$.leads[3].form_fills")."""

    status_code = 422

    def __init__(self, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class BadJson(AppError):
    """The body is not JSON at all."""

    status_code = 400


class PayloadTooLarge(AppError):
    """More than a request may carry."""

    status_code = 413


def error_body(
    status: int, message: str, *, request_id: str | None, path: str | None = None
) -> bytes:
    """The error shape as JSON."""
    body = ErrorBody(
        status=status,
        code=_CODES.get(status, "error"),
        message=message,
        request_id=request_id,
        path=path,
    )
    return msgspec.json.encode(ErrorResponse(body))


class BodyTooLarge(Exception):
    """A body over its limit: 413, from `RequestContext` or the handler."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"request body over {limit:,} bytes")


class BodyTimeout(Exception):
    """A body the client stopped sending: 408, from `RequestContext`."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the request body stopped arriving for {seconds:g} seconds")


UNEXPECTED = "internal error; the request id is in the logs"
DATABASE_BUSY = "the database is busy or unreachable; try again shortly"


def error_response(
    request: Request,
    status: int,
    message: str,
    *,
    path: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """The error shape as a response."""
    return Response(
        error_body(
            status, message, request_id=getattr(request.state, "request_id", None), path=path
        ),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def app_error_headers(exc: AppError) -> dict[str, str]:
    """The headers an AppError's answer carries: how to authenticate, when to come back."""
    headers: dict[str, str] = {}
    if exc.status_code == 401:
        headers["WWW-Authenticate"] = "Bearer"
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return headers


async def _app_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)
    return error_response(
        request,
        exc.status_code,
        exc.message,
        path=getattr(exc, "path", None),
        headers=app_error_headers(exc) or None,
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if isinstance(exc.__cause__, BodyTooLarge):  # FastAPI reports any body it failed to read as 400
        return error_response(request, 413, str(exc.__cause__))
    if isinstance(exc.__cause__, BodyTimeout):
        return await _body_timeout(request, exc.__cause__)
    return error_response(
        request, exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None)
    )


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    first: dict[str, Any] = exc.errors()[0] if exc.errors() else {}
    where = "$" + "".join(
        f"[{part}]" if isinstance(part, int) else f".{part}" for part in first.get("loc", ())[1:]
    )
    return error_response(request, 422, str(first.get("msg", "invalid request")), path=where)


async def _database_unavailable(request: Request, exc: Exception) -> Response:
    if write_conflict(exc):
        return await _write_conflict(request, exc)
    # Locked past its busy timeout (SQLite) or unreachable: the request may work in a moment.
    log.warning(
        "database unavailable",
        request_id=getattr(request.state, "request_id", None),
        error=type(exc).__name__,
    )
    return error_response(
        request,
        503,
        DATABASE_BUSY,
        headers={"Retry-After": "1"},
    )


async def _body_too_large(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, BodyTooLarge)
    return error_response(request, 413, str(exc))


async def _body_timeout(request: Request, exc: Exception) -> Response:
    # The rest of the body may still come: the connection cannot be used for another request.
    return error_response(request, 408, str(exc), headers={"Connection": "close"})


def write_conflict(exc: BaseException) -> bool:
    """Whether PostgreSQL refused a write for another transaction's sake: it rolled this one
    back (a deadlock, a serialisation failure: SQLSTATE class 40), or the other stored the
    same key first (23505: leadrank looks before it inserts, so only a race gets there).
    Raised by the driver itself (a bulk COPY or UPDATE on the raw connection) or wrapped by
    SQLAlchemy."""
    for candidate in (exc, getattr(exc, "orig", None)):
        state = str(getattr(candidate, "sqlstate", "") or "")
        if state.startswith("40") or state == "23505":
            return True
    return False


async def _write_conflict(request: Request, exc: Exception) -> Response:
    # Another request wrote the same rows at the same moment: this one, sent again, goes through.
    log.warning(
        "write conflict, answered 503",
        request_id=getattr(request.state, "request_id", None),
        error=type(exc).__name__,
    )
    race = WriteRace()
    return error_response(request, 503, race.message, headers=app_error_headers(race))


async def _database_error(request: Request, exc: Exception) -> Response:
    # Answered here, not by the catch-all below: an error that reaches that one is raised
    # again after its answer, and the connection it came on is dropped.
    if write_conflict(exc):
        return await _write_conflict(request, exc)
    log.exception("unhandled error", request_id=getattr(request.state, "request_id", None))
    return error_response(request, 500, UNEXPECTED)


async def _unexpected(request: Request, exc: Exception) -> Response:
    if write_conflict(exc):
        return await _write_conflict(request, exc)
    log.exception("unhandled error", request_id=getattr(request.state, "request_id", None))
    return error_response(request, 500, UNEXPECTED)


def install_error_handlers(app: FastAPI) -> None:
    """Route every kind of failure through the one error shape."""
    app.add_exception_handler(AppError, _app_error)
    # A body that grows past its limit while a route or a dependency reads it.
    app.add_exception_handler(BodyTooLarge, _body_too_large)
    app.add_exception_handler(BodyTimeout, _body_timeout)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(OperationalError, _database_unavailable)
    # Other database errors, as SQLAlchemy wraps them and as the driver raises them on a raw
    # connection (bulk COPY): a write conflict is a 503 to send again, the rest a 500.
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(psycopg.Error, _database_error)
    app.add_exception_handler(Exception, _unexpected)
