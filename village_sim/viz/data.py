"""What the visualization shows, computed from a model (plain Python, no browser code).

Every function here reads a :class:`~village_sim.model.VillageMarket` and returns plain numbers,
lists and dictionaries that :mod:`village_sim.viz.charts` turns into plots. Nothing here changes
the model.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np

from village_sim.metrics import tables
from village_sim.metrics import value_flows as vf
from village_sim.metrics.indicators import RATIOS
from village_sim.metrics.tables import village_table
from village_sim.numerics import finite_or_none
from village_sim.units import FEN_PER_YUAN

if TYPE_CHECKING:
    from village_sim.model import VillageMarket

YOUTH_STAGES: tuple[tuple[str, str], ...] = (
    ("migrant", "migrants (in a city)"),
    ("home", "returned (at home)"),
    ("training", "in training"),
    ("trained", "trained, not streaming"),
    ("anchor", "active anchors"),
    ("exited", "exited streaming"),
)
"""Youth statuses in pipeline order, with their labels."""

ANCHOR_GROUPS: dict[str, str] = {
    "local": "local youth",
    "farmer": "streaming farmers",
    "external": "external anchors",
}
"""Anchor kinds and their labels."""


def weekly(model: VillageMarket) -> dict[str, list[Any]]:
    """The weekly indicators so far: indicator name → one value per completed week.

    Read straight from the DataCollector's lists (building its DataFrame for every plot on
    every Step would cost more than the plots).
    """
    return model.datacollector.model_vars


def latest(model: VillageMarket) -> dict[str, float | None]:
    """The last completed week's value of every indicator (empty before the first step)."""
    return {name: finite_or_none(values[-1]) for name, values in weekly(model).items() if values}


def headline(model: VillageMarket, names: Iterable[str]) -> dict[str, tuple[float | None, str]]:
    """Monitor values: ratio indicators over the run so far, the others for the last week.

    A weekly ratio swings (farmers are paid when goods are bought, consumers when they are sold),
    so a ratio indicator is shown as Σ numerator / Σ denominator over the weeks run, as its
    whole-run value is defined (INTERFACE.md); levels (income, anchors, trust ...) as of the last
    completed week.

    Returns:
        Indicator name → ``(value, basis)`` with basis ``"so far"`` or ``"last week"``.
    """
    last = latest(model)
    history = model.books.history
    out: dict[str, tuple[float | None, str]] = {}
    for name in names:
        if name in RATIOS:
            num, den = RATIOS[name]
            total_den = sum(week.get(den, 0.0) for week in history)
            total_num = sum(week.get(num, 0.0) for week in history)
            out[name] = (finite_or_none(total_num / total_den) if total_den > 0 else None, "so far")
        else:
            out[name] = (last.get(name), "last week")
    return out


def series(
    columns_by_week: dict[str, list[Any]], columns: dict[str, str], scale: float = 1.0
) -> list[dict[str, Any]]:
    """Long-format rows ``{week, series, value}`` for a line chart.

    ``week`` counts weeks run: the first step is week 1, so the last point sits at the week the
    page shows ("Week 12" after twelve steps).

    Args:
        columns_by_week: Weekly indicators (see :func:`weekly`).
        columns: Indicator name → series label.
        scale: Factor applied to every value.
    """
    rows = []
    for column, label in columns.items():
        values = columns_by_week.get(column, [])
        rows.extend(
            {
                "week": week,
                "series": label,
                "value": None if (v := finite_or_none(value)) is None else v * scale,
            }
            for week, value in enumerate(values, start=1)
        )
    return rows


def ratio_so_far(model: VillageMarket, name: str, label: str) -> list[dict[str, Any]]:
    """Rows ``{week, series, value}`` of a ratio indicator over the run up to each week.

    Args:
        model: The model.
        name: A ratio indicator (:data:`village_sim.metrics.indicators.RATIOS`).
        label: The series label.
    """
    num, den = RATIOS[name]
    rows = []
    total_num = total_den = 0.0
    for week, stats in enumerate(model.books.history, start=1):
        total_num += stats.get(num, 0.0)
        total_den += stats.get(den, 0.0)
        value = finite_or_none(total_num / total_den) if total_den > 0 else None
        rows.append({"week": week, "series": label, "value": value})
    return rows


# ------------------------------------------------------------------------------------------------
# the trade graph
# ------------------------------------------------------------------------------------------------
def node_positions(graph: nx.Graph) -> dict[int, tuple[float, float]]:
    """A fixed layout: the places' own ``x``/``y`` (a map of the county), else a seeded spring.

    Computed once per model (see :class:`~village_sim.viz.app.VizMarket`); never changes as the
    model runs, so the picture stays put between weeks.
    """
    xs = nx.get_node_attributes(graph, "x")
    ys = nx.get_node_attributes(graph, "y")
    if len(xs) == len(ys) == graph.number_of_nodes():
        return {n: (float(xs[n]), float(ys[n])) for n in graph}
    spring = nx.spring_layout(graph, seed=0)
    return {n: (float(p[0]), float(p[1])) for n, p in spring.items()}


