"""Values a week's plan and the sourcing stage take once agree exactly with their formulas.

The grams short of the stock target (read when choosing where to buy and again when posting the
purchase), the growers counted before a purchase (reused by the purchase), the reserve while a
purchase moves the debt, the sales-window sums and the growers' median reservation are computed
once and reused (benchmarks/README.md, speed). Each is compared with ``==`` against its formula
computed afresh: a stale value would change results.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import small_scenario

from village_sim.accounts import Account, Flow
from village_sim.agents import pricing
from village_sim.agents.anchor import Anchor
from village_sim.agents.valuation import skill_path
from village_sim.market.contracts import Contracts
from village_sim.model import VillageMarket
from village_sim.run import load_scenario
from village_sim.units import to_fen

ROOT = Path(__file__).resolve().parents[2]


def _run(name: str, weeks: int, seed: int = 3) -> VillageMarket:
    scenario = load_scenario(ROOT / "scenarios" / f"{name}.yaml", overrides={"steps": weeks})
    model = VillageMarket(scenario, seed=seed)
    for _ in range(weeks):
        model.step()
    return model


def test_plan_shortfall_and_counted_growers_equal_their_formulas(monkeypatch):
    """Through a run: the remembered shortfall and the reused growers, at every use."""
    seen = {"shortfall": 0, "sellers": 0}
    shortfall, buy = Anchor._plan_shortfall_g, Contracts.buy_from_farmers

    def checked_shortfall(self, p, funds, buffer):
        grams = shortfall(self, p, funds, buffer)
        assert grams == self._stock_shortfall_g(p, funds, buffer), (self.model.week, self.index)
        assert funds == self.available_funds() and buffer == self._buffer()
        seen["shortfall"] += 1
        return grams

    def checked_buy(self, anchor, need_g, village=None, seen_sellers=None):
        if seen_sellers is not None:
            idx = self._growers(village, anchor.product)
            fresh = self._sellers(anchor, idx, anchor.offer_price)
            for a, b in zip(seen_sellers, fresh, strict=True):
                assert np.array_equal(a, b)
            seen["sellers"] += 1
        return buy(self, anchor, need_g, village, seen_sellers)

    monkeypatch.setattr(Anchor, "_plan_shortfall_g", checked_shortfall)
    monkeypatch.setattr(Contracts, "buy_from_farmers", checked_buy)
    _run("combined", 20)
    assert seen["shortfall"] > 300 and seen["sellers"] > 100, seen


@pytest.mark.parametrize("name", ["baseline", "combined"])
def test_reservation_table_equals_the_lexsort_medians(name):
    """The growers' median reservation of each (village, product), against a lexsort's medians."""
    model = _run(name, 6)
    for _ in range(3):
        model.step()
        farmers, n_p = model.farmers, len(model.products)
        key = farmers.village * n_p + farmers.product
        res = farmers.reservation_price()
        order = np.lexsort((res, key))
        k, r = key[order], res[order]
        expected = model.contracts.reservation_by_village_product().copy()
        start = np.flatnonzero(np.concatenate(([True], k[1:] != k[:-1])))
        count = np.diff(np.append(start, k.size))
        mid = start + count // 2
        median = np.where(count % 2 == 1, r[mid], (r[mid - 1] + r[mid]) / 2)
        table = model.contracts.reservation_by_village_product()
        assert np.array_equal(table.reshape(-1)[k[start]], median)
        assert np.array_equal(table, expected)


def test_reserve_follows_payments_within_the_credit_line():
    """Purchases that move the debt inside the line: the kept terms, the debt read anew."""
    model = VillageMarket(small_scenario(steps=6), seed=1)
    for _ in range(4):
        model.step()
    anchor = next(a for a in model.anchors if a.kind == "local")
    anchor.credit_limit = 200_000.0
    anchor.guaranteed_debt_limit = 30_000.0
    values = []
    for spend in (anchor.cash() + 10_000.0, 25_000.0, 0.0, 40_000.0, 150_000.0):
        model.money.transfer(
            Flow.EQUIPMENT, Account.ANCHORS, anchor.index, Account.VENDORS, 0, to_fen(spend)
        )
        assert anchor.reserve() == anchor.reserve_plain()
        funds = anchor.cash() + anchor.credit_limit - anchor.reserve_plain()
        assert anchor.available_funds() == max(0.0, funds)
        values.append(anchor.reserve())
    assert anchor.debt() > anchor.credit_limit  # the last payment went beyond the line
    assert values[-1] > values[0]  # beyond the line the debt's own interest counts


def test_sales_window_sums_equal_the_closed_weeks():
    """Every window, shorter and longer than the weeks held, sums the complete weeks in order."""
    memory = pricing.SalesMemory(weeks=6)
    for week in range(9):
        for n in range(9):
            rows = memory.closed(n)
            total = memory.totals_plain(n)
            sales = unsold = 0.0  # added one by one, oldest first (not sum(): it compensates)
            for r in rows:
                sales += r.sales
                unsold += r.unsold_g
            assert (total.sales, total.unsold_g) == (sales, unsold)
            assert memory.refunds_and_sales(n) == (total.refunds, total.sales)
            value = grams = 0.0
            for r in rows:
                if r.product == 1:
                    value += r.value
                    grams += r.sold_g
            assert memory.own_sales(1, n) == (value, grams)
            first = rows[0].stock_open_g if rows else memory.now.stock_open_g
            assert total.stock_open_g == first
        memory.open_week(stock_g=100.0 * week)
        memory.now.sales = 0.1 * (week + 1)
        memory.now.unsold_g = 7.3 * week
        memory.now.refunds = 0.07 * week
        memory.now.product = week % 2
        memory.now.value = 3.1 * week
        memory.now.sold_g = 11.0 * week


def test_weekly_calendars_and_activity_sums_equal_their_formulas():
    """The calendar ahead and the tools' discounted activity, against the formulas, weekly."""
    model = _run("baseline", 3)
    checked = 0
    for _ in range(4):
        model.step()
        valuation, week = model.valuation, model.week
        for anchor in model.anchors:
            products = anchor.reach_products()
            ahead = valuation.ahead(products, week)
            assert np.array_equal(ahead, valuation.ahead_plain(products, week))
            assert not ahead.flags.writeable  # shared: a decision must copy before it edits
            delta = model.config.anchors.discount_factor_week
            expected = pricing.brand_sums(delta, ahead, np.ones(len(ahead)))[0]
            assert anchor._activity_sum() == expected
            checked += 1
    assert checked > 50
    assert pricing.exaggeration_levels(0.3, 0.1) == [0.0, 0.1, 0.2, 0.3]


