"""Remembered anchor terms agree exactly with their plain formulas (benchmarks/README.md, speed).

A week's plan reads an anchor's reserve, the route spoilage (the logistics' table, one per county)
and sales-window sums several times; each is remembered until one of its inputs changes. These
tests compare every remembered value with the formula computed afresh, with ``==``: a cache that
returned a stale value would change results.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import small_scenario

from village_sim.accounts import Account, Flow
from village_sim.agents import pricing
from village_sim.agents.anchor import Anchor
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
        assert a.depreciation_week() == a.depreciation_week_plain(), (model.week, a.index)
        for p in range(len(model.products)):
            spoil = model.logistics.route_spoilage(p, a.base_village)
            assert spoil == model.logistics.route_spoilage_plain(p, a.base_village), (a.index, p)
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


def test_plan_cost_terms_equal_the_cost_terms_when_read(monkeypatch):
    """The plan's remembered cost parts: at the price review and after the week's purchases."""
    seen = []

    def checked(method):
        def wrapper(self, *args, **kwargs):
            if not self.exited and self.can_trade(self.model.week):
                p = self.product
                assert self._plan_cost_terms(p) == self._cost_terms(p)
                seen.append(method.__name__)
            return method(self, *args, **kwargs)

        return wrapper

    monkeypatch.setattr(Anchor, "_set_price", checked(Anchor._set_price))
    monkeypatch.setattr(Anchor, "_buy_paid_traffic", checked(Anchor._buy_paid_traffic))
    scenario = load_scenario(ROOT / "scenarios" / "combined.yaml", overrides={"steps": 20})
    model = VillageMarket(scenario, seed=5)
    for _ in range(20):
        model.step()
    assert seen.count("_set_price") > 100 and seen.count("_buy_paid_traffic") > 100


def test_plan_cost_terms_follow_product_village_buffer_and_stock_cost():
    """Within one plan, each input the parts depend on is part of what they are kept for."""
    model = VillageMarket(small_scenario(steps=4), seed=2)
    for _ in range(3):
        model.step()
    anchor = next(a for a in model.anchors if a.kind == "local")
    fresh = next(p for p, spec in enumerate(model.products) if spec.fresh)
    other = next(p for p in range(len(model.products)) if p != fresh)
    anchor.product = fresh
    values = [anchor._plan_cost_terms(fresh)]
    changes = [
        lambda: None,
        lambda: anchor.unit_cost.__setitem__(fresh, anchor.unit_cost[fresh] + 1.0),
        lambda: setattr(anchor, "base_village", (anchor.base_village + 1) % model.world.n_villages),
        lambda: setattr(anchor, "product", other),
        lambda: setattr(anchor, "product", fresh),
    ]
    for change in changes:
        change()
        assert anchor._plan_cost_terms(anchor.product) == anchor._cost_terms(anchor.product)
        values.append(anchor._plan_cost_terms(anchor.product))
    tool = next(n for n, t in model.config.tools.catalogue.items() if t.effect == "forecast")
    anchor.acquire_tool(tool, handed_out=True)
    anchor.tools[tool].in_use = True  # a smaller buffer: fewer weeks at origin
    assert anchor._buffer() < model.config.anchors.stock_buffer
    assert anchor._plan_cost_terms(fresh) == anchor._cost_terms(fresh) != values[-1]
    assert len({values[1], values[2], values[3], values[4]}) == 4


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
    """A faster or a cold route (infrastructure, cold-chain policies) is seen once the week's
    levers are published (policies change routes when they act, in ``governance.apply``)."""
    model = VillageMarket(small_scenario(steps=4), seed=1)
    model.step()
    logistics = model.logistics
    v = next(iter(model.anchors)).base_village
    p = max(range(len(model.products)), key=lambda p: model.products[p].perishability_per_day)
    model.world.route_cold[v] = False
    model.governance.apply(model.week)
    warm = logistics.route_spoilage(p, v)
    assert warm == logistics.route_spoilage_plain(p, v)
    model.world.route_days[v] *= 0.5
    model.governance.apply(model.week)
    fast = logistics.route_spoilage(p, v)
    assert fast == logistics.route_spoilage_plain(p, v) < warm
    model.world.route_cold[v] = True
    model.step()  # a new week
    assert logistics.route_spoilage(p, v) == logistics.route_spoilage_plain(p, v) < fast


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


def test_peer_prices_renew_each_week():
    """The county's sums of complete weeks are taken again once a new week opens."""
    book = pricing.PeerPrices(2, weeks=2)
    book.open_week()
    book.add(np.array([0]), np.array([10.0]), np.array([1000.0]))
    assert book.mean_price(0) is None  # the open week is not complete
    book.open_week()
    assert book.mean_price(0) == 10.0
    book.add(np.array([0]), np.array([20.0]), np.array([3000.0]))
    book.open_week()
    assert book.mean_price(0) == (10.0 * 1000 + 20.0 * 3000) / 4000
    assert book.mean_price(0, own=(20.0 * 3000, 3000.0)) == 10.0
    assert book.closed_sums(0) == (70_000.0, 4000.0)


def test_depreciation_is_taken_afresh_when_capital_is_added():
    """The week's depreciation changes with a purchase of equipment the same week."""
    model = VillageMarket(load_scenario(ROOT / "scenarios" / "baseline.yaml"), seed=1)
    model.step()
    anchor = next(a for a in model.anchors if not a.exited)
    before = anchor.depreciation_week()
    anchor.buy_equipment(520.0)
    assert anchor.depreciation_week() == anchor.depreciation_week_plain() > before
    model.week += 200  # long after: nothing left to depreciate
    assert anchor.depreciation_week() == anchor.depreciation_week_plain() == 0.0