def village_stats(model: VillageMarket) -> dict[int, dict[str, Any]]:
    """Per village node: name, terrain, sales, farmers' share of spending, brand trust."""
    table = village_table(model)
    out = {}
    for row in table.itertuples(index=False):
        out[int(row.node_id)] = {
            "village": int(row.village),
            "name": str(row.name),
            "terrain": str(row.terrain),
            "sales_yuan": finite_or_none(row.sales_yuan),
            "farmer_share": finite_or_none(row.farmer_share),
            "brand_trust": finite_or_none(row.brand_trust),
            "active_anchors": int(row.active_anchors),
        }
    return out


def trade_graph(
    model: VillageMarket, positions: dict[int, tuple[float, float]] | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Nodes and edges of the places graph, with mean weekly flows so far.

    Flows are the kilograms shipped over each road since week 0 divided by the weeks run (kg/week).
    A node's trade volume is what passes through it (a parcel counts once at every place on its
    route), from :func:`village_sim.metrics.tables.trade_graph`, the run folder's graph.

    Args:
        model: The model.
        positions: A fixed layout (default :func:`node_positions`).

    Returns:
        ``(nodes, edges)``: node rows (``id, name, kind, place, terrain, x, y, volume_kg_week,``
        ``farmer_share, brand_trust, sales_yuan``) and edge rows (``x, y, x2, y2, road,``
        ``flow_kg_week, km``).
    """
    flows = tables.trade_graph(model)
    pos = positions if positions is not None else node_positions(model.world.graph)
    weeks = max(int(model.week), 1)
    edges = []
    for u, v, data in flows.edges(data=True):
        kg_week = float(data["flow_kg"]) / weeks
        (x, y), (x2, y2) = pos[u], pos[v]
        edges.append(
            {
                "x": x,
                "y": y,
                "x2": x2,
                "y2": y2,
                "road": "cold chain" if data.get("cold_chain") else "ambient",
                "flow_kg_week": round(kg_week, 2),
                "km": finite_or_none(data.get("km")),
                "between": f"{flows.nodes[u].get('name', u)} – {flows.nodes[v].get('name', v)}",
            }
        )
    graph = flows
    villages = village_stats(model)
    kinds = {
        "village": "village",
        "township": "township station",
        "county_hub": "county hub",
        "city": "city",
    }
    nodes = []
    for n, data in graph.nodes(data=True):
        kind = str(data.get("kind", "village"))
        volume = float(data["volume_kg"]) / weeks
        row = {
            "id": int(n),
            "name": str(data.get("name", n)),
            "kind": kind,
            "place": kinds.get(kind, kind),
            "terrain": data.get("terrain") if kind == "village" else None,
            "x": pos[n][0],
            "y": pos[n][1],
            "volume_kg_week": round(volume, 2),
            "farmer_share": None,
            "brand_trust": None,
            "sales_yuan": None,
        }
        if n in villages:
            row.update({k: villages[n][k] for k in ("farmer_share", "brand_trust", "sales_yuan")})
        nodes.append(row)
    return nodes, edges


# ------------------------------------------------------------------------------------------------
# traffic and sales over anchors
# ------------------------------------------------------------------------------------------------
def seller_week(model: VillageMarket) -> list[dict[str, Any]]:
    """This week's streaming anchors: kind, person-views and gross sales (yuan)."""
    orders = model.last_week.orders
    if orders is None or not len(orders.sellers.anchors):
        return []
    sellers = orders.sellers
    views = np.asarray(orders.views_by_seller, dtype=float)
    sales = model.money.receipts("anchors", ("sale",)) / FEN_PER_YUAN
    out = []
    for k, anchor in enumerate(sellers.anchors):
        out.append(
            {
                "index": int(anchor.index),
                "kind": str(anchor.kind),
                "views": float(views[k]) if k < views.size else 0.0,
                "sales_yuan": float(sales[anchor.index]) if anchor.index < sales.size else 0.0,
            }
        )
    return out


def lorenz(values: Iterable[float]) -> tuple[list[float], list[float], float | None]:
    """Lorenz curve of non-negative values: population share, value share, and the Gini.

    Returns:
        ``(x, y, gini)`` with ``x``/``y`` from 0 to 1 (``gini`` is ``None`` if all are zero).
    """
    values = np.asarray(list(values), dtype=float)
    x, y = tables.lorenz(values)
    if x.size == 0:
        return [0.0, 1.0], [0.0, 1.0], None
    gini = tables.gini(values)
    return x.round(4).tolist(), y.round(4).tolist(), gini


