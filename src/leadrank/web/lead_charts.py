"""The charts of the lead and account pages, specified with Altair and drawn to SVG on the
server (`kit.charts.svg`): a lead's reasons as bars of their points, its score over time over
the grade bands, and an account's leads by grade. Altair is imported inside each function: it
costs half a second, which only a page with a chart should pay."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from leadrank.grades import GradeScale
from leadrank.kit.charts import GRADE_COLOURS, MUTED, NEGATIVE, POSITIVE, svg
from leadrank.scoring.reasons import signed_points

WIDTH = 560  # of the score history, in the main column at 1280 px
LABEL_CHARS = 60  # longer reasons are cut on the axis; the list beside the chart has them whole


@dataclass(frozen=True)
class Reason:
    """One reason: its words, and its points when it has them (+ for, - against)."""

    text: str
    points: float | None

    @property
    def shown_points(self) -> str:
        """ "+30", "-8", "+0.4": the points as the reason wrote them."""
        if self.points is None:
            return ""
        return signed_points(self.points, -1 if self.points < 0 else 1)


def reasons_chart(reasons: Sequence[Reason]) -> str | None:
    """The reasons with points as horizontal bars, for in green and against in red, the
    strongest first; None when no reason has points."""
    import altair as alt

    rows = _bar_rows(reasons)
    if not rows:
        return None
    data = alt.InlineData(values=rows)
    y = alt.Y(
        "label:N",
        sort=[row["label"] for row in rows],  # a list: layers of filtered data keep it
        title=None,
        axis=alt.Axis(labelLimit=300, labelFontSize=12, labelColor="#374151", ticks=False),
    )
    x = alt.X(
        "points:Q",
        title="points",
        scale=alt.Scale(domainMid=0, nice=True),
        axis=alt.Axis(tickCount=5, grid=True),
    )
    colour = alt.Color(
        "side:N",
        scale=alt.Scale(domain=["for", "against"], range=[POSITIVE, NEGATIVE]),
        legend=None,
    )
    # No rounded corners: they add clip paths whose ids clash between charts of one page.
    bars = alt.Chart(data).mark_bar(height=16).encode(x=x, y=y, color=colour)
    shown = alt.Text("shown:N")
    right = (
        alt.Chart(data)
        .transform_filter("datum.points >= 0")
        .mark_text(align="left", dx=4, fontSize=11, fontWeight=600, color=POSITIVE)
        .encode(x=x, y=y, text=shown)
    )
    # Against: labelled just right of zero, where no axis label can be under it.
    left = (
        alt.Chart(data)
        .transform_filter("datum.points < 0")
        .mark_text(align="left", dx=4, fontSize=11, fontWeight=600, color=NEGATIVE)
        .encode(x=alt.datum(0), y=y, text=shown)
    )
    zero = alt.Chart(alt.InlineData(values=[{"x": 0}])).mark_rule(color=MUTED).encode(x="x:Q")
    chart = alt.layer(bars, right, left, zero).properties(width=340, height=alt.Step(26))
    return svg(chart)


def _bar_rows(reasons: Sequence[Reason]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    ordered = sorted((r for r in reasons if r.points is not None), key=lambda r: -(r.points or 0))
    for reason in ordered:
        label = _label(reason.text)
        if label in seen:  # one bar per label: bars of one label would be drawn as one
            continue
        seen.add(label)
        points = reason.points or 0.0
        rows.append(
            {
                "label": label,
                "points": points,
                "shown": reason.shown_points,
                "side": "for" if points >= 0 else "against",
            }
        )
    return rows


def _label(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1].rstrip() + "…"


@dataclass(frozen=True)
class ScorePoint:
    """One served score of a lead's history."""

    at: datetime
    score: float
    grade: str


