"""Sourcing (ECONOMICS.md §A): imports priced, budgeted and decided; reach; one purchase stage."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import small_scenario

from village_sim.agents.anchor import Anchor, affordable_grams
from village_sim.model import VillageMarket
from village_sim.units import FEN_PER_YUAN

NO_HOUSEHOLDS = {
    "population__farmer_households": 0,
    "population__consumer_units": 2000,
    "population__youth": 50,
}
"""The issue's county without farm households: every gram sold must be an import."""


def _run(model: VillageMarket, weeks: int, each_week=None) -> None:
    for _ in range(weeks):
        model.step()
        if each_week is not None:
            each_week(model)


def test_affordable_grams_never_costs_more_than_the_funds():
    for funds, price in [(0.0, 12.0), (0.05, 12.0), (100.0, 7.3), (999.99, 280.0), (3.0, 0.7)]:
        grams = affordable_grams(funds, price)
        assert round(price * grams / 1000 * FEN_PER_YUAN) <= funds * FEN_PER_YUAN
        assert round(price * (grams + 1) / 1000 * FEN_PER_YUAN) > funds * FEN_PER_YUAN - 1
    assert affordable_grams(-5.0, 12.0) == 0
    assert affordable_grams(float("inf"), 12.0) > 10**12


@pytest.mark.parametrize("funds", [0.0, 250.0, 4000.0])
def test_imports_never_exceed_available_funds(monkeypatch, funds):
    monkeypatch.setattr(Anchor, "available_funds", lambda self: funds)
    model = VillageMarket(small_scenario(**NO_HOUSEHOLDS), seed=0)
    spent = []

    def check(m: VillageMarket) -> None:
        paid = m.money.payments("anchors", ("import_purchase",))[: m.anchor_count]
        assert (paid <= round(funds * FEN_PER_YUAN)).all()
        spent.append(int(paid.sum()))

    _run(model, 8, check)
    assert model.goods.flows.get("contract", 0) == 0
    if funds == 0.0:
        assert sum(spent) == 0
        assert model.books.history[-1]["kg_sold"] == 0


def test_the_county_without_households_sells_only_what_budgets_allow(monkeypatch):
    """With nothing to buy in the county, sales are imports, bounded by what the anchors can pay."""
    totals = {}
    for funds in (0.0, 300.0, float("inf")):
        monkeypatch.setattr(Anchor, "available_funds", lambda self, f=funds: f)
        model = VillageMarket(small_scenario(**NO_HOUSEHOLDS), seed=0)
        _run(model, 8)
        stats = model.books.stats_frame()
        totals[funds] = (float(stats["kg_sold"].sum()), float(stats["kg_fake_sold"].sum()))
        sold, fake = totals[funds]
        assert sold == pytest.approx(fake)  # every kg sold was imported
        if np.isfinite(funds):  # bought at >= the cheapest import price, within each week's funds
            cheapest = min(s.import_price_share * s.farm_gate_price for s in model.products)
            assert sold <= funds * 8 * model.anchor_count / cheapest + 1e-9
    assert totals[0.0][0] == 0
    assert totals[0.0][0] <= totals[300.0][0] <= totals[float("inf")][0]
    assert totals[float("inf")][0] > 0
