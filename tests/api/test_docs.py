"""`/docs` and `/redoc` work with no internet: every script, style and icon they load is
served by leadrank itself."""

from __future__ import annotations

import re

from tests.server import Server


def _assets(page: str) -> list[str]:
    return re.findall(r"""(?:src|href)=["']([^"']+)["']""", page)


def test_the_docs_pages_load_nothing_from_elsewhere(api: Server) -> None:
    for path, needed in (
        ("/docs", {"swagger-ui-bundle.js", "swagger-ui.css"}),
        ("/redoc", {"redoc.standalone.js"}),
    ):
        page = api.client.get(path)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "/openapi.json" in page.text
        links = _assets(page.text)
        assert needed <= {link.rsplit("/", 1)[-1] for link in links}, path
        assert not re.search(r"https?://", page.text), f"{path} reaches out: {links}"
        for link in links:
            asset = api.client.get(link)
            assert asset.status_code == 200, link
            assert len(asset.content) > 1_000, link
        script = next(link for link in links if link.endswith(".js"))
        assert "javascript" in api.client.get(script).headers["content-type"]
    assert "/docs" not in api.client.get("/openapi.json").json()["paths"]
