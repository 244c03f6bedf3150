"""The page filters that format values alike on every page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leadrank.web.templating import environment

START = datetime(2026, 12, 6, 11, 40, tzinfo=UTC)


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (0.42, "0.4 s"),
        (9.94, "9.9 s"),
        (42.3, "42 s"),
        (65, "1 min 5 s"),
        (3_599, "59 min 59 s"),
        (2 * 3_600 + 3 * 60 + 20, "2 h 3 min"),
        (-3, "0.0 s"),  # clocks a little apart: never a negative time
    ],
)
def test_a_duration_reads_in_its_largest_units(seconds: float, shown: str) -> None:
    template = environment().from_string("{{ start|duration(end) }}")
    assert template.render(start=START, end=START + timedelta(seconds=seconds)) == shown


def test_a_duration_not_known_yet_shows_a_dash() -> None:
    template = environment().from_string("{{ start|duration(end) }}")
    assert template.render(start=START, end=None) == "—"
    assert template.render(start=None, end=START) == "—"
