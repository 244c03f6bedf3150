"""Rendering a page: the template's HTML with the headers every page carries.

The Content-Security-Policy allows scripts, styles and images from this server alone: no
inline script can run, so a value that slipped past escaping still could not act. Pages hold
personal data: no caching, no framing, no referrer beyond this site.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from leadrank.web.templating import environment

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    )
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> HTMLResponse:
    """`template` rendered with `context`, the signed-in user and the request."""
    values = {
        "request": request,
        "user": getattr(request.state, "web_user", None),
        "path": request.url.path,
        **(context or {}),
    }
    html = environment().get_template(template).render(values)
    return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)


def is_partial(request: Request) -> bool:
    """Whether the page asked for a part of itself (an htmx request) rather than the whole;
    a history restore (the back button after hx-push-url) needs the whole page."""
    headers = request.headers
    return (
        headers.get("hx-request") == "true"
        and headers.get("hx-boosted") != "true"
        and headers.get("hx-history-restore-request") != "true"
    )


def render_view(
    request: Request, whole: str, part: str, context: dict[str, Any], *, status: int = 200
) -> HTMLResponse:
    """The page (`whole`), or for an htmx request only its updated `part`."""
    return render(request, part if is_partial(request) else whole, context, status=status)


def go_to(url: str, *, request: Request | None = None) -> Response:
    """Send the browser to `url` after a form: a 303, or for htmx its redirect header."""
    if request is not None and request.headers.get("hx-request") == "true":
        return Response(status_code=204, headers={"HX-Redirect": url, **PAGE_HEADERS})
    return RedirectResponse(url, status_code=303, headers=PAGE_HEADERS)


def safe_next(target: str | None, default: str = "/leads") -> str:
    """A path of this site to go back to after sign-in; anything else (another host, a
    scheme, backslashes) gives `default`."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target
