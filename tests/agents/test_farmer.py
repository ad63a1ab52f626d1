"""Farm households: price information and income (paper §2.3, §3.2)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import small_scenario

from village_sim.accounts import Flow
from village_sim.agents.anchor import Anchor
from village_sim.agents.farmer import Farmer
from village_sim.metrics.tables import village_table
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
    """One fixed seed of a small county (the claim with CIs: test_farm_income_livestream.py)."""
    with_ls = run(small_scenario(steps=52), seed=3)
    without = run(small_scenario(steps=52, livestream__enabled=False), seed=3)
    assert without.indicators["gmv"] == 0
    assert without.indicators["active_anchors"] == 0
    assert with_ls.indicators["farmer_income_mean"] > without.indicators["farmer_income_mean"]


def test_farm_income_is_the_mean_weekly_net_income_after_burn_in_times_52():
    """An annualised mean (all weeks while the burn-in lasts), never a trailing sum."""
    model = VillageMarket(small_scenario(metrics__burn_in_weeks=13), seed=5)
    farmers = model.farmers
    weekly = []
    for _ in range(10):
        model.step()
        weekly.append(farmers.net_week.copy())
    assert np.allclose(farmers.yearly_income(), np.sum(weekly, axis=0) / 100.0 * 52 / 10)
    for _ in range(10):
        model.step()
        weekly.append(farmers.net_week.copy())
    after = np.sum(weekly[13:], axis=0) / 100.0 * 52 / 7
    assert np.allclose(farmers.yearly_income(), after)
    assert model.farmers.n and _agent_income(model, 3) == pytest.approx(after[3])
    village = farmers.village
    table = village_table(model)
    expected = np.bincount(village, weights=after) / np.bincount(village)
    assert np.allclose(table["farmer_income_mean"], expected.round(2))


def _agent_income(model: VillageMarket, index: int) -> float:
    """The Mesa agent's view of a household's yearly net income."""
    agent = next(a for a in model.agents_by_type[Farmer] if a.index == index)
    return agent.yearly_income


def test_net_income_is_receipts_less_production_costs_plus_wages():
    """Production cost is booked at harvest (share x farm-gate per kg); wages every week."""
    scenario = small_scenario(livestream__enabled=False)
    model = VillageMarket(scenario, seed=2)
    farmers = model.farmers
    harvested = 0.0
    cost = 0.0
    share = model.products.array("production_cost_share")
    gate = model.products.array("farm_gate_price")
    for _ in range(40):
        model.step()
        kg = farmers.harvest_g / 1000.0
        harvested += kg.sum()
        cost += (share[farmers.product] * gate[farmers.product] * kg).sum()
        money = model.money
        wages = money.receipts("farmers", (Flow.OFF_FARM_WAGE,))
        expected = np.where(
            farmers.elderly,
            scenario.farmers.off_farm_wage_elderly_week,
            scenario.farmers.off_farm_wage_week,
        )
        assert np.array_equal(wages, (expected * 100).astype(np.int64))
        net = money.receipts("farmers") - money.payments("farmers")
        assert np.array_equal(farmers.net_week, net)
    assert harvested > 0
    rounding = 0.005 * farmers.n * 40  # at most half a fen per household and week
    assert model.money.balances["inputs"][0] / 100.0 == pytest.approx(cost, abs=rounding)


def test_a_streaming_member_forgoes_half_the_wage_in_active_weeks():
    model = VillageMarket(small_scenario(), seed=4)
    farmers = model.farmers
    i = int(np.flatnonzero(~farmers.elderly)[0])
    anchor = Anchor(model, "farmer", int(farmers.person_id[i]), int(farmers.village[i]), 0.5, 0.5)
    anchor.own_product = anchor.product = int(farmers.product[i])
    anchor.farmer_index = i
    farmers.stream_anchor[i] = anchor.index
    wage = model.config.farmers.off_farm_wage_week
    for active, share in ((True, 0.5), (False, 1.0)):
        model.money.start_week()
        anchor.active_this_week = active
        farmers.pay_off_farm_wages()
        paid = model.money.receipts("farmers", (Flow.OFF_FARM_WAGE,))
        assert paid[i] == round(wage * share * 100)
        assert paid[i + 1 :].min() > 0


def test_middlemen_pay_more_where_live_streams_take_a_larger_share_when_psi_is_set():
    prices = []
    for psi in (0.0, 0.5):
        model = VillageMarket(small_scenario(farmers__middleman_spillover=psi), seed=6)
        for _ in range(4):
            model.step()
        model.farmers._spill_week = -1
        share = model.farmers.live_share()
        prices.append((model.farmers.middleman_price(), share))
    (base, _), (spilled, share) = prices
    village = model.farmers.village
    assert np.allclose(spilled, base * (1 + 0.5 * share[village]))
    assert share.max() > 0
