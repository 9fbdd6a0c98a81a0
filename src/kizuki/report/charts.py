"""Plotly figures for the report, as JSON that the page draws with the embedded plotly.js.

Figures are built from small result tables (one row per day, or per day and stage), never from
raw events. A chart over days or weeks marks the periods the data covers only in part
(:class:`Partial`): a grey band with a short label, lighter bars and a dashed line into the
point, and the reason in the hover text, so that a half week does not read as a collapse.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "FONT_FAMILY",
    "Chart",
    "Partial",
    "bar_line_chart",
    "heatmap_chart",
    "iceberg_chart",
    "lines_chart",
    "plotly_js",
    "rates_chart",
    "risk_chart",
    "stacked_bars_chart",
]

#: The report's font stack; Japanese fonts first so that kana and kanji render everywhere.
FONT_FAMILY = '"Hiragino Sans", "Noto Sans JP", "IPAPGothic", "IPAGothic", "Yu Gothic", sans-serif'

_PALETTE = ("#2f6f8f", "#e07a3f", "#5a9e5a", "#b04a6b", "#7a68b3", "#c9a227", "#3fa7a0", "#8c8c8c")


@dataclass(frozen=True)
class Chart:
    """A figure to draw in element ``chart_id``: its Plotly JSON (``{"data", "layout"}``), and a
    note to print under it (e.g. what the marked partial periods are)."""

    chart_id: str
    figure_json: str
    note: str = ""


@dataclass(frozen=True)
class Partial:
    """Periods of a date axis to mark as partial: x value (an ISO date) -> (a short label drawn
    on the plot, the hover note); ``days`` is the length of one period (1 or 7)."""

    marks: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    days: int = 1


def plotly_js() -> str:
    """The plotly.js bundle shipped with the plotly package (works offline, ~4.8 MB)."""
    from plotly.offline import get_plotlyjs

    return str(get_plotlyjs())


#: Legend in one horizontal band above the plot: below it, it would collide with rotated or
#: wrapped tick labels and the axis title, whose height plotly only knows once it has drawn them.
_LEGEND_ABOVE = {"orientation": "h", "x": 0, "xanchor": "left", "y": 1.02, "yanchor": "bottom"}

#: Category tick labels wrap at spaces past this many characters, and a line longer than
#: TICK_MAX_CHARS is cut in the middle; the full label stays in the hover text.
TICK_LINE_CHARS = 24
TICK_MAX_CHARS = 36


def _layout(x_title: str, y_title: str, **extra: Any) -> dict[str, Any]:
    return {
        "font": {"family": FONT_FAMILY, "size": 13, "color": "#2b2b2b"},
        # automargin on every axis grows these to fit tick labels and titles
        "margin": {"l": 20, "r": 20, "t": 20, "b": 20},
        "height": 380,
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "hovermode": "x unified",
        "legend": dict(_LEGEND_ABOVE),
        # numeric dates read the same in Japanese and English (plotly's month names are English)
        "xaxis": {
            "title": {"text": x_title},
            "gridcolor": "#eeeeee",
            "type": "date",
            "tickformat": "%m/%d",
            "hoverformat": "%Y-%m-%d",
            "automargin": True,
        },
        "yaxis": {
            "title": {"text": y_title},
            "gridcolor": "#eeeeee",
            "rangemode": "tozero",
            "tickformat": ",d",
            "automargin": True,
        },
        **extra,
    }


def _shorten(text: str, limit: int) -> str:
    """``text`` cut in the middle to ``limit`` characters (a path keeps its first and last part)."""
    if len(text) <= limit:
        return text
    head = (limit - 1) // 2
    return text[:head] + "…" + text[len(text) - (limit - 1 - head) :]


def _tick_label(label: str) -> str:
    """``label`` wrapped at spaces (``<br>``), each line cut in the middle if very long; e.g.
    ``2. /setup/import (csv_import_error)`` -> ``2. /setup/import<br>(csv_import_error)``."""
    lines: list[str] = []
    for word in label.split():
        # a short head such as the rank "2." stays with the word after it
        if lines and (len(lines[-1]) <= 3 or len(lines[-1]) + 1 + len(word) <= TICK_LINE_CHARS):
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(_shorten(line, TICK_MAX_CHARS) for line in lines) or label


def _category_ticks(labels: Sequence[str]) -> dict[str, Any]:
    """Axis settings that show ``labels`` (the categories) as short, wrapped tick labels."""
    return {
        "type": "category",
        "tickmode": "array",
        "tickvals": list(labels),
        "ticktext": [_tick_label(label) for label in labels],
        "automargin": True,
    }


def _to_json(figure: Mapping[str, Any], chart_id: str, note: str = "") -> Chart:
    # "</" would end the <script> element that holds the JSON.
    text = json.dumps(figure, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    return Chart(chart_id, text, note)


#: Opacity of a bar of a partial period (a full one's is 0.8).
_PARTIAL_OPACITY = 0.35


def _mark_partial(layout: dict[str, Any], partial: Partial | None, xs: Sequence[str]) -> None:
    """A grey band with its short label over each partial period among ``xs``."""
    if partial is None:
        return
    half = dt.timedelta(days=partial.days) / 2
    for x in dict.fromkeys(xs):
        if x not in partial.marks:
            continue
        label, note = partial.marks[x]
        middle = dt.datetime.fromisoformat(x)
        layout.setdefault("shapes", []).append(
            {
                "type": "rect",
                "xref": "x",
                "yref": "paper",
                "x0": (middle - half).isoformat(sep=" "),
                "x1": (middle + half).isoformat(sep=" "),
                "y0": 0,
                "y1": 1,
                "fillcolor": "#eeeeee",
                "opacity": 0.6,
                "line": {"width": 0},
                "layer": "below",
            }
        )
        layout.setdefault("annotations", []).append(
            {
                "x": x,
                "xref": "x",
                "y": 1,
                "yref": "paper",
                "yanchor": "top",
                "text": label,
                "hovertext": note,
                "showarrow": False,
                "font": {"size": 11, "color": "#666666"},
            }
        )


def _line_traces(
    name: str,
    xs: Sequence[str],
    ys: Sequence[float],
    color: str,
    partial: Partial | None,
    **extra: Any,
) -> list[dict[str, Any]]:
    """A line; where ``partial`` marks a point, the line into it is dashed and the point is an
    open marker whose hover says why."""
    marks = partial.marks if partial is not None else {}
    line = {"color": color, "width": 2}
    solid = {"type": "scatter", "mode": "lines", "name": name, "legendgroup": name, **extra}
    cut = [x in marks for x in xs]
    if not any(cut):
        return [{**solid, "x": list(xs), "y": list(ys), "line": line}]
    whole = [None if c else y for y, c in zip(ys, cut, strict=True)]
    # the dashed part: each marked point and its neighbours; its hover is the markers'
    near = [any(cut[max(i - 1, 0) : i + 2]) for i in range(len(cut))]
    dashed = [y if n else None for y, n in zip(ys, near, strict=True)]
    traces = [
        {**solid, "x": list(xs), "y": whole, "line": line},
        {**solid, "x": list(xs), "y": dashed, "line": {**line, "dash": "dash"},
         "hoverinfo": "skip", "showlegend": False},
    ]  # fmt: skip
    marked = [i for i, c in enumerate(cut) if c]
    traces.append(
        {
            **solid,
            "mode": "markers",
            "x": [xs[i] for i in marked],
            "y": [ys[i] for i in marked],
            "customdata": [marks[xs[i]][1] for i in marked],
            "marker": {"color": "white", "size": 7, "line": {"color": color, "width": 2}},
            "hovertemplate": name + ": %{y:,.0f}<br>%{customdata}<extra></extra>",
            "showlegend": False,
        }
    )
    return traces


def bar_line_chart(
    chart_id: str,
    x: Sequence[str],
    bars: tuple[str, Sequence[float]],
    line: tuple[str, Sequence[float]],
    *,
    x_title: str,
    partial: Partial | None = None,
    note: str = "",
) -> Chart:
    """Bars on the left axis and a line on the right axis, over the same x values; the
    ``partial`` periods marked."""
    (bar_name, bar_values), (line_name, line_values) = bars, line
    marks = partial.marks if partial is not None else {}
    bar: dict[str, Any] = {
        "type": "bar",
        "name": bar_name,
        "x": list(x),
        "y": list(bar_values),
        "marker": {"color": _PALETTE[0]},
        "opacity": 0.8,
    }
    if any(v in marks for v in x):
        bar["marker"]["opacity"] = [_PARTIAL_OPACITY if v in marks else 1.0 for v in x]
        bar["customdata"] = ["<br>" + marks[v][1] if v in marks else "" for v in x]
        bar["hovertemplate"] = bar_name + ": %{y:,.0f}%{customdata}<extra></extra>"
    data = [
        bar,
        *_line_traces(line_name, x, line_values, _PALETTE[1], partial, yaxis="y2"),
    ]
    layout = _layout(
        x_title,
        bar_name,
        yaxis2={
            "title": {"text": line_name},
            "overlaying": "y",
            "side": "right",
            "rangemode": "tozero",
            "showgrid": False,
            "tickmode": "auto",
            "tickformat": ",d",
            "automargin": True,
        },
    )
    _mark_partial(layout, partial, x)
    return _to_json({"data": data, "layout": layout}, chart_id, note)


def lines_chart(
    chart_id: str,
    series: Mapping[str, tuple[Sequence[str], Sequence[float]]],
    *,
    x_title: str,
    y_title: str,
    partial: Partial | None = None,
    note: str = "",
) -> Chart:
    """One line per series name, each with its own x values; the ``partial`` periods marked."""
    data = [
        trace
        for i, (name, (xs, ys)) in enumerate(series.items())
        for trace in _line_traces(name, xs, ys, _PALETTE[i % len(_PALETTE)], partial)
    ]
    layout = _layout(x_title, y_title)
    # the legend above takes a row per three or four series out of the plot's height
    layout["height"] += 20 * ((len(series) - 1) // 3)
    _mark_partial(layout, partial, [x for xs, _ in series.values() for x in xs])
    return _to_json({"data": data, "layout": layout}, chart_id, note)


def iceberg_chart(
    chart_id: str,
    labels: Sequence[str],
    above: tuple[str, Sequence[float]],
    below: tuple[str, Sequence[float]],
    *,
    y_title: str,
) -> Chart:
    """The iceberg: ``above`` (e.g. contacted) as bars up, ``below`` (silent) as bars down.

    Labels with nothing above or below (a page where nothing was detected) are left out: an
    empty slot says nothing and crowds the others' labels.
    """
    (above_name, above_values), (below_name, below_values) = above, below
    kept = [
        (label, float(a), float(b))
        for label, a, b in zip(labels, above_values, below_values, strict=True)
        if a or b
    ]
    shown = [label for label, _, _ in kept]
    data = [
        {
            "type": "bar",
            "name": above_name,
            "x": shown,
            "y": [a for _, a, _ in kept],
            "marker": {"color": _PALETTE[1]},
            "hovertemplate": "%{x}<br>%{y:,.0f}<extra>" + above_name + "</extra>",
        },
        {
            "type": "bar",
            "name": below_name,
            "x": shown,
            "y": [-b for _, _, b in kept],
            "customdata": [b for _, _, b in kept],
            "hovertemplate": "%{x}<br>%{customdata:,.0f}<extra>" + below_name + "</extra>",
            "marker": {"color": _PALETTE[0]},
        },
    ]
    layout = _layout("", y_title, barmode="relative", hovermode="closest")
    layout["height"] = 420  # room for two-line page labels, turned when they crowd
    layout["xaxis"] = _category_ticks(shown)
    layout["yaxis"] = {
        "title": {"text": y_title},
        "gridcolor": "#eeeeee",
        "tickformat": ",d",
        "automargin": True,
        **_two_sided_ticks(max((a for _, a, _ in kept), default=0.0),
                           max((b for _, _, b in kept), default=0.0)),
    }  # fmt: skip
    return _to_json({"data": data, "layout": layout}, chart_id)


def _two_sided_ticks(up: float, down: float) -> dict[str, Any]:
    """Ticks from ``-down`` to ``up`` labelled with their size: customers below the waterline
    are counted, not negative."""
    span = up + down
    if not span > 0:
        return {}
    raw = span / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    step = max(1.0, next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw))
    values = [k * step for k in range(-math.ceil(down / step), math.ceil(up / step) + 1)]
    return {"tickmode": "array", "tickvals": values, "ticktext": [f"{abs(v):,.0f}" for v in values]}


def heatmap_chart(
    chart_id: str,
    rows: Sequence[str],
    columns: Sequence[str],
    values: Sequence[Sequence[float]],
    *,
    value_name: str,
) -> Chart:
    """A grid of ``values[row][column]`` (e.g. journey stage × signal), darker when larger."""
    data = [
        {
            "type": "heatmap",
            "x": list(columns),
            "y": list(rows),
            "z": [list(r) for r in values],
            "colorscale": "Blues",
            "reversescale": True,
            "colorbar": {"title": {"text": value_name}},
            "texttemplate": "%{z:,d}",
            "hovertemplate": "%{y} / %{x}: %{z:,d}<extra></extra>",
        }
    ]
    layout = _layout("", "", hovermode="closest")
    layout["xaxis"] = {**_category_ticks(columns), "tickangle": -30}
    layout["yaxis"] = {**_category_ticks(rows), "autorange": "reversed"}
    return _to_json({"data": data, "layout": layout}, chart_id)


#: A value with its 95% interval: ``(values, lows, highs)``.
Interval = tuple[Sequence[float], Sequence[float], Sequence[float]]


def _interval_bar(
    name: str, labels: Sequence[str], interval: Interval, color: str, axis: str
) -> dict[str, Any]:
    values, lows, highs = ([float(v) for v in part] for part in interval)
    return {
        "type": "bar",
        "orientation": "h",
        "name": name,
        "y": list(labels),
        "x": values,
        "xaxis": axis,
        "marker": {"color": color},
        "error_x": {
            "type": "data",
            "symmetric": False,
            "array": [max(h - v, 0.0) for v, h in zip(values, highs, strict=True)],
            "arrayminus": [max(v - lo, 0.0) for v, lo in zip(values, lows, strict=True)],
            "color": "#444444",
            "thickness": 1.2,
        },
        "hovertemplate": "%{y}: %{x:,.0f}<extra>" + name + "</extra>",
        "showlegend": False,
    }


def risk_chart(
    chart_id: str,
    labels: Sequence[str],
    revenue: tuple[str, Interval],
    customers: tuple[str, Interval],
) -> Chart:
    """Money at risk (left) and customers (right) per problem, as horizontal bars with 95%
    intervals as error bars; ``labels`` top to bottom."""
    (revenue_name, revenue_interval), (customers_name, customers_interval) = revenue, customers
    data = [
        _interval_bar(revenue_name, labels, revenue_interval, _PALETTE[3], "x"),
        _interval_bar(customers_name, labels, customers_interval, _PALETTE[0], "x2"),
    ]
    axis = {
        "gridcolor": "#eeeeee",
        "rangemode": "tozero",
        "tickformat": ",d",
        "zeroline": True,
        "nticks": 5,
        "automargin": True,
    }
    layout = _layout("", "", hovermode="closest", showlegend=False)
    layout["height"] = max(260, 90 + 46 * len(labels))
    layout["margin"] = {"l": 20, "r": 20, "t": 10, "b": 50}
    # "~s" gives 2M, 400k: long yen amounts would overlap as ticks
    layout["xaxis"] = {**axis, "domain": [0.0, 0.6], "title": {"text": revenue_name}}
    layout["xaxis"]["tickformat"] = "~s"
    layout["xaxis2"] = {**axis, "domain": [0.66, 1.0], "title": {"text": customers_name}}
    layout["yaxis"] = {**_category_ticks(labels), "autorange": "reversed"}
    return _to_json({"data": data, "layout": layout}, chart_id)


def rates_chart(
    chart_id: str,
    labels: Sequence[str],
    page: tuple[str, Sequence[float]],
    background: tuple[str, Sequence[float]],
    *,
    x_title: str,
) -> Chart:
    """Two rates per problem (the signal on its page and its background), as grouped bars."""
    data = [
        {
            "type": "bar",
            "orientation": "h",
            "name": name,
            "y": list(labels),
            "x": [float(v) for v in values],
            "marker": {"color": color},
            "hovertemplate": "%{y}: %{x:.2%}<extra>" + name + "</extra>",
        }
        for (name, values), color in ((page, _PALETTE[1]), (background, "#b8b8b8"))
    ]
    layout = _bars_layout(x_title, "group", ".0%", max(240, 100 + 44 * len(labels)), labels)
    return _to_json({"data": data, "layout": layout}, chart_id)


def _bars_layout(
    x_title: str, barmode: str, tickformat: str, height: int, labels: Sequence[str]
) -> dict[str, Any]:
    """Layout of horizontal bars: categories (``labels``) top to bottom, legend above."""
    layout = _layout(x_title, "", hovermode="closest", barmode=barmode)
    layout["height"] = height
    # plotly lists stacked traces last-first, which reads backwards in a horizontal legend
    layout["legend"]["traceorder"] = "normal"
    layout["xaxis"] = {
        "title": {"text": x_title},
        "gridcolor": "#eeeeee",
        "rangemode": "tozero",
        "tickformat": tickformat,
        "automargin": True,
    }
    layout["yaxis"] = {**_category_ticks(labels), "autorange": "reversed"}
    return layout


def stacked_bars_chart(
    chart_id: str,
    labels: Sequence[str],
    parts: Mapping[str, Sequence[float]],
    *,
    x_title: str,
) -> Chart:
    """Horizontal bars per label (top to bottom), each split into the named parts."""
    data = [
        {
            "type": "bar",
            "orientation": "h",
            "name": name,
            "y": list(labels),
            "x": [float(v) for v in values],
            "marker": {"color": _PALETTE[i % len(_PALETTE)]},
            "hovertemplate": "%{y}: %{x:,d}<extra>" + name + "</extra>",
        }
        for i, (name, values) in enumerate(parts.items())
    ]
    layout = _bars_layout(x_title, "stack", ",d", max(240, 90 + 26 * len(labels)), labels)
    return _to_json({"data": data, "layout": layout}, chart_id)
