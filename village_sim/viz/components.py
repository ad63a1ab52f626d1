"""Solara components of the page: monitors, the trade graph and the plots.

Each component takes the model and draws Vega-Lite charts (:mod:`village_sim.viz.charts`) from
numbers computed by :mod:`village_sim.viz.data`; it redraws after every Step through
:func:`use_tick`. Page 0 holds the monitors, the graph and the headline time series; page 1 the
distributions: traffic and sales over anchors, technology suspension by tool and by group, and
the youth pipeline. (Components are named like classes, as Solara's are.)
"""
# ruff: noqa: N802

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import solara

from village_sim.metrics.value_flows import FLOWS
from village_sim.viz import charts, data, levers
from village_sim.viz.widgets import VegaChart

if TYPE_CHECKING:
    from village_sim.model import VillageMarket

CARD_STYLE = {"max-height": "385px", "overflow": "auto", "padding": "4px", "background": "white"}

MONITORS: tuple[tuple[str, str, str], ...] = (
    ("farmer_income_mean", "farmer income", "yuan/yr"),
    ("active_anchors", "active anchors", "anchors"),
    ("technology_suspension_rate", "technology suspension", "share"),
    ("traffic_hhi", "traffic HHI", "0–1"),
    ("top10_traffic_share", "top-10 % traffic share", "share"),
    ("farmer_share_of_spending", "farmers' share of spending", "share"),
    ("spoilage_rate", "spoilage rate", "share"),
    ("stall_rate", "stall rate", "share"),
    ("consumer_trust", "consumer trust", "0–1"),
    ("village_brand_trust", "village brand trust", "0–1"),
    ("gmv", "live-stream spending", "yuan/wk"),
)
"""Headline monitors: indicator, label, unit (values: see :func:`village_sim.viz.data.headline`)."""


TICK = solara.create_context(0)
"""Mesa's step counter as the page provides it (see :func:`village_sim.viz.app.Page`)."""


def use_tick() -> int:
    """Redraw the calling component whenever the page provides a new step count.

    Mesa's own components each listen to ``update_counter``, and every listener costs a render
    pass over the whole widget tree; here only the page listens and hands the count down as a
    context, so a Step redraws everything in one or two passes.
    """
    return solara.use_context(TICK)


def format_value(value: float | None, unit: str) -> str:
    """A monitor's text: percent for shares, thousands separators for yuan, '—' when undefined."""
    if value is None:
        return "—"
    if unit == "share":
        return f"{value:.1%}"
    if unit == "0–1":
        return f"{value:.3f}"
    return f"{value:,.0f}"


@solara.component
def Chart(spec: dict[str, Any], name: str, caption: str | None = None) -> solara.Element:
    """A Vega-Lite chart in a card-sized, scrollable box (classes ``vs-chart vs-chart-NAME``).

    Args:
        spec: The Vega-Lite specification.
        name: Short name (CSS class, for tests).
        caption: A line under the chart (numbers that change every week belong here rather
            than in the spec's titles: then a Step only swaps the chart's data).
    """
    with solara.Div(classes=["vs-chart", f"vs-chart-{name}"], style=CARD_STYLE) as box:
        VegaChart.element(spec=spec)
        if caption:
            solara.Div(
                children=[solara.Text(caption, classes=["vs-caption"])],
                style={"font-size": "11px", "color": "#444", "padding-left": "6px"},
            )
    return box


@solara.component
def Monitors(model: VillageMarket) -> solara.Element:
    """The week, the scenario, the levers applied and the headline indicators."""
    use_tick()
    week = int(model.week)
    config = model.config
    policies = ", ".join(p.name for p in config.policies) or "none"
    moved = levers.describe(getattr(model, "lever_values", None))
    tile = {
        "border": "1px solid #ddd",
        "border-radius": "6px",
        "padding": "2px 6px",
        "min-width": "122px",
        "flex": "1 1 122px",
        "background": "#fafafa",
    }
    small = {"font-size": "10.5px", "color": "#555"}
    values = data.headline(model, [name for name, _, _ in MONITORS])
    with solara.Div(classes=["vs-monitors"], style=CARD_STYLE) as box:
        solara.Text(
            f"Week {week}", classes=["vs-week"], style={"font-size": "20px", "font-weight": "600"}
        )
        solara.Text(f" of {config.steps}", style={"color": "#666"})
        solara.Div(
            children=[
                solara.Text(
                    f"Scenario {config.name} · seed {getattr(model, 'seed', 0)} · policies: {policies}"
                    + (f" · levers: {'; '.join(moved)}" if moved else ""),
                    classes=["vs-scenario"],
                    style={"font-size": "11.5px", "color": "#444"},
                )
            ]
        )
        solara.Div(
            children=[
                solara.Text(
                    "Scenario, seed and levers in the sidebar take effect on Reset.",
                    style={"font-size": "10.5px", "color": "#888"},
                )
            ]
        )
        for message in getattr(model, "viz_warnings", []):
            solara.Warning(message, dense=True, classes=["vs-warning"])
        with solara.Div(
            style={"display": "flex", "flex-wrap": "wrap", "gap": "5px", "margin-top": "4px"}
        ):
            for name, label, unit in MONITORS:
                value, basis = values[name]
                with solara.Div(classes=["vs-monitor", f"vs-monitor-{name}"], style=tile):
                    solara.Div(children=[solara.Text(label, style=small)])
                    solara.Div(
                        children=[
                            solara.Text(
                                format_value(value, unit),
                                classes=["vs-value"],
                                style={"font-size": "15px", "font-weight": "600"},
                            ),
                            solara.Text(
                                f" {basis}" if unit == "share" else f" {unit}, {basis}",
                                style={**small, "font-size": "9.5px"},
                            ),
                        ]
                    )
    return box


