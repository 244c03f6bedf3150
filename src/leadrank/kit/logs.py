"""Structured JSON logs, one object a line, with emails and phone numbers masked wherever
they appear in an event, so a log never carries a person's address: in its values, in request
paths (`/leads/ann@acme.com`), and in the text of exceptions and tracebacks, whether leadrank
logged them or a library did (a database error quotes the record it refused)."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog

# Any script: józef.nowak@acme.pl and ann@münchen.de are addresses too.
_EMAIL = re.compile(r"([\w.%+\-])[\w.%+\-]*@([\w\-]+(?:\.[\w\-]+)*\.[^\W\d_]{2,})")
_PHONE = re.compile(r"\+?\d[\d\s().\-]{5,}\d")


def mask_text(text: str) -> str:
    """ "ann.lee@acme.com" -> "a***@acme.com"; "+1 646-337-9106" -> "+*********06"."""
    text = _EMAIL.sub(r"\1***@\2", text)
    return _PHONE.sub(_masked_phone, text)


def mask_path(path: str) -> str:
    """A request path with the emails and phone numbers in its segments masked; a segment of
    digits alone is an id (`/leads/12345678`), kept. Quick for the paths with nothing to mask
    (nearly all): the access log writes one per request."""
    if "@" not in path and not _PHONE.search(path):
        return path
    return "/".join(
        part if part.isascii() and part.isdigit() else mask_text(part) for part in path.split("/")
    )


def _masked_phone(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group())
    if len(digits) < 7:
        return match.group()
    return ("+" if match.group().startswith("+") else "") + "*" * (len(digits) - 2) + digits[-2:]


# Values leadrank writes itself and that hold no one's details (an id may look like digits).
_OWN_KEYS = frozenset(("request_id", "timestamp", "level", "method", "status", "ms"))


def _mask_values(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> Mapping[str, Any]:
    return {
        key: (mask_path if key == "path" else mask_text)(value)
        if isinstance(value, str) and key not in _OWN_KEYS
        else value
        for key, value in event.items()
    }


class _Stderr:
    """sys.stderr as it is when a line is written, not when logging was configured (a
    command run in-process by a test writes to that test's capture)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


_STDERR = _Stderr()


def configure_logging(level: str = "INFO") -> None:
    """JSON lines on stderr at `level`, for leadrank's loggers and the libraries'."""
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        numeric = logging.INFO
    # The libraries' records (uvicorn's "Exception in ASGI application" and its traceback
    # among them) become the same masked JSON lines as leadrank's own.
    handler = logging.StreamHandler(_STDERR)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[
                structlog.stdlib.add_logger_name,
                structlog.processors.add_log_level,
                structlog.processors.TimeStamper(fmt="iso", utc=True),
            ],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                _mask_values,
                structlog.processors.JSONRenderer(),
            ],
        )
    )
    logging.basicConfig(handlers=[handler], level=numeric, force=True)
    # uvicorn, when it configured its loggers itself, gave them plain-text handlers of their
    # own: their lines come here instead.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    logging.getLogger("alembic").setLevel(logging.WARNING)  # its schema checks are not news
    # httpx logs every request's URL at INFO, and vendor URLs carry emails in their query
    # strings: its lines bypass the masking above, so only its warnings get through.
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(max(numeric, logging.WARNING))
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            _mask_values,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(_STDERR),  # type: ignore[arg-type]
        cache_logger_on_first_use=True,
    )
