"""What holds for every page of the web app, found from the app's own routes so a new page
cannot skip it: sign-in is required, and a change without the session's CSRF token is refused."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from leadrank.app import create_app
from leadrank.config import Settings
from leadrank.web.errors import WebRoute
from tests.web.conftest import Site, csrf_of

PUBLIC = {"/", "/login", "/static/{name}"}


def _page_routes() -> list[tuple[str, str]]:
    app = create_app(Settings(database_url="sqlite://"))
    found = []
    for route in _routes(app.routes):
        if isinstance(route, WebRoute) and route.path not in PUBLIC:
            for method in sorted(route.methods - {"HEAD"}):
                found.append((method, route.path))
    assert len(found) > 20, "the pages were not found among the app's routes"
    return found


def _routes(routes: list[Any]) -> Iterator[Any]:
    """Every route, including those of routers the app includes (kept as routers)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _routes(included.routes)
        else:
            yield route


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def test_the_app_has_its_pages() -> None:
    paths = {path for _, path in _page_routes()}
    for contract in (
        "/leads",
        "/leads/{lead_id}",
        "/accounts",
        "/imports",
        "/duplicates",
        "/icp",
        "/models",
        "/jobs",
        "/providers",
        "/settings/keys",
        "/settings/users",
        "/logout",
    ):
        pattern = _concrete(contract)
        assert any(re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", p), pattern) for p in paths), contract


def test_every_page_needs_a_sign_in(site: Site) -> None:
    with site.client() as client:
        for method, path in _page_routes():
            answer = client.request(method, _concrete(path))
            if method == "GET":
                assert answer.status_code == 303, (method, path, answer.status_code)
                assert answer.headers["location"].startswith("/login"), path
            else:
                assert answer.status_code in (401, 403), (method, path, answer.status_code)


def test_every_change_needs_the_form_token(site: Site) -> None:
    with site.client("admin") as client:
        for method, path in _page_routes():
            if method == "GET":
                continue
            answer = client.request(method, _concrete(path), data={"anything": "1"})
            assert answer.status_code == 403, (method, path, answer.status_code)
            assert "did not come from leadrank" in answer.text, path


# What a reader may send: reading things out, signing out, and trying an ICP draft (nothing
# of which is stored).
READER_MAY = {"/logout", "/leads/export", "/icp/editor/{mode}", "/icp/preview"}


def test_a_reader_reaches_no_writer_or_admin_action(site: Site) -> None:
    with site.client("reader") as client:
        token = csrf_of(client.get("/leads").text)
        for method, path in _page_routes():
            if method == "GET" or path in READER_MAY:
                continue
            answer = client.request(method, _concrete(path), data={"csrf_token": token})
            assert answer.status_code == 403, (method, path, answer.status_code)
            assert "may not do this" in answer.text, path