@solara.component
def TradeGraph(model: VillageMarket) -> solara.Element:
    """The places graph on its fixed map, with a switch for what colours the villages."""
    use_tick()
    colour_by, set_colour_by = solara.use_state("farmer share")
    positions = getattr(model, "viz_positions", None)
    nodes, edges = data.trade_graph(model, positions)
    key = "farmer_share" if colour_by == "farmer share" else "brand_trust"
    spec = charts.trade_graph_chart(nodes, edges, key)
    with solara.Div(classes=["vs-chart", "vs-chart-graph"], style=CARD_STYLE) as box:
        solara.ToggleButtonsSingle(
            value=colour_by,
            values=["farmer share", "brand trust"],
            on_value=set_colour_by,
            dense=True,
        )
        VegaChart.element(spec=spec)
        values = [n[key] for n in nodes if n["kind"] == "village" and n[key] is not None]
        note = (
            f"Villages coloured from the lowest to the highest {colour_by} (grey: none yet)."
            if values
            else f"No village has a {colour_by} yet (grey): no live-stream sale so far."
        )
        solara.Div(
            children=[solara.Text(note, classes=["vs-caption"])],
            style={"font-size": "11px", "color": "#444", "padding-left": "6px"},
        )
    return box


@solara.component
def ValueFlowPlot(model: VillageMarket) -> solara.Element:
    """Where consumers' live-stream spending goes, this week and over the run so far."""
    use_tick()
    rows, spending = data.value_flow_rows(model)
    spec = charts.value_flow_chart(rows, list(FLOWS.values()))
    if not spending:
        caption = "Nothing yet: no week has run (press Step or ▶)."
    elif not rows:
        caption = "Nothing to draw: consumers have bought no live-stream goods yet."
    else:
        parts = []
        for period, total in spending.items():
            got = {r["flow"]: r["share"] for r in rows if r["period"] == period}
            farm = got.get(FLOWS["farm_households"])
            platform = sum(
                got.get(FLOWS[k]) or 0.0 for k in ("platform_commission", "platform_traffic")
            )
            parts.append(
                f"{period}: {total:,.0f} yuan"
                + (
                    f", farm households {farm:.0%}, platform {platform:.1%}"
                    if farm is not None
                    else ""
                )
            )
        caption = "Spending " + "; ".join(parts) + ". From the ledger's transfers (sums to 100 %)."
    return Chart(spec, "value-flows", caption)


@dataclass(frozen=True)
class SeriesSpec:
    """A time-series plot of weekly indicators (one line per column)."""

    name: str
    columns: dict[str, str]
    title: str
    y_title: str
    y_format: str | None = None
    y_domain: list[float] | None = None
    so_far: dict[str, str] | None = None
    subtitle: str | None = None
    undefined: str = "undefined so far"


