"""Reading the SVG charts Vega draws, for tests: each chart parsed as XML (so a malformed
one fails), its title, and its marks with the words Vega gives them for screen readers."""

from __future__ import annotations

import re
from xml.etree import ElementTree

SVG = "{http://www.w3.org/2000/svg}"


def charts_in(html: str) -> list[ElementTree.Element]:
    """Every inline SVG of a page, parsed."""
    return [ElementTree.fromstring(svg) for svg in re.findall(r"<svg.*?</svg>", html, re.DOTALL)]


def title_of(chart: ElementTree.Element) -> str | None:
    """The chart's title as drawn."""
    for group in chart.iter(f"{SVG}g"):
        if "role-title-text" in group.get("class", ""):
            return group.findtext(f"{SVG}text")
    return None


def marks(chart: ElementTree.Element, kind: str) -> list[ElementTree.Element]:
    """The marks of one kind ("circle", "bar", "line mark", ...), in drawing order."""
    return [e for e in chart.iter() if e.get("aria-roledescription") == kind]


def labels(chart: ElementTree.Element, kind: str) -> list[str]:
    """What each mark of `kind` says about itself."""
    return [e.get("aria-label", "") for e in marks(chart, kind)]


def texts(chart: ElementTree.Element) -> list[str]:
    """Every text drawn in the chart (axis labels, notes, values)."""
    return [e.text or "" for e in chart.iter(f"{SVG}text")]


def radius(mark: ElementTree.Element) -> float:
    """A circle mark's radius, from its path ("M9.5,0A9.5,9.5,...")."""
    found = re.match(r"M([\d.]+),0A", mark.get("d", ""))
    assert found, mark.get("d")
    return float(found.group(1))


def bar_length(mark: ElementTree.Element) -> float:
    """A horizontal bar's length, from its path ("M0,3.5h320v13h-320Z")."""
    found = re.match(r"M[\d.-]+,[\d.-]+h([\d.]+)v", mark.get("d", ""))
    assert found, mark.get("d")
    return float(found.group(1))
