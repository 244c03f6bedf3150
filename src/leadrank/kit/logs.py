"""Structured JSON logs, one object a line, with emails and phone numbers masked wherever
they appear in an event, so a log never carries a person's address."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog

_EMAIL = re.compile(r"([A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]*@([A-Za-z0-9.\-]+\.[A-Za-z]{2,})")
_PHONE = re.compile(r"\+?\d[\d\s().\-]{5,}\d")


def mask_text(text: str) -> str:
    """ "ann.lee@acme.com" -> "a***@acme.com"; "+1 646-337-9106" -> "+*********06"."""
    text = _EMAIL.sub(r"\1***@\2", text)
    return _PHONE.sub(_masked_phone, text)


def _masked_phone(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group())
    if len(digits) < 7:
        return match.group()
    return ("+" if match.group().startswith("+") else "") + "*" * (len(digits) - 2) + digits[-2:]


# Values leadrank writes itself and that hold no one's details (an id may look like digits).
_OWN_KEYS = frozenset(("request_id", "timestamp", "level", "method", "path", "status", "ms"))


def _mask_values(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> Mapping[str, Any]:
    return {
        key: mask_text(value) if isinstance(value, str) and key not in _OWN_KEYS else value
        for key, value in event.items()
    }


def configure_logging(level: str = "INFO") -> None:
    """JSON lines on stderr at `level`, for leadrank's loggers and the libraries'."""
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        numeric = logging.INFO
    logging.basicConfig(format="%(message)s", stream=sys.stderr, level=numeric, force=True)
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
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )
