"""Vega-Lite chart specifications for the visualization (plain dictionaries).

The specs are written for the Vega-Lite 5 library that ``solara-assets`` serves offline (the
``$schema`` says so; Altair would stamp v6 and make the browser warn). Every chart has a title,
axis titles with units, and a legend when it shows more than one series. Values must be
JSON-safe (``None`` for missing, never NaN): see :func:`village_sim.numerics.finite_or_none`.
"""

from __future__ import annotations

from typing import Any

from village_sim.metrics.value_flows import COLOURS

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.2.0.json"
WIDTH = 340
HEIGHT = 215
BAR_WIDTH = 250
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#7f7f7f"]
TERRAIN_COLOURS = {"plain": "#4daf4a", "hill": "#ff7f00", "mountain": "#8c510a"}
WEEK_TITLE = "weeks run (week 1 = the first step)"
"""X axis of every weekly chart: the page's "Week N" is the last point."""
GRAPH_WIDTH = 330
GRAPH_HEIGHT = 275
LABEL_FONT_SIZE = 9
LABEL_CHAR_PX = 5.4
"""Width of a label character at :data:`LABEL_FONT_SIZE` (px), for placing labels apart."""
CONFIG: dict[str, Any] = {
    "title": {"anchor": "start", "fontSize": 13},
    "axis": {"labelFontSize": 10, "titleFontSize": 11},
    "axisY": {"titleLimit": 205},  # a y title never runs into the chart's title
    "legend": {"labelFontSize": 10, "titleFontSize": 10, "orient": "bottom", "columns": 2},
    "view": {"stroke": None},
}


def _base(title: str, subtitle: str | None = None, **extra: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "$schema": SCHEMA,
        "title": {"text": title, **({"subtitle": subtitle} if subtitle else {})},
        "width": WIDTH,
        "height": HEIGHT,
        "config": CONFIG,
        "background": "white",
        # Lay the chart out again when a Step swaps its data: wider axis labels (2,500 after
        # 250) would otherwise be cut off on the left, with the title.
        "autosize": {"type": "pad", "resize": True},
    }
    spec.update(extra)
    return spec


def line_chart(
    rows: list[dict[str, Any]],
    title: str,
    y_title: str,
    *,
    x_title: str = WEEK_TITLE,
    y_format: str | None = None,
    y_domain: list[float] | None = None,
    subtitle: str | None = None,
) -> dict[str, Any]:
    """A line chart of ``{week, series, value}`` rows; a legend when there are several series.

    Args:
        rows: Long-format rows (see :func:`village_sim.viz.data.series`).
        title: Chart title.
        y_title: Y axis title with its unit.
        x_title: X axis title with its unit.
        y_format: d3 format of the y axis (``".0%"`` for shares).
        y_domain: Fixed y range.
        subtitle: A line under the title.
    """
    names = list(dict.fromkeys(r["series"] for r in rows))
    y: dict[str, Any] = {"field": "value", "type": "quantitative", "title": y_title}
    axis: dict[str, Any] = {}
    if y_format and rows:
        axis["format"] = y_format
        if y_format.endswith(".0f"):  # whole numbers: no repeated tick labels on small ranges
            axis["tickMinStep"] = 1
    if axis:
        y["axis"] = axis
    if y_domain is not None:
        y["scale"] = {"domain": y_domain}
    elif not rows:
        y["scale"] = {"domain": [0, 1]}
    colour: dict[str, Any] = {
        "field": "series",
        "type": "nominal",
        "title": None,
        "scale": {"domain": names or ["—"], "range": PALETTE[: max(len(names), 1)]},
    }
    if len(names) <= 1:
        colour["legend"] = None
    tooltip = [
        {"field": "week", "type": "quantitative", "title": "week"},
        {"field": "series", "type": "nominal", "title": "series"},
        {
            "field": "value",
            "type": "quantitative",
            "title": y_title,
            **({"format": y_format} if y_format else {"format": ",.3~f"}),
        },
    ]
    return _base(
        title,
        subtitle,
        data={"name": "table"},
        datasets={"table": rows},
        mark={
            "type": "line",
            "point": len(rows) <= 2 * max(len(names), 1),
            "strokeWidth": 1.8,
            "clip": True,
        },
        encoding={
            "x": {
                "field": "week",
                "type": "quantitative",
                "title": x_title,
                "axis": {"tickMinStep": 1, "format": "d"},
                **({} if rows else {"scale": {"domain": [0, 1]}}),
            },
            "y": y,
            "color": colour,
            "tooltip": tooltip,
        },
    )