@pytest.mark.parametrize("sessions", [3, 4.0, 6.5])
def test_skill_path_equals_its_formula(sessions):
    """The remembered practice decay gives the formula's numbers, for int and float sessions."""
    for skill, aptitude, eta in ((0.2, 0.8, 0.02), (0.5, 0.5, 0.1), (0.0, 1.0, 0.3)):
        tau = np.arange(1, 105)
        expected = aptitude - (aptitude - skill) * (1.0 - eta) ** (sessions * tau)
        first = skill_path(skill, aptitude, eta, sessions, 104)
        assert np.array_equal(first, expected)
        assert np.array_equal(skill_path(skill, aptitude, eta, sessions, 104), expected)


def test_reservation_table_is_kept_only_while_reservations_stay():
    """Last week's medians serve while every household's reservation is the same number."""
    model = _run("baseline", 3)
    contracts, farmers = model.contracts, model.farmers
    first = contracts.reservation_by_village_product()
    model.step()
    assert contracts.reservation_by_village_product() is first  # the same prices: kept
    farmers.reservation_price()[:10] *= 1.5  # this week's prices move for a few households
    contracts._reservation = None
    moved = contracts.reservation_by_village_product()
    assert moved is not first and not np.array_equal(moved, first)
    n_p = len(model.products)
    key = farmers.village * n_p + farmers.product
    gate = model.products.array("farm_gate_price") * (1 + model.config.farmers.risk_premium)
    fresh = contracts.reservation_table(gate, key, farmers.reservation_price(), len(first))
    assert np.array_equal(moved, fresh)
