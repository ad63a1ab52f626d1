"""Farm households: price information and income (paper §2.3, §3.2)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import small_scenario

from village_sim.model import VillageMarket
from village_sim.run import run


def test_poor_price_information_lowers_the_middleman_price():
    model = VillageMarket(small_scenario(), seed=0)
    farmers = model.farmers
    idx = np.arange(2)
    farmers.product[idx] = 0
    farmers.price_info[idx] = [0.0, 1.0]
    price = farmers.middleman_price(idx)
    assert price[0] < price[1]
    assert price[1] == pytest.approx(model.products[0].farm_gate_price)


def test_farm_income_is_lower_without_live_streaming():
    with_ls = run(small_scenario(steps=52), seed=3)
    without = run(small_scenario(steps=52, livestream__enabled=False), seed=3)
    assert without.indicators["gmv"] == 0
    assert without.indicators["active_anchors"] == 0
    assert with_ls.indicators["farmer_income_mean"] > without.indicators["farmer_income_mean"]


def test_farm_income_is_a_yearly_figure_even_in_short_runs():
    """Ten weeks of receipts are scaled to a year (52/10); a year or more is the last 52 weeks."""
    model = VillageMarket(small_scenario(), seed=5)
    for _ in range(10):
        model.step()
    farmers = model.farmers
    receipts = farmers.income_ring.sum(axis=0) / 100.0
    assert np.allclose(farmers.yearly_income(), receipts * 52 / 10)
    for _ in range(50):
        model.step()
    assert np.array_equal(farmers.yearly_income(), farmers.income_ring.sum(axis=0) / 100.0)
