"""The charts of a model's evaluation, specified with Altair: ROC, calibration with its bin
sizes, cumulative gains, lift at the top shares, and feature importance.

The training report and the web app's model page draw the same charts: each function returns
an Altair chart, which `leadrank.kit.charts.svg` renders to SVG. Altair is imported inside the
functions (it costs half a second), so importing this module is free. A curve that cannot be
drawn (one class in the split, no positives) is a chart that says why, never an error.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from leadrank.kit.charts import ACCENT, INK, MUTED, NEGATIVE
from leadrank.training.evaluation import Evaluation

if TYPE_CHECKING:
    import altair as alt

WIDTH = 320  # the plot area; axes and legends add about 60 px
HEIGHT = 240
HISTOGRAM_HEIGHT = 56
TOP_IMPORTANCES = 20
BAR_STEP = 20  # px per feature in the importance chart
ONE_CLASS = "undefined: only one class in the held-out split"
NO_POSITIVES = "undefined: no positives in the held-out split"
_DASHED = [5, 4]
_FAINT = "#b8bec8"  # a second reference line, quieter than the first
_SOLID = [1, 0]


def roc_chart(evaluation: Evaluation) -> alt.TopLevelMixin:
    """True against false positive rate as the threshold falls, beside a coin toss."""
    curve = [(x, y) for x, y in evaluation.roc_curve]
    model = f"model (AUC {evaluation.roc_auc:.3f})" if evaluation.roc_auc is not None else "model"
    return _unit_chart(
        "ROC curve",
        x_title="false positive rate",
        y_title="true positive rate",
        series=[(model, curve), ("random", [(0.0, 0.0), (1.0, 1.0)])],
        note=None if curve else ONE_CLASS,
    )


def gains_chart(evaluation: Evaluation) -> alt.TopLevelMixin:
    """The share of positives captured by contacting the top share of leads."""
    curve = [(x, y) for x, y in evaluation.gains_curve]
    perfect = [(0.0, 0.0), (evaluation.base_rate, 1.0), (1.0, 1.0)] if evaluation.positives else []
    series = [("model", curve), ("random", [(0.0, 0.0), (1.0, 1.0)])]
    if perfect:
        series.append(("perfect", perfect))
    return _unit_chart(
        "Cumulative gains",
        x_title="share of leads contacted, best first",
        y_title="share of positives captured",
        series=series,
        note=None if curve else NO_POSITIVES,
        percent=True,
    )


def calibration_chart(evaluation: Evaluation) -> alt.TopLevelMixin:
    """Observed rate against mean predicted probability per band (dot area: rows in the
    band), above the number of rows in each band."""
    import altair as alt

    bins: list[dict[str, Any]] = [
        {
            "lower": b.lower,
            "upper": b.upper,
            "predicted": b.mean_predicted,
            "observed": b.observed_rate,
            "rows": b.rows,
            "note": (
                f"{b.lower:.1f}–{b.upper:.1f}: {b.rows:,} rows, predicted "
                f"{b.mean_predicted:.3f}, observed {b.observed_rate:.3f}"
            ),
        }
        for b in evaluation.calibration
    ]
    heaviest = max((b["rows"] for b in bins), default=1)
    # A rare outcome's probabilities fill the first bands only: the axes end at the last band
    # with rows (and the highest observed rate), so the dots are not squeezed into a corner.
    x_max = max((b["upper"] for b in bins), default=1.0)
    y_max = _tenths_above(max([x_max, *(b["observed"] for b in bins)]))
    x_scale = alt.Scale(domain=[0, x_max], nice=False)
    y_scale = alt.Scale(domain=[0, y_max], nice=False)
    top = _unit_chart(
        None,
        x_title=None,
        y_title="observed rate",
        series=[
            ("model", [(b["predicted"], b["observed"]) for b in bins]),
            ("perfect", [(0.0, 0.0), (x_max, x_max)]),
        ],
        note=None,
        x_max=x_max,
        y_max=y_max,
    )
    dots = (
        alt.Chart(_data(bins))
        .mark_circle(color=ACCENT, opacity=0.55, stroke="#1e40af", strokeWidth=1)
        .encode(
            x=alt.X("predicted:Q", scale=x_scale),
            y=alt.Y("observed:Q", scale=y_scale),
            # area, not radius, follows the rows: a band with 4x the rows does not look 16x
            size=alt.Size(
                "rows:Q", scale=alt.Scale(domain=[0, heaviest], range=[16, 360]), legend=None
            ),
            description=alt.Description("note:N"),
            tooltip=alt.Tooltip("note:N"),
        )
    )
    sizes = (
        alt.Chart(_data(bins), height=HISTOGRAM_HEIGHT, width=WIDTH)
        .mark_bar(color=MUTED, opacity=0.5, stroke="white", strokeWidth=1)
        .encode(
            x=alt.X(
                "lower:Q",
                scale=x_scale,
                title="mean predicted probability",
                axis=alt.Axis(format=".2~f", tickCount=5),
            ),
            x2="upper:Q",
            y=alt.Y("rows:Q", title="rows", scale=alt.Scale(zero=True), axis=alt.Axis(tickCount=2)),
            y2=alt.datum(0),  # bars from the floor: x and x2 alone would draw them lying down
            description=alt.Description("note:N"),
        )
    )
    legends = alt.LegendResolveMap(color="independent", strokeDash="independent")
    return alt.vconcat(
        alt.layer(top, dots, width=WIDTH, height=HEIGHT),
        sizes,
        spacing=6,
        title="Calibration",
        resolve=alt.Resolve(legend=legends),
    )


def lift_chart(evaluation: Evaluation) -> alt.TopLevelMixin:
    """How many times the base rate the top 5%, 10%, ... of leads convert at."""
    import altair as alt

    points: list[dict[str, Any]] = [
        {
            "top": f"top {p.share:.0%}",
            "lift": p.lift,
            "label": f"{p.lift:.1f}×",
            "note": f"top {p.share:.0%}: {p.rows:,} rows, precision {p.precision:.3f}, "
            f"lift {p.lift:.2f}",
        }
        for p in evaluation.lift
        if p.lift is not None
    ]
    order = [f"top {p.share:.0%}" for p in evaluation.lift]
    x = alt.X("top:N", sort=order, title="leads contacted, best first", axis=alt.Axis(labelAngle=0))
    y = alt.Y("lift:Q", title="lift (× the base rate)", scale=alt.Scale(zero=True))
    bars = (
        alt.Chart(_data(points))
        .mark_bar(color=ACCENT, size=34)
        .encode(x=x, y=y, description=alt.Description("note:N"), tooltip=alt.Tooltip("note:N"))
    )
    labels = (
        alt.Chart(_data(points))
        .mark_text(dy=-7, color=INK, fontSize=11, fontWeight=600)
        .encode(x=x, y=y, text="label:N")
    )
    random = (
        alt.Chart(_data([{"lift": 1.0, "label": "random (1×)"}]))
        .mark_rule(color=MUTED, strokeDash=_DASHED, strokeWidth=1.5)
        .encode(y="lift:Q")
    )
    layers: list[Any] = [bars, labels, random]
    if not points:
        layers.append(_note(NO_POSITIVES))
    title = alt.Title(
        "Lift", subtitle="dashed line: leads taken at random (1×)", subtitleColor=MUTED
    )
    return alt.layer(*layers).properties(title=title, width=WIDTH, height=HEIGHT)


def importance_chart(
    importances: Sequence[tuple[str, float]], *, top: int = TOP_IMPORTANCES
) -> alt.TopLevelMixin:
    """The `top` features by the size of their importance, largest first (a negative one in
    red); shares are shown as percentages."""
    import altair as alt

    chosen = sorted(importances, key=lambda item: -abs(item[1]))[:top]
    shares = all(0 <= value <= 1 for _, value in chosen)
    rows = [
        {
            "feature": name,
            "importance": value,
            "sign": "negative" if value < 0 else "positive",
            "label": f"{value:.1%}" if shares else f"{value:,.4g}",
        }
        for name, value in chosen
    ]
    for row in rows:
        row["note"] = f"{row['feature']}: {row['label']}"
    y = alt.Y(
        "feature:N",
        sort=[name for name, _ in chosen],
        title=None,
        axis=alt.Axis(labelLimit=220, labelColor=INK, ticks=False, domain=False),
    )
    x = alt.X(
        "importance:Q",
        title="share of the model's decisions" if shares else "importance",
        axis=alt.Axis(format=".0%" if shares else "~g", tickCount=4),
    )
    colour = alt.Color(
        "sign:N",
        scale=alt.Scale(domain=["positive", "negative"], range=[ACCENT, NEGATIVE]),
        legend=None,
    )
    base = alt.Chart(_data(rows))
    bars = base.mark_bar(height=13).encode(
        x=x, y=y, color=colour, description=alt.Description("note:N")
    )
    labels = base.mark_text(align="left", dx=4, color=MUTED, fontSize=11).encode(
        x=x, y=y, text="label:N"
    )
    height = max(BAR_STEP * len(rows), BAR_STEP * 2)
    chart = alt.layer(bars, labels).properties(
        title="Feature importance", width=WIDTH, height=height
    )
    if rows:
        return chart
    return alt.layer(bars, _note("no importances recorded", height=BAR_STEP * 2)).properties(
        title="Feature importance", width=WIDTH, height=BAR_STEP * 2
    )


def _unit_chart(
    title: str | None,
    *,
    x_title: str | None,
    y_title: str,
    series: list[tuple[str, list[tuple[float, float]]]],
    note: str | None,
    percent: bool = False,
    x_max: float = 1.0,
    y_max: float = 1.0,
) -> alt.LayerChart:
    """Lines on [0, 1]² (or [0, x_max] × [0, y_max]); the first series is the model (solid,
    accent), the rest references (dashed, grey)."""
    import altair as alt

    names = [name for name, _ in series]
    values = [
        {"series": name, "x": x, "y": y, "i": i}
        for name, points in series
        for i, (x, y) in enumerate(points)
    ]
    axis = alt.Axis(format=".0%" if percent else ".2~f", tickCount=5)
    lines = (
        alt.Chart(_data(values))
        .mark_line(strokeWidth=2, interpolate="linear")
        .encode(
            x=alt.X(
                "x:Q", scale=alt.Scale(domain=[0, x_max], nice=False), title=x_title, axis=axis
            ),
            y=alt.Y(
                "y:Q", scale=alt.Scale(domain=[0, y_max], nice=False), title=y_title, axis=axis
            ),
            order=alt.Order("i:Q"),  # a ROC curve climbs straight up: keep the points' order
            color=alt.Color(
                "series:N",
                scale=alt.Scale(domain=names, range=[ACCENT, MUTED, _FAINT][: len(names)]),
                legend=alt.Legend(title=None, orient="bottom-right", fillColor="white", padding=4),
            ),
            strokeDash=alt.StrokeDash(
                "series:N",
                scale=alt.Scale(domain=names, range=[_SOLID, _DASHED, _DASHED][: len(names)]),
                legend=None,
            ),
        )
    )
    layers: list[Any] = [lines]
    if note:
        layers.append(_note(note))
    return alt.LayerChart(
        layer=layers, width=WIDTH, height=HEIGHT, title=title if title else alt.Undefined
    )


def _tenths_above(value: float) -> float:
    """The tenth at or above `value`, from 0.1 to 1: 0.23 -> 0.3."""
    return min(1.0, max(0.1, math.ceil(round(value * 10, 6)) / 10))


def _data(values: Sequence[dict[str, Any]]) -> alt.InlineData:
    """Rows for a chart, inline in its spec (the SVG is drawn from the spec alone)."""
    import altair as alt

    return alt.InlineData(values=list(values))


def _note(text: str, *, height: int = HEIGHT) -> alt.Chart:
    """A sentence in the middle of the plot, in red: why there is nothing to draw."""
    import altair as alt

    note: alt.Chart = (
        alt.Chart(_data([{"note": text}]))
        .mark_text(color=NEGATIVE, fontSize=12, x=WIDTH / 2, y=height / 2)
        .encode(text="note:N")
    )
    return note
