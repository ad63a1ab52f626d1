"""The run folder's tables: every village-week balances, flows reach cities, the panel is rich."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers import small_scenario

from village_sim.run import run


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("tables") / "run"
    run(small_scenario(steps=30), seed=2, record_agents=True).save(out)
    return out


def test_every_village_week_balances_its_goods(folder):
    weekly = pd.read_parquet(folder / "villages_weekly.parquet")
    assert len(weekly) == 30 * weekly["village"].nunique()
    residual = (
        weekly["opening_stock_kg"]
        + weekly["harvest_kg"]
        - weekly["to_middlemen_kg"]
        - weekly["shipped_kg"]
        - weekly["spoiled_origin_kg"]
        - weekly["closing_stock_kg"]
    )
    assert residual.abs().max() < 1e-6
    to_middlemen = weekly["middlemen_kg"] + weekly["liquidated_kg"]
    assert np.allclose(weekly["to_middlemen_kg"], to_middlemen)
    assert weekly["harvest_kg"].sum() > 0 and weekly["contract_kg"].sum() > 0
    # a week's closing stock is the next week's opening stock
    for _, v in weekly.groupby("village"):
        assert np.allclose(
            v["closing_stock_kg"].to_numpy()[:-1], v["opening_stock_kg"].to_numpy()[1:]
        )


def test_village_weeks_add_up_to_the_run_totals(folder):
    weekly = pd.read_parquet(folder / "villages_weekly.parquet")
    villages = pd.read_csv(folder / "villages.csv")
    assert weekly["sessions"].sum() >= weekly["stalled"].sum() > 0
    sales = weekly.groupby("village")["live_sales_yuan"].sum()
    assert np.allclose(sales.to_numpy(), villages.sort_values("village")["sales_yuan"], atol=0.01)


def test_flows_go_from_villages_to_cities(folder):
    flows = pd.read_parquet(folder / "flows.parquet")
    assert {"week", "village", "city", "cold", "kg", "spoiled_kg", "yuan"} <= set(flows.columns)
    assert (flows["kg"] > 0).all() and (flows["spoiled_kg"] <= flows["kg"]).all()
    assert flows["yuan"].sum() > 0
    assert not flows.duplicated(["week", "village", "city", "cold"]).any()


def test_the_panel_has_roles_cash_status_and_tools(folder):
    panel = pd.read_parquet(folder / "agents.parquet")
    for column in ("role", "status", "village", "cash", "income", "skill", "strategy"):
        assert column in panel.columns
    anchors = panel[panel["role"].str.startswith("anchor")]
    assert set(anchors["status"]) <= {"active", "idle", "suspended", "exited"}
    assert anchors["cash"].notna().all() and anchors["tools_held"].notna().all()
    assert (panel.loc[panel["role"] == "farmer", "status"] == "household").all()


def test_browser_charts_can_be_redrawn_from_the_weekly_anchor_and_youth_files(folder):
    from village_sim.metrics.tables import gini

    anchors = pd.read_parquet(folder / "anchors_weekly.parquet")
    last = anchors[anchors["week"] == anchors["week"].max()]
    assert gini(last["views"].to_numpy()) is not None  # the Lorenz curve of traffic
    held = anchors["tools_held"].str.split("+").explode()
    assert (
        set(held.dropna()) - {""}
        <= {
            "ai_selection",
            "traceability",
            "data_dashboard",
            "digital_human",
        }
        or held.notna().any()
    )
    timeseries = pd.read_csv(folder / "timeseries.csv")
    views = anchors.groupby("week")["views"].sum()
    views = views[views > 0]
    anchors = anchors[anchors["week"].isin(views.index)]
    shares = anchors.assign(share=anchors["views"] / anchors["week"].map(views))
    hhi = (shares["share"] ** 2).groupby(shares["week"]).sum()
    weeks = hhi.index.to_numpy()
    assert len(weeks) > 20
    assert np.allclose(hhi.to_numpy(), timeseries.loc[weeks, "traffic_hhi"])
    youth = pd.read_csv(folder / "youth_weekly.csv")
    assert len(youth) == 30 and (youth.drop(columns="week").sum(axis=1) == 120).all()


def test_a_county_without_live_streaming_writes_empty_anchor_tables(tmp_path):
    out = tmp_path / "run"
    run(small_scenario(steps=4, livestream__enabled=False), seed=1).save(out)
    anchors = pd.read_parquet(out / "anchors_weekly.parquet")
    assert anchors.empty and "views" in anchors.columns
    assert pd.read_parquet(out / "flows.parquet").empty


def test_kaplan_meier_by_hand():
    from village_sim.metrics.tables import kaplan_meier

    km = kaplan_meier(np.array([1, 2, 2, 3, 4]), np.array([True, True, False, True, False]))
    assert km["weeks"].tolist() == [1, 2, 3]
    assert km["at_risk"].tolist() == [5, 4, 2]
    assert np.allclose(km["survival"], [0.8, 0.6, 0.3])
    assert (km["ci_low"] <= km["survival"]).all() and (km["survival"] <= km["ci_high"]).all()


def test_anchors_and_survival_files_agree_with_the_run(folder):
    anchors = pd.read_csv(folder / "anchors.csv")
    weekly = pd.read_parquet(folder / "anchors_weekly.parquet")
    assert set(weekly["index"]) <= set(anchors["anchor"]) and anchors["anchor"].is_unique
    exited = anchors[anchors["exit_week"].notna()]
    assert (exited["tenure_weeks"] == exited["exit_week"] - exited["start_week"]).all()
    assert exited["exit_reason"].notna().all()
    survival = pd.read_csv(folder / "survival.csv")
    overall = survival[survival["group"] == "all"]
    local = anchors[anchors["kind"].isin(["local", "farmer"])]
    if local["exit_week"].notna().any():
        assert overall["survival"].is_monotonic_decreasing
        assert overall["exits"].sum() == local["exit_week"].notna().sum()


ANCHOR_COLUMNS = (
    "person_id",
    "kind",
    "village",
    "product",
    "start_week",
    "exit_week",
    "exit_reason",
    "tenure_weeks",
    "dormant_weeks",
    "revenue_yuan",
    "profit_yuan",
    "cash_yuan",
    "debt_yuan",
    "credit_limit_yuan",
    "outside_option_yuan_week",
    "margin_hat_yuan_week",
    "delta_v_yuan",
    "followers",
    "strategy_switches",
    "tools",
    "idle_tool_weeks_suspended",
    "idle_tool_weeks_dormant",
    "idle_tool_weeks_skill",
    "idle_tool_weeks_effort",
    "complaints",
    "fines_yuan",
)


def test_anchors_csv_has_the_economic_columns_and_its_totals_match_the_books():
    """ECONOMICS.md §D's columns; fines, complaints and idle tool-weeks add up to the run's."""
    from village_sim.metrics.tables import anchors_table

    result = run(small_scenario(steps=40), seed=2)
    table = anchors_table(result.model)
    assert set(ANCHOR_COLUMNS) <= set(table.columns)
    stats = result.model.books.stats_frame()
    assert table["complaints"].sum() == stats["complaints"].sum()
    idle = table.filter(like="idle_tool_weeks_").to_numpy().sum()
    assert idle == stats["tool_weeks_idle"].sum()
    debt = np.maximum(-table["cash_yuan"], 0)
    assert (table["debt_yuan"] >= 0).all() and (table["debt_yuan"] >= debt - 1e-9).all()


def test_survival_starts_at_week_zero_in_every_group_even_without_exits():
    from village_sim.metrics.tables import survival_table

    result = run(small_scenario(steps=30), seed=2)
    table = survival_table(result.model)
    for _, group in table.groupby("group"):
        first = group.iloc[0]
        assert first["weeks"] == 0  # S(0) = P(tenure > 0): 1 unless someone left in week 0
        assert first["survival"] == pytest.approx(1 - first["exits"] / first["at_risk"])
        assert group["survival"].is_monotonic_decreasing
        assert group["weeks"].is_monotonic_increasing
    assert "all" in set(table["group"])


def test_gini_is_the_exact_formula_in_any_order_of_the_households():
    """Reproducible on any machine: exactly rounded sums, no BLAS dot whose rounding depends on
    the thread count (the province has 30,000 households)."""
    from fractions import Fraction

    from village_sim.metrics.tables import gini

    rng = np.random.default_rng(7)
    incomes = rng.lognormal(10.0, 0.8, 30_000)
    incomes[:50] = -100.0  # losses count as zero
    x = sorted(max(float(v), 0.0) for v in incomes)
    n = len(x)
    exact = sum(Fraction(2 * i - n - 1) * Fraction(v) for i, v in enumerate(x, 1)) / (
        n * sum(Fraction(v) for v in x)
    )
    value = gini(incomes)
    assert value == pytest.approx(float(exact), rel=1e-13)
    assert gini(rng.permutation(incomes)) == value
    assert gini(np.zeros(5)) is None and gini(np.array([])) is None
    assert gini(np.array([1.0, 1.0, 1.0])) == 0.0
