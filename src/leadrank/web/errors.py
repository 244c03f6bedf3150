"""Failures on a page render as a page: the same errors the services raise (with their
status), shown in the app's frame instead of the API's JSON shape. A request that is not
signed in is sent to the sign-in page and back."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

import structlog
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from leadrank.errors import AppError
from leadrank.web.responses import render

log = structlog.get_logger("leadrank.web")


class SignInNeeded(AppError):
    """The page needs a signed-in user and the request has none."""

    status_code = 401


class CsrfRefused(AppError):
    """A form sent without the token of the session that showed it."""

    status_code = 403


class WebRoute(APIRoute):
    """A page route: errors become pages, a missing sign-in a trip to /login."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def page_or_error(request: Request) -> Response:
            try:
                return await handle(request)
            except SignInNeeded:
                return _to_sign_in(request)
            except AppError as error:
                return _error_page(request, error.status_code, error.message)
            except RequestValidationError as error:
                return _error_page(request, 400, _validation_message(error))

        return page_or_error


def _to_sign_in(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    url = "/login" if target in ("/", "/leads") else f"/login?next={quote(target, safe='')}"
    if request.headers.get("hx-request") == "true":
        return Response(status_code=401, headers={"HX-Redirect": url})
    if request.method not in ("GET", "HEAD"):
        return _error_page(request, 401, "your session has ended: sign in again")
    return Response(status_code=303, headers={"Location": url, "Cache-Control": "no-store"})


def _error_page(request: Request, status: int, message: str) -> Response:
    titles = {
        400: "That did not work",
        401: "Sign in needed",
        403: "Not allowed",
        404: "Not found",
        409: "That clashes with what is there",
        413: "Too large",
        429: "Slow down",
    }
    title = titles.get(status, "Something went wrong")
    if status >= 500:
        log.error("page failed", path=request.url.path, status=status)
    template = (
        "_error_fragment.html" if request.headers.get("hx-request") == "true" else "error.html"
    )
    return render(request, template, {"title": title, "message": message}, status=status)


def _validation_message(error: RequestValidationError) -> str:
    parts = []
    for problem in error.errors()[:5]:
        where = ".".join(str(p) for p in problem.get("loc", ())[1:]) or "the request"
        parts.append(f"{where}: {problem.get('msg', 'not valid')}")
    return "; ".join(parts) or "the request is not valid"
