"""Tables of a run (INTERFACE.md): villages, training cohorts and the trade graph with its flows.

Read-only views of the model's state, shared by the run folder and the browser view.
"""

from __future__ import annotations

import math

import mesa
import networkx as nx
import numpy as np
import pandas as pd

from village_sim.accounts import Account
from village_sim.agents.pricing import IDLE_REASONS
from village_sim.market.tallies import dormant_weeks
from village_sim.numerics import exact_sum

TERRAIN_NAMES = ("plain", "hill", "mountain")


def village_table(model: mesa.Model) -> pd.DataFrame:
    """One row per village: terrain, sales, farmer income and share, trust, stalls, spoilage."""
    world = model.world
    vs = model.books.village
    live = model.books.anchor_tallies
    income = model.farmers.yearly_income()
    n_v = world.n_villages
    farmers_v = model.farmers.village
    income_sum = np.bincount(farmers_v, weights=income, minlength=n_v)
    households = np.bincount(farmers_v, minlength=n_v)
    active = np.zeros(n_v, dtype=int)
    for a in model.anchor_list:
        if a.can_trade(model.week - 1) and a.sessions > 0:
            active[a.base_village] += 1
    scale = model.consumers.scale.astype(float)
    trust = (model.consumers.brand_trust * scale[:, None]).sum(axis=0) / scale.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        return pd.DataFrame(
            {
                "village": np.arange(n_v),
                "node_id": world.village_nodes,
                "name": world.village_names(),
                "terrain": [TERRAIN_NAMES[t] for t in world.terrain],
                "households": households,
                "sales_yuan": np.round(vs["gmv_yuan"], 2),
                "farmer_income_mean": np.where(
                    households > 0, income_sum / np.maximum(households, 1), np.nan
                ).round(2),
                "farmer_share": np.where(
                    live.village_net_spend > 0,
                    live.village_live_net / live.village_net_spend,
                    np.nan,
                ).round(4),
                "brand_trust": trust.round(4),
                "stall_rate": np.where(
                    vs["sessions"] > 0, vs["stalled"] / vs["sessions"], np.nan
                ).round(4),
                "spoilage_rate": np.where(
                    vs["fresh_shipped_kg"] > 0,
                    vs["fresh_spoiled_kg"] / vs["fresh_shipped_kg"],
                    np.nan,
                ).round(4),
                "active_anchors": active,
            }
        )


def cohort_table(model: mesa.Model) -> pd.DataFrame:
    """One row per training cohort and week since its course ended."""
    rows = []
    last_week = model.week - 1
    for cohort in model.training.cohorts:
        if cohort.end_week > last_week:
            continue
        for since in range(0, last_week - cohort.end_week + 1):
            at = cohort.end_week + since
            streaming = exited = 0
            for youth in cohort.members:
                start, stop = youth.stream_start_week, youth.stream_exit_week
                if start is None or start > at:
                    continue
                if stop is not None and stop <= at:
                    exited += 1
                else:
                    streaming += 1
            rows.append(
                {
                    "cohort": cohort.cohort_id,
                    "course": cohort.course,
                    "start_week": cohort.start_week,
                    "end_week": cohort.end_week,
                    "weeks_since_course": since,
                    "trainees": len(cohort.members),
                    "streaming": streaming,
                    "exited": exited,
                }
            )
    columns = [
        "cohort",
        "course",
        "start_week",
        "end_week",
        "weeks_since_course",
        "trainees",
        "streaming",
        "exited",
    ]
    return pd.DataFrame(rows, columns=columns)


def trade_graph(model: mesa.Model) -> nx.DiGraph:
    """The places graph with the run's flows, directed the way goods travel (village → city).

    Edge attribute ``flow_kg``: kilograms shipped over the road since week 0; node attribute
    ``volume_kg``: kilograms that passed through the place (a parcel counts once at every place
    on its route: it leaves its village, passes stations and hubs, reaches its city). A road that
    carried nothing keeps the orientation of the scenario's graph.
    """
    places = model.world.graph
    logistics = model.logistics
    graph = nx.DiGraph()
    for n, data in places.nodes(data=True):
        attrs = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in data.items()}
        attrs["volume_kg"] = round(logistics.node_flow_kg.get(n, 0.0), 3)
        graph.add_node(n, **attrs)
    for u, v, data in places.edges(data=True):
        forward = logistics.edge_direction.get((min(u, v), max(u, v)), (u, v))
        attrs = {k: (x.item() if isinstance(x, np.generic) else x) for k, x in data.items()}
        attrs["flow_kg"] = round(logistics.edge_flow_kg.get((min(u, v), max(u, v)), 0.0), 3)
        graph.add_edge(*forward, **attrs)
    return graph


