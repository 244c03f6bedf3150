"""The CSS and JavaScript the pages load, served by leadrank itself: its own stylesheet and
script, and htmx from the `django-js-lib-htmx` package (a wheel of htmx's release files with
nothing else; Django is not needed). Nothing is fetched from the internet, and no
third-party file lives in this repository.

Files are read once, at first use, and served with a long cache life: their URLs carry the
version, so a new release is fetched anew.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from leadrank.errors import NotFound

# name served -> (package, path inside it, media type)
_FILES = {
    "htmx.min.js": ("js_lib_htmx", "static/htmx/htmx.min.js", "text/javascript"),
    "app.css": ("leadrank.web", "static/app.css", "text/css"),
    "app.js": ("leadrank.web", "static/app.js", "text/javascript"),
}

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Asset:
    """One file's bytes, type and content hash (its ETag)."""

    body: bytes
    media_type: str
    etag: str


@cache
def asset(name: str) -> Asset:
    """The file served as `name`; NotFound for any other name."""
    if name not in _FILES:
        raise NotFound(f"no asset {name!r}")
    package, path, media_type = _FILES[name]
    body = resources.files(package).joinpath(path).read_bytes()
    return Asset(body, media_type, '"' + hashlib.sha256(body).hexdigest()[:16] + '"')


@router.get("/static/{name}")
def static_file(name: str, request: Request) -> Response:
    """A stylesheet or script of the pages."""
    found = asset(name)
    headers = {
        "Cache-Control": "public, max-age=86400",
        "ETag": found.etag,
        "X-Content-Type-Options": "nosniff",
    }
    if request.headers.get("if-none-match") == found.etag:
        return Response(status_code=304, headers=headers)
    return Response(found.body, media_type=found.media_type, headers=headers)
