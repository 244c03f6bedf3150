"""Logs never carry an email address or a phone number."""

from __future__ import annotations

import json
import logging

import pytest
import structlog

from leadrank.kit.logs import configure_logging, mask_text


def test_emails_and_phones_are_masked() -> None:
    text = "from ann.lee@acme.com, call +1 646-337-9106 or (555) 123-4567; order 42"
    assert mask_text(text) == "from a***@acme.com, call +*********06 or (********67; order 42"


def test_log_lines_are_json_with_values_masked(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO")
    try:
        structlog.get_logger("test").info(
            "lead updated", email="bo@acme.io", request_id="1234567890abcdef", status=200
        )
        line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    finally:
        structlog.reset_defaults()
    assert line["email"] == "b***@acme.io" and line["request_id"] == "1234567890abcdef"
    assert line["event"] == "lead updated" and line["level"] == "info" and "timestamp" in line


def test_library_records_and_their_tracebacks_are_masked_json(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("INFO")
    try:
        try:
            raise ValueError("duplicate key (email)=(ann.lee@acme.com) phone +1 646-337-9106")
        except ValueError:
            # What uvicorn writes when an error escapes the app, and a database error quotes
            # the record it refused.
            logging.getLogger("uvicorn.error").exception("Exception in ASGI application")
        logging.getLogger("sqlalchemy").warning("refused bo@acme.io")
        lines = [json.loads(line) for line in capsys.readouterr().err.strip().splitlines()]
    finally:
        structlog.reset_defaults()
    text = json.dumps(lines)
    assert "ann.lee@acme.com" not in text and "646-337-9106" not in text and "bo@acme" not in text
    error, warning = lines
    assert error["event"] == "Exception in ASGI application" and error["level"] == "error"
    assert "Traceback" in error["exception"] and "a***@acme.com" in error["exception"]
    assert error["logger"] == "uvicorn.error" and warning["event"] == "refused b***@acme.io"