def colour_domain(values: list[float | None], floor: float = 0.02) -> list[float]:
    """The colour scale's range: the values' own extent, so that small differences show.

    An extent narrower than ``floor`` is widened around its middle, within [0, 1].
    """
    present = [v for v in values if v is not None]
    if not present:
        return [0.0, 1.0]
    lo, hi = min(present), max(present)
    if hi - lo < floor:
        mid = (lo + hi) / 2
        lo, hi = mid - floor / 2, mid + floor / 2
        if lo < 0:
            lo, hi = 0.0, floor
        if hi > 1:
            lo, hi = 1 - floor, 1.0
    return [round(lo, 4), round(hi, 4)]


def short_name(name: str, terrain: str | None = None) -> str:
    """A place's label: its name without the terrain suffix generated worlds add."""
    if terrain and name.endswith(f"_{terrain}"):
        name = name[: -len(terrain) - 1]
    return name.replace("_", " ")


def place_labels(
    points: list[dict[str, Any]],
    x_domain: list[float],
    y_domain: list[float],
    width: float = GRAPH_WIDTH,
    height: float = GRAPH_HEIGHT,
) -> list[dict[str, Any]]:
    """Label positions that do not overlap each other or the symbols (greedy, in pixels).

    Each point (``x``, ``y``, ``label``, ``radius`` in px) tries eight spots around its symbol,
    in order, and takes the first whose box is free; when none is, the one overlapping least.

    Returns:
        ``{label, x, y}`` rows, ``x``/``y`` the label's centre in data coordinates.
    """
    sx = width / ((x_domain[1] - x_domain[0]) or 1.0)
    sy = height / ((y_domain[1] - y_domain[0]) or 1.0)

    def to_px(x: float, y: float) -> tuple[float, float]:
        return (x - x_domain[0]) * sx, (y_domain[1] - y) * sy

    boxes: list[tuple[float, float, float, float]] = []
    for p in points:
        px, py = to_px(p["x"], p["y"])
        r = p.get("radius", 4.0)
        boxes.append((px - r, py - r, px + r, py + r))

    def overlap(box: tuple[float, float, float, float]) -> float:
        total = 0.0
        for other in boxes:
            w = min(box[2], other[2]) - max(box[0], other[0])
            h = min(box[3], other[3]) - max(box[1], other[1])
            if w > 0 and h > 0:
                total += w * h
        outside = max(0.0, -box[0]) + max(0.0, box[2] - width) + max(0.0, -box[1])
        return total + 50 * (outside + max(0.0, box[3] - height))

    out = []
    for p in points:
        px, py = to_px(p["x"], p["y"])
        r = p.get("radius", 4.0) + 2
        w = LABEL_CHAR_PX * len(p["label"]) + 2
        h = LABEL_FONT_SIZE + 2
        spots = [
            (0, -r - h / 2),
            (0, r + h / 2),
            (r + w / 2, 0),
            (-r - w / 2, 0),
            (r + w / 2, -r),
            (r + w / 2, r),
            (-r - w / 2, -r),
            (-r - w / 2, r),
        ]
        best = None
        for dx, dy in spots:
            cx, cy = px + dx, py + dy
            box = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
            cost = overlap(box)
            if best is None or cost < best[0]:
                best = (cost, cx, cy, box)
            if cost == 0:
                break
        if not (best is not None):
            raise RuntimeError("internal error: expected best is not None")
        _, cx, cy, box = best
        boxes.append(box)
        out.append({"label": p["label"], "x": x_domain[0] + cx / sx, "y": y_domain[1] - cy / sy})
    return out