SERIES: dict[str, SeriesSpec] = {
    s.name: s
    for s in (
        SeriesSpec(
            "income",
            {"farmer_income_mean": "farmer income"},
            "Farm-sales income per household",
            "income (yuan/household/yr)",
            ",.0f",
            subtitle="sales income over the last 52 weeks, per year",
        ),
        SeriesSpec(
            "anchors",
            {"active_anchors": "active anchors"},
            "Active anchors",
            "anchors streaming (anchors)",
            ",.0f",
        ),
        SeriesSpec(
            "suspension",
            {"technology_suspension_rate": "suspension rate"},
            "Technology suspension",
            "idle / held tool-weeks (share)",
            ".0%",
            [0, 1],
            undefined="undefined until an anchor holds a tool",
        ),
        SeriesSpec(
            "traffic",
            {"traffic_hhi": "traffic HHI", "top10_traffic_share": "top-10 % anchors' share"},
            "Traffic concentration (traffic-grabbing)",
            "HHI (0–1); share of views (share)",
            ".0%",
            [0, 1],
            subtitle="over the person-views of anchors streaming each week",
            undefined="undefined until an anchor streams",
        ),
        SeriesSpec(
            "farmer_share",
            {"farmer_share_of_spending": "this week"},
            "Farmers' share of consumers' spending",
            "farmers' receipts / spending (share)",
            ".0%",
            so_far={"farmer_share_of_spending": "run so far"},
            subtitle="of consumers' net spending on live-stream goods",
            undefined="undefined until consumers buy live-stream goods",
        ),
        SeriesSpec(
            "losses",
            {"spoilage_rate": "spoilage (fresh kg)", "stall_rate": "stalled sessions"},
            "Spoilage and stalls",
            "spoiled kg; stalled sessions (share)",
            ".0%",
            subtitle="spoiled / shipped fresh kg; stalled / hosted sessions",
            undefined="undefined until produce ships and sessions run",
        ),
        SeriesSpec(
            "trust",
            {
                "consumer_trust": "trust in followed anchors",
                "village_brand_trust": "trust in village brands",
            },
            "Consumer trust",
            "scale-weighted mean trust (0–1)",
            ".2f",
            [0, 1],
            undefined="undefined until consumers follow an anchor",
        ),
    )
}
"""The headline time series of page 0."""


@solara.component
def SeriesPlot(model: VillageMarket, name: str) -> solara.Element:
    """One of :data:`SERIES` drawn from the weekly indicators so far."""
    use_tick()
    s = SERIES[name]
    rows = data.series(data.weekly(model), s.columns)
    for indicator, label in (s.so_far or {}).items():
        rows.extend(data.ratio_so_far(model, indicator, label))
    spec = charts.line_chart(
        rows, s.title, s.y_title, y_format=s.y_format, y_domain=s.y_domain, subtitle=s.subtitle
    )
    return Chart(spec, name, empty_note(rows, s.undefined))


def empty_note(rows: list[dict[str, Any]], undefined: str, field: str = "value") -> str | None:
    """Why a chart is empty (``None`` when it has something to show)."""
    if not rows:
        return "Nothing yet: no week has run (press Step or ▶)."
    if all(r.get(field) is None for r in rows):
        return f"Nothing to draw: {undefined}."
    return None


@solara.component
def IncomePlot(model: VillageMarket) -> solara.Element:
    """Farm-sales income per household (yuan/yr)."""
    return SeriesPlot(model, "income")


@solara.component
def AnchorsPlot(model: VillageMarket) -> solara.Element:
    """Active anchors."""
    return SeriesPlot(model, "anchors")


@solara.component
def SuspensionPlot(model: VillageMarket) -> solara.Element:
    """Technology suspension rate."""
    return SeriesPlot(model, "suspension")


@solara.component
def TrafficPlot(model: VillageMarket) -> solara.Element:
    """Traffic HHI and the top-10 % anchors' share."""
    return SeriesPlot(model, "traffic")


@solara.component
def FarmerSharePlot(model: VillageMarket) -> solara.Element:
    """Farmers' share of consumers' spending."""
    return SeriesPlot(model, "farmer_share")


@solara.component
def LossesPlot(model: VillageMarket) -> solara.Element:
    """Spoilage and stall rates."""
    return SeriesPlot(model, "losses")


@solara.component
def TrustPlot(model: VillageMarket) -> solara.Element:
    """Consumer trust in anchors and in village brands."""
    return SeriesPlot(model, "trust")


@solara.component
def LorenzPlot(model: VillageMarket) -> solara.Element:
    """Lorenz curves of this week's traffic and sales over the anchors streaming."""
    use_tick()
    rows = data.seller_week(model)
    curves = {}
    for label, key in (("traffic", "views"), ("sales", "sales_yuan")):
        xs, ys, gini = data.lorenz(r[key] for r in rows)
        text = f"{label} (Gini {gini:.2f})" if gini is not None else f"{label} (none yet)"
        curves[text] = (xs, ys)
    note = None if rows else "Nothing to draw: no anchor streamed this week."
    return Chart(charts.lorenz_chart(curves), "lorenz", note)


@solara.component
def SplitPlot(model: VillageMarket) -> solara.Element:
    """This week's traffic and sales shares of local youth, streaming farmers, external anchors."""
    use_tick()
    rows = data.group_split(data.seller_week(model))
    note = empty_note(rows, "no anchor streamed this week", "share")
    return Chart(charts.split_chart(rows), "split", note)


