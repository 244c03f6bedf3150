"""The access log line is the one structlog's chain would write for the same request."""

from __future__ import annotations

import json

import pytest
import structlog

from leadrank.api.access_log import AccessLog
from leadrank.kit.logs import configure_logging

REQUEST = {
    "request_id": "0f3c9a",
    "method": "POST",
    "path": '/api/v1/leads/ann.lee@acme.com/"quoted"/café',
    "status": 422,
    "ms": 0.37,
}


def _without_time(line: str) -> str:
    parsed = json.loads(line)
    assert parsed["timestamp"].endswith("Z") and parsed["timestamp"][:2] == "20"
    return line.rsplit(', "timestamp": ', 1)[0]


def test_the_line_is_the_one_structlog_renders(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO")
    try:
        structlog.get_logger("leadrank.api").info("request", **REQUEST)
        AccessLog(enabled=True).write(**REQUEST)  # type: ignore[arg-type]
        structlogs, ours = capsys.readouterr().err.strip().splitlines()[-2:]
    finally:
        structlog.reset_defaults()
    assert _without_time(ours) == _without_time(structlogs)
    assert json.loads(ours)["path"] == '/api/v1/leads/a***@acme.com/"quoted"/café'


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        ("/api/v1/leads/john.miller@urbansphere.io", "/api/v1/leads/j***@urbansphere.io"),
        ("/leads/+12025550101", "/leads/+*********01"),
        ("/api/v1/leads/42", "/api/v1/leads/42"),
        ("/api/v1/leads/12345678", "/api/v1/leads/12345678"),  # an id, not a phone
        ("/api/v1/leads/202-555-0101", "/api/v1/leads/********01"),
        ("/api/v1/leads/józef.nowak@acme.pl", "/api/v1/leads/j***@acme.pl"),
        ("/api/v1/leads/ann@münchen.de", "/api/v1/leads/a***@münchen.de"),
        ("/api/v1/scoring/score", "/api/v1/scoring/score"),
    ],
)
def test_paths_are_logged_with_emails_and_phones_masked(
    capsys: pytest.CaptureFixture[str], path: str, logged: str
) -> None:
    AccessLog(enabled=True).write("1", "GET", path, 200, 0.1)
    assert json.loads(capsys.readouterr().err)["path"] == logged


@pytest.mark.parametrize(
    ("enabled", "level", "writes"),
    [(True, "INFO", True), (True, "DEBUG", True), (True, "ERROR", False), (False, "INFO", False)],
)
def test_written_only_when_on_and_info_passes(
    capsys: pytest.CaptureFixture[str], enabled: bool, level: str, writes: bool
) -> None:
    AccessLog.for_level(enabled=enabled, level=level).write(**REQUEST)  # type: ignore[arg-type]
    assert bool(capsys.readouterr().err) == writes


def test_a_buffered_log_writes_once_a_flush_or_a_full_buffer(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from leadrank.api.access_log import BUFFERED_LINES

    log = AccessLog(enabled=True, buffered=True)
    log.write(**REQUEST)  # type: ignore[arg-type]
    assert capsys.readouterr().err == ""
    log.flush()
    assert json.loads(capsys.readouterr().err)["request_id"] == REQUEST["request_id"]
    for _ in range(BUFFERED_LINES):
        log.write(**REQUEST)  # type: ignore[arg-type]
    assert len(capsys.readouterr().err.splitlines()) == BUFFERED_LINES