def history_chart(points: Sequence[ScorePoint], scale: GradeScale) -> str | None:
    """The lead's score over time as a line over the grade bands; None with no score."""
    import altair as alt

    if not points:
        return None
    bounds = [("A", scale.a, 100.0), ("B", scale.b, scale.a), ("C", scale.c, scale.b)]
    bounds += [("D", scale.d, scale.c), ("E", 0.0, scale.d)]
    bands = alt.InlineData(
        values=[
            {"grade": g, "low": low, "high": high, "middle": (low + high) / 2}
            for g, low, high in bounds
        ]
    )
    grade_colour = alt.Color(
        "grade:N",
        scale=alt.Scale(domain=list(GRADE_COLOURS), range=list(GRADE_COLOURS.values())),
        legend=None,
    )
    y_scale = alt.Scale(domain=[0, 100], nice=False)
    background = (
        alt.Chart(bands)
        .mark_rect(opacity=0.09)
        .encode(
            y=alt.Y("low:Q", scale=y_scale, title="score"),
            y2="high:Q",
            color=grade_colour,
        )
    )
    letters = (
        alt.Chart(bands)
        .mark_text(align="left", dx=8, fontSize=11, fontWeight=700)
        .encode(
            y=alt.Y("middle:Q", scale=y_scale),
            x=alt.value(WIDTH),  # beside the plot, where no point can hide it
            text="grade:N",
            color=grade_colour,
        )
    )
    values = alt.InlineData(
        values=[
            {"at": p.at.isoformat(), "score": round(p.score, 1), "grade": p.grade} for p in points
        ]
    )
    x = alt.X(
        "at:T",
        title=None,
        scale=alt.Scale(padding=12),
        axis=alt.Axis(format=_time_format(points), labelAngle=0, tickCount=min(6, len(points))),
    )
    line = (
        alt.Chart(values)
        .mark_line(color="#111827", strokeWidth=2, interpolate="monotone")
        .encode(x=x, y=alt.Y("score:Q", scale=y_scale))
    )
    dots = (
        alt.Chart(values)
        .mark_point(filled=True, size=60, opacity=1, stroke="white", strokeWidth=1.5)
        .encode(x=x, y=alt.Y("score:Q", scale=y_scale), color=grade_colour)
    )
    chart = alt.layer(background, letters, line, dots).properties(width=WIDTH, height=190)
    return svg(chart)


def _time_format(points: Sequence[ScorePoint]) -> str:
    """Labels that tell the scores apart: days over a long history, seconds over a short one."""
    span = (max(p.at for p in points) - min(p.at for p in points)).total_seconds()
    if span >= 3 * 86_400:
        return "%d %b"
    if span >= 3_600:
        return "%d %b %H:%M"
    return "%H:%M:%S"


def grades_chart(counts: dict[str, int]) -> str | None:
    """How many leads have each grade, as bars in the grades' colours; None with none."""
    import altair as alt

    if not any(counts.values()):
        return None
    data = alt.InlineData(values=[{"grade": g, "leads": counts.get(g, 0)} for g in GRADE_COLOURS])
    colour = alt.Color(
        "grade:N",
        scale=alt.Scale(domain=list(GRADE_COLOURS), range=list(GRADE_COLOURS.values())),
        legend=None,
    )
    y = alt.Y("grade:N", title=None, sort=list(GRADE_COLOURS), axis=alt.Axis(ticks=False))
    most = max(counts.values())
    ticks = alt.Axis(values=list(range(most + 1))) if most <= 8 else alt.Axis(format="d")
    x = alt.X("leads:Q", title="leads", axis=ticks)
    # No rounded corners: they add clip paths whose ids clash between charts of one page.
    bars = alt.Chart(data).mark_bar(height=16).encode(x=x, y=y, color=colour)
    labels = (
        alt.Chart(data)
        .transform_filter("datum.leads > 0")
        .mark_text(align="left", dx=4, fontSize=11, fontWeight=600, color="#111827")
        .encode(x=x, y=y, text="leads:Q")
    )
    return svg(alt.layer(bars, labels).properties(width=220, height=alt.Step(24)))