def _symbol_radius(volume: float, largest: float, kind: str) -> float:
    """Approximate radius (px) of a place's symbol, from the size scale (area 40-700)."""
    area = 40 + 660 * (volume / largest if largest > 0 else 0.0)
    return (area**0.5) / 2 + (2 if kind == "village" else 0)


def trade_graph_chart(
    nodes: list[dict[str, Any]],
    edges: list[dict[str, Any]],
    colour_by: str,
) -> dict[str, Any]:
    """The places graph: roads by flow (cold chain marked), places by trade volume.

    Every place but the stations is named (labels placed apart, :func:`place_labels`); villages
    are coloured over the range of their own values (:func:`colour_domain`).

    Args:
        nodes: Node rows of :func:`village_sim.viz.data.trade_graph`.
        edges: Edge rows of the same.
        colour_by: ``farmer_share`` or ``brand_trust`` — what fills the villages.
    """
    fill_title = {
        "farmer_share": "farmers' share",
        "brand_trust": "brand trust (0–1)",
    }[colour_by]
    villages = [n for n in nodes if n["kind"] == "village"]
    others = [n for n in nodes if n["kind"] != "village"]
    largest = max((n["volume_kg_week"] for n in nodes), default=0.0)
    size = {
        "field": "volume_kg_week",
        "type": "quantitative",
        "title": "trade volume (kg/week)",
        "scale": {"range": [40, 700], "zero": True, "domain": [0, largest or 1.0]},
        "legend": None,
    }
    xs = [n["x"] for n in nodes] or [0.0]
    ys = [n["y"] for n in nodes] or [0.0]
    pad_x = 0.08 * ((max(xs) - min(xs)) or 1.0)
    pad_y = 0.1 * ((max(ys) - min(ys)) or 1.0)
    x_domain = [min(xs) - pad_x, max(xs) + pad_x]
    y_domain = [min(ys) - pad_y, max(ys) + pad_y]
    hidden = {"axis": None}
    x = {
        "field": "x",
        "type": "quantitative",
        "title": "map position (east-west)",
        "scale": {"domain": x_domain, "nice": False},
        **hidden,
    }
    y = {
        "field": "y",
        "type": "quantitative",
        "title": "map position (south-north)",
        "scale": {"domain": y_domain, "nice": False},
        **hidden,
    }
    roads = {
        "data": {"name": "roads"},
        "mark": {"type": "rule", "opacity": 0.8},
        "encoding": {
            "x": x,
            "y": y,
            "x2": {"field": "x2"},
            "y2": {"field": "y2"},
            "color": {
                "field": "road",
                "type": "nominal",
                "title": "road",
                "scale": {"domain": ["cold chain", "ambient"], "range": ["#1f9bd7", "#b0b0b0"]},
            },
            "strokeDash": {
                "field": "road",
                "type": "nominal",
                "title": "road",
                "scale": {"domain": ["cold chain", "ambient"], "range": [[1, 0], [4, 3]]},
            },
            "strokeWidth": {
                "field": "flow_kg_week",
                "type": "quantitative",
                "title": "flow (kg/week)",
                "scale": {"range": [1, 9], "zero": True},
                "legend": None,
            },
            "tooltip": [
                {"field": "between", "title": "road"},
                {"field": "road", "title": "service"},
                {"field": "flow_kg_week", "title": "mean flow (kg/week)", "format": ",.0f"},
                {"field": "km", "title": "length (km)"},
            ],
        },
    }
    places = {
        "data": {"name": "places"},
        "mark": {"type": "point", "filled": True, "opacity": 0.9, "color": "#444444"},
        "encoding": {
            "x": x,
            "y": y,
            "shape": {
                "field": "place",
                "type": "nominal",
                "title": "place",
                "scale": {
                    "domain": ["township station", "county hub", "city"],
                    "range": ["square", "diamond", "triangle-up"],
                },
            },
            "size": size,
            "tooltip": [
                {"field": "name", "title": "place"},
                {"field": "place", "title": "kind"},
                {"field": "volume_kg_week", "title": "trade volume (kg/week)", "format": ",.0f"},
            ],
        },
    }
    domain = colour_domain([v[colour_by] for v in villages])
    fill_condition = {"test": f"datum.{colour_by} === null", "value": "#e6e6e6"}
    village_layer = {
        "data": {"name": "villages"},
        "mark": {"type": "circle", "opacity": 1, "strokeWidth": 3, "invalid": None},
        "encoding": {
            "x": x,
            "y": y,
            "size": size,
            "fill": {
                "condition": fill_condition,
                "field": colour_by,
                "type": "quantitative",
                "title": fill_title,
                "scale": {"domain": domain, "scheme": "viridis", "clamp": True},
                "legend": {
                    "format": ".0%" if colour_by == "farmer_share" else ".2f",
                    "gradientLength": 60,
                    "values": domain,
                },
            },
            "stroke": {
                "field": "terrain",
                "type": "nominal",
                "title": "village terrain",
                "scale": {"domain": list(TERRAIN_COLOURS), "range": list(TERRAIN_COLOURS.values())},
            },
            "tooltip": [
                {"field": "name", "title": "village"},
                {"field": "terrain", "title": "terrain"},
                {"field": "volume_kg_week", "title": "shipped (kg/week)", "format": ",.0f"},
                {
                    "field": "sales_yuan",
                    "title": "live-stream sales so far (yuan)",
                    "format": ",.0f",
                },
                {"field": "farmer_share", "title": "farmers' share of spending", "format": ".1%"},
                {"field": "brand_trust", "title": "brand trust (0–1)", "format": ".2f"},
            ],
        },
    }
    to_label = [
        {
            "x": n["x"],
            "y": n["y"],
            "label": short_name(n["name"], n.get("terrain")),
            "radius": _symbol_radius(n["volume_kg_week"], largest, n["kind"]),
        }
        for n in sorted(nodes, key=lambda n: (n["kind"] == "village", -n["volume_kg_week"]))
        if n["kind"] != "township"
    ]
    labels = {
        "data": {"name": "labels"},
        "mark": {
            "type": "text",
            "fontSize": LABEL_FONT_SIZE,
            "color": "#222222",
            "align": "center",
            "baseline": "middle",
        },
        "encoding": {
            "x": {**x, "field": "x"},
            "y": {**y, "field": "y"},
            "text": {"field": "label"},
        },
    }
    spec = _base(
        "Trade graph: villages, stations, hubs and cities",
        "line width: mean flow since week 1; symbol size: trade volume (kg/week)",
        layer=[roads, places, village_layer, labels],
        datasets={
            "roads": edges,
            "places": others,
            "villages": villages,
            "labels": place_labels(to_label, x_domain, y_domain),
        },
        resolve={"scale": {"size": "shared"}},
    )
    spec["height"] = GRAPH_HEIGHT
    spec["width"] = GRAPH_WIDTH
    spec["config"] = {
        **CONFIG,
        "legend": {
            **CONFIG["legend"],
            "columns": 1,
            "symbolLimit": 8,
            "orient": "right",
            "labelLimit": 100,
            "titleLimit": 110,
            "rowPadding": 1,
            "padding": 0,
        },
    }
    return spec