def group_split(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Shares of this week's traffic and sales by anchor group (local youth, farmers, external)."""
    out = []
    for measure, key in (("traffic (person-views)", "views"), ("sales (yuan)", "sales_yuan")):
        total = sum(r[key] for r in rows)
        for kind, label in ANCHOR_GROUPS.items():
            amount = sum(r[key] for r in rows if r["kind"] == kind)
            out.append(
                {
                    "measure": measure,
                    "group": label,
                    "share": finite_or_none(amount / total) if total > 0 else None,
                    "amount": round(amount, 1),
                    "anchors": sum(1 for r in rows if r["kind"] == kind),
                }
            )
    return out


# ------------------------------------------------------------------------------------------------
# technology suspension
# ------------------------------------------------------------------------------------------------
def suspension_by_tool(model: VillageMarket) -> list[dict[str, Any]]:
    """Run-to-date idle tool-weeks / held tool-weeks for each tool of the catalogue."""
    history = model.books.history
    out = []
    for name in model.config.tools.catalogue:
        held = sum(week.get(f"tool_held_{name}", 0.0) for week in history)
        idle = sum(week.get(f"tool_idle_{name}", 0.0) for week in history)
        out.append(
            {
                "tool": name.replace("_", " "),
                "rate": finite_or_none(idle / held) if held > 0 else None,
                "held_tool_weeks": int(held),
                "idle_tool_weeks": int(idle),
            }
        )
    return out


def suspension_by_group(model: VillageMarket) -> list[dict[str, Any]]:
    """This week's idle share of the tools held, by anchor group and how the tool was acquired."""
    tally: dict[tuple[str, str], list[int]] = {}
    for anchor in model.anchor_list:
        if anchor.exited:
            continue
        for holding in anchor.tools.values():
            how = "handed out" if holding.handed_out else "bought"
            key = (ANCHOR_GROUPS.get(anchor.kind, anchor.kind), how)
            held_idle = tally.setdefault(key, [0, 0])
            held_idle[0] += 1
            held_idle[1] += not holding.in_use
    out = []
    for (group, how), (held, idle) in sorted(tally.items()):
        out.append(
            {
                "group": f"{group} ({how})",
                "rate": finite_or_none(idle / held) if held else None,
                "held": held,
                "idle": idle,
            }
        )
    return out


# ------------------------------------------------------------------------------------------------
# youth pipeline
# ------------------------------------------------------------------------------------------------
def youth_counts(model: VillageMarket) -> dict[str, int]:
    """Young people by status (see :data:`YOUTH_STAGES`)."""
    counts = dict.fromkeys((s for s, _ in YOUTH_STAGES), 0)
    for youth in model.youth:
        counts[youth.status] = counts.get(youth.status, 0) + 1
    return counts


def youth_flows(model: VillageMarket) -> dict[str, int]:
    """Run-to-date flows: returned, trained, started streaming, stopped streaming."""
    flows = {"returned": 0, "trained": 0, "started streaming": 0, "stopped streaming": 0}
    for youth in model.youth:
        flows["returned"] += youth.returned_week is not None
        flows["trained"] += bool(youth.trained)
        flows["started streaming"] += youth.stream_start_week is not None
        flows["stopped streaming"] += youth.stream_exit_week is not None
    return flows


# ------------------------------------------------------------------------------------------------
# where each yuan goes
# ------------------------------------------------------------------------------------------------
def value_flow_rows(model: VillageMarket) -> tuple[list[dict[str, Any]], dict[str, float]]:
    """Rows of the value-flow chart: each flow's share of spending this week and so far.

    Reads the model's :class:`~village_sim.metrics.value_flows.ValueFlowRecorder`
    (``viz_value_flows``; without one, this week only).

    Returns:
        ``(rows, spending)``: rows ``{period, flow, rank, share, yuan}`` (no rows for a period
        without spending) and the spending (yuan) of ``"this week"`` and ``"run so far"``.
    """
    recorder = getattr(model, "viz_value_flows", None)
    if recorder is not None:
        this_week = recorder.weeks[-1] if recorder.weeks else None
        so_far = recorder.so_far() if recorder.weeks else None
    else:
        this_week = vf.week_flows(model) if model.week else None
        so_far = None
    rows: list[dict[str, Any]] = []
    spending: dict[str, float] = {}
    for period, flows in (("this week", this_week), ("run so far", so_far)):
        if flows is None:
            continue
        spending[period] = flows["spending"] / FEN_PER_YUAN
        shares = vf.shares(flows)
        for rank, (key, label) in enumerate(vf.FLOWS.items()):
            if shares[key] is None:
                continue
            rows.append(
                {
                    "period": period,
                    "flow": label,
                    "rank": rank,
                    "share": finite_or_none(shares[key]),
                    "yuan": flows[key] / FEN_PER_YUAN,
                }
            )
    return rows, spending
