"""Downloads leave nothing behind: the temporary folder of a file is gone once it is sent, and
at once when writing it fails; the file carries the page headers, its name and its rows."""

from __future__ import annotations

import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import anyio
import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from leadrank.web.downloads import file_download
from leadrank.web.responses import CONTENT_SECURITY_POLICY


def _write_rows(path: Path) -> int:
    path.write_text("email\nada@analytical.example\ngrace@navy.example\n")
    return 2


def _write_half_then_fail(path: Path) -> int:
    path.write_text("email\nada@analytical.example\n")
    raise RuntimeError("the export failed halfway")


def _sent(request: Request) -> Response:
    return file_download(_write_rows, filename="leads.csv", media_type="text/csv")


def _failed(request: Request) -> Response:
    return file_download(_write_half_then_fail, filename="leads.csv")


def _get(path: str) -> httpx.Response:
    """GET `path` from an app with both routes, in process."""
    app = Starlette(routes=[Route("/sent", _sent), Route("/failed", _failed)])

    async def get() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get(path)

    # A thread of its own: a browser test before this one may have left an event loop here.
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(anyio.run, get).result()


@pytest.fixture
def temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where temporary folders are made during the test (empty at first)."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def test_a_download_is_sent_and_its_folder_removed(temporary: Path) -> None:
    answer = _get("/sent")
    assert answer.status_code == 200
    assert answer.text == "email\nada@analytical.example\ngrace@navy.example\n"
    assert answer.headers["x-rows"] == "2"
    assert answer.headers["content-type"].startswith("text/csv")
    assert 'filename="leads.csv"' in answer.headers["content-disposition"]
    assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert answer.headers["cache-control"] == "no-store"
    assert list(temporary.iterdir()) == []


def test_a_download_that_fails_to_write_leaves_nothing(temporary: Path) -> None:
    assert _get("/failed").status_code == 500
    assert list(temporary.iterdir()) == []
    with pytest.raises(RuntimeError, match="halfway"):
        file_download(_write_half_then_fail, filename="leads.csv")
    assert list(temporary.iterdir()) == []