def lorenz_chart(curves: dict[str, tuple[list[float], list[float]]]) -> dict[str, Any]:
    """Lorenz curves (traffic, sales) with the line of equality.

    Args:
        curves: Label → ``(population share, value share)``; labels must sort after
            "equal shares" (the dashed grey line), as the colour and dash scales take them in
            alphabetical order.
    """
    rows = [
        {"x": 0.0, "y": 0.0, "series": "equal shares"},
        {"x": 1.0, "y": 1.0, "series": "equal shares"},
    ]
    for label, (xs, ys) in curves.items():
        rows.extend({"x": a, "y": b, "series": label} for a, b in zip(xs, ys, strict=True))
    return _base(
        "Concentration over anchors this week (Lorenz curves)",
        "anchors streaming this week, smallest first",
        data={"name": "table"},
        datasets={"table": rows},
        mark={"type": "line", "strokeWidth": 2, "interpolate": "linear"},
        encoding={
            "x": {
                "field": "x",
                "type": "quantitative",
                "title": "cumulative share of anchors (share)",
                "axis": {"format": ".0%"},
                "scale": {"domain": [0, 1]},
            },
            "y": {
                "field": "y",
                "type": "quantitative",
                "title": "cumulative share of the total (share)",
                "axis": {"format": ".0%"},
                "scale": {"domain": [0, 1]},
            },
            "color": {
                "field": "series",
                "type": "nominal",
                "title": None,
                "scale": {"range": ["#999999", *PALETTE]},
            },
            "strokeDash": {
                "field": "series",
                "type": "nominal",
                "title": None,
                "scale": {"range": [[4, 3]] + [[1, 0]] * 6},
            },
            "order": {"field": "x", "type": "quantitative"},
            "tooltip": [
                {"field": "series", "title": "curve"},
                {"field": "x", "title": "share of anchors", "format": ".0%"},
                {"field": "y", "title": "share of the total", "format": ".1%"},
            ],
        },
    )