def gini(values: np.ndarray) -> float | None:
    """Gini coefficient (None when empty or all zero); negative values count as zero.

    ``Σ (2i − n − 1)·x_i / (n·Σx)`` over the values sorted ascending (i from 1). A streaming
    household's income includes its anchor's result, which can be a loss.
    """
    x = np.sort(np.maximum(np.asarray(values, dtype=float), 0.0))
    total = exact_sum(x)
    if x.size == 0 or total <= 0:
        return None
    n = x.size
    # Exactly rounded sums (math.fsum's numbers), not a BLAS dot: a dot product's rounding
    # depends on the BLAS thread count above ~10,000 values (the province's households), so the
    # same run would give different bits on machines with different cores.
    rank_weight = 2.0 * np.arange(1, n + 1) - n - 1
    return exact_sum(rank_weight * x) / (n * total)


def lorenz(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lorenz curve of non-negative values: cumulative population and value shares from 0 to 1.

    Empty arrays when there is nothing to share (no values, or all zero).
    """
    v = np.sort(np.clip(np.asarray(values, dtype=float), 0, None))
    if v.size == 0 or v.sum() <= 0:
        return np.zeros(0), np.zeros(0)
    x = np.linspace(0.0, 1.0, v.size + 1)
    y = np.concatenate(([0.0], np.cumsum(v) / v.sum()))
    return x, y


def villages_weekly_table(model: mesa.Model) -> pd.DataFrame:
    """One row per village and week (``villages_weekly.parquet``).

    Goods in kg: ``opening_stock_kg + harvest_kg = to_middlemen_kg + shipped_kg +
    spoiled_origin_kg + closing_stock_kg`` in every village and week (stock is households' stores
    and anchors' stock of village goods); ``to_middlemen_kg`` is households' sales
    (``middlemen_kg``) plus quitting anchors' liquidations (``liquidated_kg``). Channels of the
    households' produce: ``middlemen_*``, ``contract_*`` (sold to anchors), ``own_stream_*``
    (taken by the household's own stream); ``shipped_kg`` left the village in parcels,
    ``spoiled_transit_kg`` of what left it spoiled on the way; ``sessions``/``stalled`` hosted
    there; ``live_sales_yuan`` of anchors based there; ``farm_receipts_yuan`` households' receipts;
    ``farm_net_income_yuan`` their net income (receipts − payments + own-stream result).
    """
    frame = model.books.villages_weekly()
    if frame.empty:
        return frame
    names = np.array(model.world.village_names(), dtype=object)
    frame.insert(2, "name", names[frame["village"].to_numpy()])
    return frame


def flows_table(model: mesa.Model) -> pd.DataFrame:
    """Parcels that left, by week, origin village, destination city and cold chain (``flows.parquet``).

    ``kg`` shipped, ``spoiled_kg`` of it lost in transit, ``yuan`` what consumers paid for the goods
    in those parcels (before refunds).
    """
    columns = ["week", "village", "city", "cold", "kg", "spoiled_kg", "yuan"]
    history = model.logistics.route_history
    if not history:
        return pd.DataFrame(columns=[*columns[:3], "village_name", "city_name", *columns[3:]])
    frame = pd.DataFrame({c: np.concatenate([h[c] for h in history]) for c in columns})
    graph = model.world.graph
    villages = np.array(model.world.village_names(), dtype=object)
    cities = np.array([graph.nodes[n]["name"] for n in model.world.city_nodes], dtype=object)
    frame.insert(3, "village_name", villages[frame["village"].to_numpy()])
    frame.insert(4, "city_name", cities[frame["city"].to_numpy()])
    return frame


def youth_weekly_table(model: mesa.Model) -> pd.DataFrame:
    """People by youth status at the end of each week (``youth_weekly.csv``)."""
    frame = model.datacollector.get_model_vars_dataframe().filter(regex=r"^youth_(?!returned)")
    frame = frame.rename(columns=lambda c: c.removeprefix("youth_")).reset_index(drop=True)
    frame.insert(0, "week", range(len(frame)))
    return frame


# IDLE_REASONS: why a held tool sits idle in a week (ECONOMICS.md §A, Tools), as the anchors record
# them (village_sim.agents.pricing.idle_reason); ``unrecorded`` counts idle tool-weeks without one.


def _number(anchor: object, name: str) -> float:
    """A numeric attribute of an anchor (called if it is a method); NaN where it has none."""
    value = getattr(anchor, name, None)
    if callable(value):
        value = value()
    return math.nan if value is None else float(value)


def anchors_table(model: mesa.Model) -> pd.DataFrame:
    """One row per anchor ever (``anchors.csv``; ECONOMICS.md §D).

    Who, where, when and why it left; what it earned (revenue, profit), owed and could borrow; its
    outside option, margin expectation M̂ and value of staying ΔV at exit or at the end; followers,
    strategy switches, tools and idle tool-weeks by reason, complaints and fines. A figure the
    anchor does not keep (yet) is NaN.
    """
    cash = model.money.balances[Account.ANCHORS]
    tallies = model.books.anchor_tallies
    rows = []
    for a in model.anchor_list:
        end = a.exit_week if a.exited else model.week
        own_cash = cash[a.index] / 100
        debt = _number(a, "debt")
        totals = tallies.row(a.index)
        idle = totals["idle"]
        row = {
            "anchor": a.index,
            "person_id": a.person_id,
            "kind": a.kind,
            "village": a.base_village,
            "product": model.products.names[a.product],
            "cohort": a.cohort,
            "start_week": a.start_week,
            "exit_week": a.exit_week,
            "exit_reason": a.exit_reason,
            "tenure_weeks": end - a.start_week,
            "active_weeks": a.active_weeks,
            "dormant_weeks": dormant_weeks(a),
            "revenue_yuan": round(sum(a.revenue_history), 2),
            "profit_yuan": _number(a, "profit_total"),
            "income_yuan": round(sum(a.income_history), 2),
            "cash_yuan": own_cash,
            "debt_yuan": max(0.0, -own_cash) if math.isnan(debt) else debt,
            "credit_limit_yuan": _number(a, "credit_limit"),
            "outside_option_yuan_week": _number(a, "outside_option"),
            "margin_hat_yuan_week": _number(a, "margin_hat"),
            "delta_v_yuan": _number(a, "last_delta_v"),
            "followers": a.followers,
            "strategy": a.strategy,
            "strategy_switches": totals["strategy_switches"],
            "skill": round(a.skill, 4),
            "tools": "+".join(sorted(a.tools)),
            **{f"idle_tool_weeks_{r}": idle.get(r, 0) for r in IDLE_REASONS},
            "idle_tool_weeks_unrecorded": sum(n for r, n in idle.items() if r not in IDLE_REASONS),
            "complaints": totals["complaints"],
            "fines_yuan": round(totals["fines_yuan"], 2),
            "offences": a.offences,
        }
        rows.append(row)
    return pd.DataFrame(rows)


def kaplan_meier(durations: np.ndarray, exited: np.ndarray, z: float = 1.96) -> pd.DataFrame:
    """Kaplan–Meier survival with Greenwood's variance and a log(−log) confidence band.

    Args:
        durations: Weeks each anchor was observed (start to exit, or to the end of the run).
        exited: Whether the anchor exited (False: right-censored at its duration).
        z: Normal quantile of the band (1.96: 95 %).

    Returns:
        One row per distinct exit time: ``weeks, at_risk, exits, survival, ci_low, ci_high``.
    """
    durations = np.asarray(durations, dtype=float)
    exited = np.asarray(exited, dtype=bool)
    times = np.unique(durations[exited])
    at_risk = np.array([(durations >= t).sum() for t in times])
    exits = np.array([((durations == t) & exited).sum() for t in times])
    survival = np.cumprod(1 - exits / at_risk)
    with np.errstate(divide="ignore", invalid="ignore"):
        greenwood = np.cumsum(exits / (at_risk * (at_risk - exits)))
        log_s = np.log(survival)
        half = z * np.sqrt(greenwood) / np.abs(log_s)
        low, high = survival ** np.exp(half), survival ** np.exp(-half)
    lone = (survival <= 0) | (survival >= 1) | ~np.isfinite(half)
    return pd.DataFrame(
        {
            "weeks": times.astype(int),
            "at_risk": at_risk,
            "exits": exits,
            "survival": survival,
            "ci_low": np.where(lone, np.nan, low),
            "ci_high": np.where(lone, np.nan, high),
        }
    )


def survival_table(model: mesa.Model) -> pd.DataFrame:
    """Kaplan–Meier survival of local anchors by weeks since start (``survival.csv``).

    Overall (``group`` = ``all``) and by year of entry (``entry_year_0``, ``entry_year_1`` …);
    anchors still streaming at the end are right-censored.
    """
    local = [a for a in model.anchor_list if a.is_local]
    columns = ["group", "weeks", "at_risk", "exits", "survival", "ci_low", "ci_high"]
    if not local:
        return pd.DataFrame(columns=columns)
    start = np.array([a.start_week for a in local])
    end = np.array([a.exit_week if a.exited else model.week for a in local])
    exited = np.array([a.exited for a in local])
    groups = [("all", np.ones(len(local), bool))]
    groups += [(f"entry_year_{y}", start // 52 == y) for y in np.unique(start // 52)]
    frames = [
        _from_week_zero(end[m] - start[m], exited[m]).assign(group=name) for name, m in groups
    ]
    return pd.concat(frames, ignore_index=True)[columns]


def _from_week_zero(durations: np.ndarray, exited: np.ndarray) -> pd.DataFrame:
    """:func:`kaplan_meier` from week 0 on, also for a group without exits.

    Survival at week 0 is 1 unless someone left in week 0.
    """
    km = kaplan_meier(durations, exited)
    if len(km) and km["weeks"].iloc[0] == 0:
        return km
    start = pd.DataFrame(
        {
            "weeks": [0],
            "at_risk": [int(np.asarray(durations).size)],
            "exits": [0],
            "survival": [1.0],
            "ci_low": [1.0],
            "ci_high": [1.0],
        }
    )
    return pd.concat([start, km], ignore_index=True) if len(km) else start
