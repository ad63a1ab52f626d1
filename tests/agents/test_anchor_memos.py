"""Remembered anchor terms agree exactly with their plain formulas (benchmarks/README.md, speed).

A week's plan reads an anchor's reserve, route spoilage and sales-window sums several times; each
is remembered until one of its inputs changes. These tests compare every remembered value with the
formula computed afresh, with ``==``: a cache that returned a stale value would change results.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import small_scenario

from village_sim.accounts import Account, Flow
from village_sim.agents import pricing
from village_sim.model import VillageMarket
from village_sim.run import load_scenario
from village_sim.units import to_fen

ROOT = Path(__file__).resolve().parents[2]


def _reserve_formula(anchor) -> float:
    """The reserve as first written: F less depreciation and interest, plus I(max(debt, L))."""
    upkeep = anchor.fixed_cost_week() - anchor.depreciation_week() - anchor.interest_week()
    interest = anchor.interest_week(max(anchor.debt(), anchor.credit_limit))
    return anchor.model.config.anchors.reserve_weeks * (upkeep + interest)


def _check_anchors(model: VillageMarket) -> int:
    checked = 0
    for a in model.anchors:
        assert a.reserve() == a.reserve_plain() == _reserve_formula(a), (model.week, a.index)
        for p in range(len(model.products)):
            assert a._route_spoilage(p) == a.route_spoilage_plain(p), (model.week, a.index, p)
        for n in (1, 4, a.model.config.anchors.refund_memory_weeks):
            assert a.memory.totals(n) == a.memory.totals_plain(n)
        checked += 1
    return checked


@pytest.mark.parametrize("name", ["baseline", "combined"])
def test_remembered_terms_equal_their_formulas_every_week(name: str):
    """Through a run (policies on in ``combined``), after every phase that pays or plans."""
    scenario = load_scenario(ROOT / "scenarios" / f"{name}.yaml", overrides={"steps": 30})
    model = VillageMarket(scenario, seed=3)
    checked = 0
    for _ in range(30):
        model.step()
        checked += _check_anchors(model)
    assert checked > 100


def test_reserve_follows_cash_capital_tools_and_strategy():
    """Each input of the reserve invalidates it: a payment, capital spent, a tool, a brand."""
    model = VillageMarket(small_scenario(steps=6), seed=1)
    for _ in range(4):
        model.step()
    anchor = next(a for a in model.anchors if a.kind == "local")
    anchor.credit_limit = 1_000.0  # debt beyond the line: the reserve reads the debt itself
    anchor.guaranteed_debt_limit = 0.0  # the informal rate on all debt
    spend = to_fen(anchor.cash() + 50_000.0)
    model.money.transfer(Flow.EQUIPMENT, Account.ANCHORS, anchor.index, Account.VENDORS, 0, spend)
    steps = [
        lambda: None,
        # a payment alone: more debt, more interest
        lambda: model.money.transfer(
            Flow.EQUIPMENT, Account.ANCHORS, anchor.index, Account.VENDORS, 0, to_fen(20_000.0)
        ),
        # capital alone (the books' way): depreciation cancels out of R, up to rounding
        lambda: anchor.capex.append((model.week, 8_000.0)),
        lambda: anchor.acquire_tool(next(iter(model.config.tools.catalogue)), handed_out=True),
        lambda: setattr(anchor, "strategy", "brand"),  # brand upkeep
        lambda: setattr(anchor, "guaranteed_debt_limit", 30_000.0),  # the cheaper rate
        lambda: setattr(anchor, "credit_limit", 500_000.0),  # interest on the whole line
    ]
    seen = []
    for change in steps:
        change()
        assert anchor.reserve() == anchor.reserve_plain() == _reserve_formula(anchor)
        funds = anchor.cash() + anchor.credit_limit - anchor.reserve_plain()
        assert anchor.available_funds() == max(0.0, funds)
        seen.append(anchor.reserve())
    moved = [b != a for a, b in zip(seen, seen[1:], strict=False)]
    assert moved[0] and all(moved[2:])  # every change but the capital one moves R


def test_route_spoilage_follows_the_routes():
    """A faster or a cold route (infrastructure, cold-chain policies) is seen at once."""
    model = VillageMarket(small_scenario(steps=2), seed=1)
    model.step()
    anchor = next(iter(model.anchors))
    v = anchor.base_village
    p = max(range(len(model.products)), key=lambda p: model.products[p].perishability_per_day)
    model.world.route_cold[v] = False
    warm = anchor._route_spoilage(p)
    model.world.route_days[v] *= 0.5
    fast = anchor._route_spoilage(p)
    assert fast == anchor.route_spoilage_plain(p) < warm
    model.world.route_cold[v] = True
    assert anchor._route_spoilage(p) == anchor.route_spoilage_plain(p) < fast


def test_sales_window_sums_renew_each_week():
    """The sums of complete weeks are taken again once a new week opens."""
    memory = pricing.SalesMemory(weeks=5)
    memory.open_week(stock_g=100)
    memory.now.sales = 3.0
    assert memory.totals(4).sales == 0.0  # the open week is not complete
    memory.open_week(stock_g=200)
    assert memory.totals(4).sales == 3.0 == memory.totals_plain(4).sales
    memory.now.sales = 4.0
    memory.open_week(stock_g=300)
    assert memory.totals(4) == memory.totals_plain(4)
    assert memory.totals(4).sales == 7.0
