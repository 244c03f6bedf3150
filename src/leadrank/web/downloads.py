"""Files the pages send for download (exports, quarantines): each written into a temporary
folder of its own, which is gone once the file is sent, or at once when writing it fails, so
no copy of the workspace's data stays behind on the server's disk."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import anyio
from starlette.responses import FileResponse
from starlette.types import Receive, Scope, Send

from leadrank.web.responses import PAGE_HEADERS


class _TemporaryFile(FileResponse):
    """A file response that removes the file's folder when sending ends, however it ends (a
    background task would not run when the client goes away mid-file)."""

    def __init__(
        self, path: Path, *, folder: Path, filename: str, media_type: str | None, rows: int
    ) -> None:
        headers = {**PAGE_HEADERS, "X-Rows": str(rows)}
        super().__init__(path, media_type=media_type, filename=filename, headers=headers)
        self.folder = folder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            await anyio.to_thread.run_sync(_remove, self.folder)


def file_download(
    write: Callable[[Path], int], *, filename: str, media_type: str | None = None
) -> FileResponse:
    """The file `write(path)` writes, sent as `filename` with the page headers and the rows
    `write` returns as X-Rows; its folder is removed once sent, or at once if `write` fails."""
    folder = Path(tempfile.mkdtemp(prefix="leadrank-download-"))
    path = folder / filename
    try:
        rows = write(path)
    except BaseException:
        _remove(folder)
        raise
    return _TemporaryFile(path, folder=folder, filename=filename, media_type=media_type, rows=rows)


def _remove(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
