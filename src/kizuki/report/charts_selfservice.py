"""Plotly figures of the self-service, channel-ladder and help-content sections: shares with
intervals against a target, weekly shares, and a Sankey diagram of channel paths."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kizuki.report.charts import (
    _PALETTE,
    FONT_FAMILY,
    Chart,
    Interval,
    Partial,
    _bars_layout,
    _layout,
    _line_traces,
    _mark_partial,
    _to_json,
)

__all__ = ["rate_lines_chart", "sankey_chart", "success_chart"]


def success_chart(
    chart_id: str,
    labels: Sequence[str],
    estimate: tuple[str, Interval],
    observed: tuple[str, Sequence[float]],
    *,
    target: tuple[str, float],
    x_title: str,
) -> Chart:
    """Per label (top to bottom), an estimated share with its 95% interval as error bars beside
    an observed share (grey), and a dashed line at the ``target`` share."""
    (estimate_name, (values, lows, highs)), (observed_name, seen) = estimate, observed
    (target_name, target_value) = target
    shares = [float(v) for v in values]
    bounds = [[float(lo), float(hi)] for lo, hi in zip(lows, highs, strict=True)]
    data: list[dict[str, Any]] = [
        {
            "type": "bar",
            "orientation": "h",
            "name": estimate_name,
            "y": list(labels),
            "x": shares,
            "customdata": bounds,
            "marker": {"color": _PALETTE[0]},
            "error_x": {
                "type": "data",
                "symmetric": False,
                "array": [max(hi - v, 0.0) for v, (_, hi) in zip(shares, bounds, strict=True)],
                "arrayminus": [max(v - lo, 0.0) for v, (lo, _) in zip(shares, bounds, strict=True)],
                "color": "#444444",
                "thickness": 1.2,
            },
            "hovertemplate": "%{y}: %{x:.1%} [%{customdata[0]:.1%}–%{customdata[1]:.1%}]"
            "<extra>" + estimate_name + "</extra>",
        },
        {
            "type": "bar",
            "orientation": "h",
            "name": observed_name,
            "y": list(labels),
            "x": [float(v) for v in seen],
            "marker": {"color": "#b8b8b8"},
            "hovertemplate": "%{y}: %{x:.1%}<extra>" + observed_name + "</extra>",
        },
        # the target line's legend entry (the line itself is a shape across the plot)
        {
            "type": "scatter",
            "mode": "lines",
            "name": target_name,
            "x": [None],
            "y": [None],
            "line": {"color": _PALETTE[3], "dash": "dash", "width": 2},
            "hoverinfo": "skip",
        },
    ]
    layout = _bars_layout(x_title, "group", ".0%", max(260, 100 + 48 * len(labels)), labels)
    layout["xaxis"]["range"] = [0.0, 1.02]
    layout["shapes"] = [
        {
            "type": "line",
            "xref": "x",
            "yref": "paper",
            "x0": float(target_value),
            "x1": float(target_value),
            "y0": 0,
            "y1": 1,
            "line": {"color": _PALETTE[3], "dash": "dash", "width": 2},
        }
    ]
    return _to_json({"data": data, "layout": layout}, chart_id)


def rate_lines_chart(
    chart_id: str,
    series: Mapping[str, tuple[Sequence[str], Sequence[float]]],
    *,
    x_title: str,
    y_title: str,
    partial: Partial | None = None,
    note: str = "",
) -> Chart:
    """:func:`lines_chart` for shares (0–1): a percent axis from 0 to 100%."""
    data = []
    for i, (name, (xs, ys)) in enumerate(series.items()):
        for trace in _line_traces(name, xs, ys, _PALETTE[i % len(_PALETTE)], partial):
            if "hovertemplate" in trace:  # a partial period's marker: a share, not a count
                trace["hovertemplate"] = trace["hovertemplate"].replace("%{y:,.0f}", "%{y:.1%}")
            data.append(trace)
    layout = _layout(x_title, y_title)
    layout["yaxis"].update(tickformat=".0%", hoverformat=".1%", range=[0.0, 1.02])
    layout["height"] += 20 * ((len(series) - 1) // 3)
    _mark_partial(layout, partial, [x for xs, _ in series.values() for x in xs])
    return _to_json({"data": data, "layout": layout}, chart_id, note)


def sankey_chart(
    chart_id: str,
    nodes: Sequence[tuple[str, str]],
    links: Sequence[tuple[int, int, float]],
    *,
    unit: str,
) -> Chart:
    """A Sankey diagram: ``nodes`` as (label, colour), ``links`` as (source index, target
    index, value); hover shows the value with ``unit`` (e.g. "episodes")."""
    data = [
        {
            "type": "sankey",
            "arrangement": "snap",
            "valueformat": ",d",
            "valuesuffix": f" {unit}" if unit else "",
            "node": {
                "label": [label for label, _ in nodes],
                "color": [color for _, color in nodes],
                "pad": 14,
                "thickness": 16,
                "line": {"color": "white", "width": 0.5},
            },
            "link": {
                "source": [int(s) for s, _, _ in links],
                "target": [int(t) for _, t, _ in links],
                "value": [float(v) for _, _, v in links],
                "color": "rgba(47,111,143,0.25)",
            },
        }
    ]
    layout = {
        "font": {"family": FONT_FAMILY, "size": 12, "color": "#2b2b2b"},
        "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
        "height": max(320, 28 * len(nodes)),
        "paper_bgcolor": "white",
    }
    return _to_json({"data": data, "layout": layout}, chart_id)
