"""The Jinja2 environment of the pages: autoescaping on for every template (a lead named
`<script>` shows as text), and the filters that format numbers, shares and times alike on
every page."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from leadrank import __version__


def number(value: Any, digits: int = 0) -> str:
    """1234.5 as "1,235" (or with `digits` decimals); "—" for nothing."""
    if value is None:
        return "—"
    return f"{float(value):,.{digits}f}"


def percent(value: Any, digits: int = 0) -> str:
    """0.123 as "12%"; "—" for nothing."""
    if value is None:
        return "—"
    return f"{float(value) * 100:.{digits}f}%"


def when(value: datetime | None) -> str:
    """A moment as "2026-12-06 11:40" in UTC; "—" for nothing."""
    if value is None:
        return "—"
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d %H:%M")


def ago(value: datetime | None, now: datetime | None = None) -> str:
    """How long ago, in the largest whole unit: "3 d ago"; "—" for nothing."""
    if value is None:
        return "—"
    moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    seconds = ((now or datetime.now(UTC)) - moment).total_seconds()
    if seconds < 0:
        return when(value)
    for size, unit in ((86_400 * 365, "y"), (86_400, "d"), (3_600, "h"), (60, "min")):
        if seconds >= size:
            return f"{int(seconds // size)} {unit} ago"
    return "just now"


def duration(start: datetime | None, end: datetime | None) -> str:
    """The time from `start` to `end`: "4.2 s", "42 s", "3 min 5 s", "2 h 3 min"; "—" for
    nothing."""
    if start is None or end is None:
        return "—"
    seconds = max((end - start).total_seconds(), 0.0)
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest} s"
    return f"{minutes // 60} h {minutes % 60} min"


@cache
def environment() -> Environment:
    """The one template environment of the process (built at first use, not at import)."""
    env = Environment(
        loader=PackageLoader("leadrank.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,  # a misspelt name fails a test instead of showing nothing
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(number=number, percent=percent, when=when, ago=ago, duration=duration)
    env.globals["version"] = __version__
    return env