@solara.component
def SuspensionByToolPlot(model: VillageMarket) -> solara.Element:
    """Run-to-date technology suspension rate of each tool."""
    use_tick()
    rows = data.suspension_by_tool(model)
    spec = charts.bar_chart(
        rows,
        "tool",
        "rate",
        "Technology suspension by tool",
        "idle / held tool-weeks so far (share)",
        "tool",
        subtitle="all holders, since the start of the run",
        domain=[0, 1],
        tooltip=[
            {"field": "held_tool_weeks", "title": "held tool-weeks"},
            {"field": "idle_tool_weeks", "title": "idle tool-weeks"},
        ],
    )
    return Chart(spec, "suspension-tool", empty_note(rows, "no anchor has held a tool", "rate"))


@solara.component
def SuspensionByGroupPlot(model: VillageMarket) -> solara.Element:
    """This week's idle share of tools held, by anchor group and how the tools were acquired."""
    use_tick()
    rows = data.suspension_by_group(model)
    spec = charts.bar_chart(
        rows,
        "group",
        "rate",
        "Technology suspension by anchor group",
        "tools idle this week / tools held (share)",
        "group (how acquired)",
        subtitle="tools held by active anchors this week" if rows else "no tools held yet",
        domain=[0, 1],
        tooltip=[{"field": "held", "title": "tools held"}, {"field": "idle", "title": "idle"}],
    )
    note = None if rows else "Nothing to draw: no active anchor holds a tool this week."
    return Chart(spec, "suspension-group", note)


@solara.component
def YouthPipelinePlot(model: VillageMarket) -> solara.Element:
    """Where the county's young people are now, in pipeline order, and the flows so far."""
    use_tick()
    counts = data.youth_counts(model)
    flows = data.youth_flows(model)
    labels = dict(data.YOUTH_STAGES)
    rows = [{"stage": labels[s], "people": counts.get(s, 0)} for s, _ in data.YOUTH_STAGES]
    colours = youth_colours()
    spec = charts.bar_chart(
        rows,
        "stage",
        "people",
        "Youth pipeline: migrants → returned → trained → anchors",
        "young people (persons)",
        "status now",
        value_format=",.0f",
        subtitle="where the county's young people are this week",
        colours=colours,
    )
    caption = (
        "Since the start of the run: "
        + ", ".join(f"{k} {v}" for k, v in flows.items())
        + " (persons)."
    )
    return Chart(spec, "youth", caption)


@solara.component
def YouthHistoryPlot(model: VillageMarket) -> solara.Element:
    """Young people at home by status, week by week (stacked; migrants left out)."""
    use_tick()
    history = getattr(model, "viz_youth_history", [])
    stages = [(s, label) for s, label in data.YOUTH_STAGES if s != "migrant"]
    rows = []
    for week, counts in enumerate(history, start=1):
        for rank, (status, label) in enumerate(stages):
            rows.append(
                {"week": week, "series": label, "value": counts.get(status, 0), "rank": rank}
            )
    migrants = history[-1].get("migrant", 0) if history else data.youth_counts(model)["migrant"]
    spec = charts.stacked_area_chart(
        rows,
        [label for _, label in stages],
        "Youth at home over time, by status",
        "young people (persons)",
        subtitle="status at the end of each week; migrants in cities not shown",
        colours=youth_colours(),
    )
    caption = f"In cities now: {migrants} young people."
    if not history:
        caption = "Nothing yet: no week has run (press Step or ▶). " + caption
    return Chart(spec, "youth-history", caption)


def youth_colours() -> dict[str, str]:
    """One colour per youth status (by label), the same in both youth charts."""
    return dict(zip(dict(data.YOUTH_STAGES).values(), charts.PALETTE, strict=False))


PAGE_MAIN = (
    Monitors,
    IncomePlot,
    TradeGraph,
    ValueFlowPlot,
    AnchorsPlot,
    SuspensionPlot,
    TrafficPlot,
    FarmerSharePlot,
    LossesPlot,
    TrustPlot,
)
PAGE_DISTRIBUTIONS = (
    LorenzPlot,
    SplitPlot,
    SuspensionByToolPlot,
    SuspensionByGroupPlot,
    YouthPipelinePlot,
    YouthHistoryPlot,
)


def page_components() -> list[tuple[Any, int]]:
    """SolaraViz ``components``: (component, page) for both pages."""
    return [(c, 0) for c in PAGE_MAIN] + [(c, 1) for c in PAGE_DISTRIBUTIONS]