def split_chart(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Stacked bars: shares of this week's traffic and sales by anchor group."""
    groups = list(dict.fromkeys(r["group"] for r in rows))
    return _base(
        "Local vs external anchors: who gets the traffic and the sales",
        "this week; shares of person-views and of gross sales",
        data={"name": "table"},
        datasets={
            "table": [
                {**r, "rank": groups.index(r["group"])} for r in rows if r["share"] is not None
            ]
        },
        mark={"type": "bar"},
        encoding={
            "y": {"field": "measure", "type": "nominal", "title": None},
            "x": {
                "field": "share",
                "type": "quantitative",
                "stack": "zero",
                "title": "share of the week's total (share)",
                "axis": {"format": ".0%"},
                "scale": {"domain": [0, 1]},
            },
            "color": {
                "field": "group",
                "type": "nominal",
                "title": "anchor group",
                "scale": {"domain": groups, "range": PALETTE[: len(groups)]},
            },
            "order": {"field": "rank", "type": "quantitative"},
            "tooltip": [
                {"field": "measure", "title": "measure"},
                {"field": "group", "title": "group"},
                {"field": "share", "title": "share", "format": ".1%"},
                {"field": "amount", "title": "amount", "format": ",.0f"},
                {"field": "anchors", "title": "anchors streaming"},
            ],
        },
        height=110,
        width=BAR_WIDTH,
    )


def bar_chart(
    rows: list[dict[str, Any]],
    category: str,
    value: str,
    title: str,
    x_title: str,
    y_title: str,
    *,
    subtitle: str | None = None,
    value_format: str = ".0%",
    domain: list[float] | None = None,
    tooltip: list[dict[str, Any]] | None = None,
    colours: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Horizontal bars, one per category (one series: no legend).

    Args:
        rows: One row per bar.
        category: Field naming the bar.
        value: Field with the bar's length.
        title: Chart title.
        x_title: Value axis title with its unit.
        y_title: Category axis title.
        subtitle: A line under the title.
        value_format: d3 format of the values.
        domain: Fixed value range.
        tooltip: Extra tooltip fields.
        colours: Fixed colour per category (no legend: the axis names the bars).
    """
    x: dict[str, Any] = {
        "field": value,
        "type": "quantitative",
        "title": x_title,
        "axis": {"format": value_format},
    }
    if domain is not None:
        x["scale"] = {"domain": domain}
    encoding: dict[str, Any] = {
        "y": {"field": category, "type": "nominal", "title": y_title, "sort": None},
        "x": x,
        "tooltip": [
            {"field": category, "title": y_title},
            {"field": value, "title": x_title, "format": value_format},
            *(tooltip or []),
        ],
    }
    if colours:
        encoding["color"] = {
            "field": category,
            "type": "nominal",
            "legend": None,
            "scale": {"domain": list(colours), "range": list(colours.values())},
        }
    bars = {"mark": {"type": "bar", "color": PALETTE[0]}, "encoding": encoding}
    text = {
        "mark": {"type": "text", "align": "left", "dx": 3, "fontSize": 10},
        "encoding": {
            "y": encoding["y"],
            "x": {"field": value, "type": "quantitative"},
            "text": {"field": value, "type": "quantitative", "format": value_format},
        },
    }
    return _base(
        title,
        subtitle,
        data={"name": "table"},
        datasets={"table": [r for r in rows if r.get(value) is not None]},
        layer=[bars, text],
        height=max(60, 26 * max(len(rows), 1)),
        width=BAR_WIDTH,
    )


def stacked_area_chart(
    rows: list[dict[str, Any]],
    order: list[str],
    title: str,
    y_title: str,
    subtitle: str | None = None,
    colours: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Stacked areas of ``{week, series, value}`` rows in a fixed order (with a legend).

    Args:
        rows: Long-format rows.
        order: Series in stacking order.
        title: Chart title.
        y_title: Y axis title with its unit.
        subtitle: A line under the title.
        colours: Fixed colour per series (default: the palette in ``order``).
    """
    palette = [colours[o] for o in order] if colours else PALETTE[: len(order)]
    return _base(
        title,
        subtitle,
        data={"name": "table"},
        datasets={"table": rows},
        mark={"type": "area", "opacity": 0.85},
        encoding={
            "x": {
                "field": "week",
                "type": "quantitative",
                "title": WEEK_TITLE,
                "axis": {"tickMinStep": 1, "format": "d"},
                **({} if rows else {"scale": {"domain": [0, 1]}}),
            },
            "y": {
                "field": "value",
                "type": "quantitative",
                "stack": "zero",
                "title": y_title,
                **({} if rows else {"scale": {"domain": [0, 1]}}),
            },
            "color": {
                "field": "series",
                "type": "nominal",
                "title": None,
                "scale": {"domain": order, "range": palette},
            },
            "order": {"field": "rank", "type": "quantitative"},
            "tooltip": [
                {"field": "week", "title": "week"},
                {"field": "series", "title": "status"},
                {"field": "value", "title": y_title},
            ],
        },
    )


def value_flow_chart(rows: list[dict[str, Any]], flows: list[str]) -> dict[str, Any]:
    """Stacked bars: where consumers' live-stream spending goes, this week and over the run.

    Args:
        rows: Rows of :func:`village_sim.viz.data.value_flow_rows`.
        flows: Every flow label in stacking order (fixes the colours).
    """
    return _base(
        "Where each yuan of live-stream spending goes",
        "share of consumers' spending; anchors' own margin is below 0 when they paid out more",
        data={"name": "table"},
        datasets={"table": rows},
        mark={"type": "bar"},
        encoding={
            "y": {
                "field": "period",
                "type": "nominal",
                "title": None,
                "sort": ["this week", "run so far"],
                "scale": {"domain": ["this week", "run so far"]},
            },
            "x": {
                "field": "share",
                "type": "quantitative",
                "stack": "zero",
                "title": "share of spending (share)",
                "axis": {"format": ".0%"},
            },
            "color": {
                "field": "flow",
                "type": "nominal",
                "title": "reaches",
                "scale": {"domain": flows, "range": list(COLOURS.values())[: len(flows)]},
            },
            "order": {"field": "rank", "type": "quantitative"},
            "tooltip": [
                {"field": "period", "title": "period"},
                {"field": "flow", "title": "reaches"},
                {"field": "share", "title": "share of spending", "format": ".1%"},
                {"field": "yuan", "title": "amount (yuan)", "format": ",.0f"},
            ],
        },
        height=90,
        width=BAR_WIDTH + 60,
    )
